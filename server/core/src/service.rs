//! The application service: Confab's use cases over the store, the credential
//! helpers and the access rules, called directly by the server functions and
//! the Socket.IO handlers alike. Every input is checked here (the rules are
//! the authority, whatever the browser checked before), every decision is
//! asked of [`access`], and every storage failure is logged here with its
//! context and turned into a [`CoreError`] a person can be told.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::broadcast;

use crate::access;
use crate::auth::{self, Hasher};
use crate::channel_events::{ChannelEvent, ChannelEvents, Feed, OutOfSight, Step};
use crate::error::{CoreError, CoreResult};
use crate::hash_pool::{HashPool, PoolError};
use crate::kinds::{AuditAction, ChannelKind, Role};
use crate::login_throttle::LoginThrottle;
use crate::model::*;
use crate::rules;
use crate::store::{DEFAULT_CHANNEL, Store, StoreError, StoreResult};
use audit::Audited;

mod api_tokens;
mod audit;
mod channel_people;
mod direct;
mod message_deletion;
mod roles;

/// Session lifetime: 30 days.
const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;
/// Invite link lifetime: 7 days.
const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Most messages a history page holds.
pub const MAX_HISTORY_PAGE: i64 = 200;

/// Logs a storage failure with what was being done, and says it plainly.
fn fail(what: &'static str) -> impl FnOnce(StoreError) -> CoreError {
    move |e| match e {
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %e, "{what}: database unavailable");
            CoreError::Unavailable
        }
        _ => {
            tracing::error!(error = %e, "{what} failed");
            CoreError::Internal
        }
    }
}

/// Access that has ended: the live connections that relied on it close.
#[derive(Clone, Debug)]
pub enum Revoked {
    /// A session ended (signed out or expired).
    Session { user_id: i64, token_hash: String },
    /// A person was taken out of an organization.
    Membership { user_id: i64, org_slug: String },
    /// A person's role in an organization changed: what they may see there
    /// changed with it.
    Role { user_id: i64, org_slug: String },
}

/// Something every device of a person should hear at once, apart from any
/// channel's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserNotice {
    /// They have read a channel up to `last_read_seq` (on one device: the
    /// others mark it read too).
    Read { user_id: i64, org_slug: String, channel_id: i64, last_read_seq: i64 },
    /// A channel they can now see appeared (a direct conversation they were
    /// put in, a new public channel): their lists show it without a reload.
    /// `channel` is as they see it.
    ChannelAdded { to: Audience, org_slug: String, channel: Channel },
}

/// Who a [`UserNotice`] is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// These people (user ids), on every device.
    People(Vec<i64>),
    /// Everyone in the organization but this person.
    AllBut(i64),
}

/// Confab's use cases; cheap to clone.
#[derive(Clone)]
pub struct Service {
    /// Where everything is stored.
    store: Store,
    /// Where password hashing waits its turn.
    hashing: HashPool,
    /// Failed sign-ins, to slow guessing.
    throttle: Arc<LoginThrottle>,
    /// Messages per user per second.
    message_rate: Arc<DefaultKeyedRateLimiter<i64>>,
    /// Announces each ended access to whoever holds its live connections.
    revoked: broadcast::Sender<Revoked>,
    /// Announces what each person's devices should hear (read cursors).
    notices: broadcast::Sender<UserNotice>,
    /// Every change to a channel, in `seq` order, after commit.
    events: ChannelEvents,
}

/// A channel looked up for a user, with the user's role in its organization.
pub struct ChannelAccess {
    pub role: Role,
    pub channel: Channel,
}

impl Service {
    /// `messages_per_second` is each user's sending rate (twice that in a burst).
    pub fn new(store: Store, messages_per_second: u32) -> Self {
        let (revoked, _) = broadcast::channel(1024);
        let (notices, _) = broadcast::channel(4096);
        let rate = NonZeroU32::new(messages_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Service {
            store,
            hashing: HashPool::for_this_machine(),
            throttle: Arc::default(),
            message_rate: Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))),
            revoked,
            notices,
            events: ChannelEvents::default(),
        }
    }

    /// Every channel event published from now on, in `seq` order per channel.
    pub fn channel_events(&self) -> tokio::sync::mpsc::Receiver<Feed> {
        self.events.subscribe()
    }

    /// Reads the channel as of one point of its event stream (nothing is
    /// published to it while `read` runs) and puts the step `read` returns
    /// into the stream at that point.
    pub async fn at_channel_point<T>(&self, channel_id: i64, read: impl Future<Output = (T, Option<Step>)>) -> T {
        self.events.at_point(channel_id, read).await
    }

    /// Up to `limit` messages of a channel after `after_seq`, oldest first.
    pub async fn messages_after(&self, channel_id: i64, after_seq: i64, limit: usize) -> CoreResult<Vec<Message>> {
        self.store.messages_after(channel_id, after_seq, limit as i64).await.map_err(fail("reading missed messages"))
    }

    /// Access as it ends, from now on.
    pub fn revocations(&self) -> broadcast::Receiver<Revoked> {
        self.revoked.subscribe()
    }

    /// What each person's devices should hear, from now on (best effort: a
    /// listener that falls behind misses some, and a reload puts it right).
    pub fn user_notices(&self) -> broadcast::Receiver<UserNotice> {
        self.notices.subscribe()
    }

    fn notify(&self, notice: UserNotice) {
        // Nobody listening (no live server) is fine.
        let _ = self.notices.send(notice);
    }

    fn revoke(&self, revoked: Revoked) {
        // Nobody listening (no live server) is fine.
        let _ = self.revoked.send(revoked);
    }

    /// Runs argon2 on the hashing threads, a few at a time, a fair share per client.
    async fn hash<T: Send + 'static>(
        &self,
        client: IpAddr,
        f: impl FnOnce(&mut Hasher) -> T + Send + 'static,
    ) -> CoreResult<T> {
        self.hashing.run(client, f).await.map_err(|e| match e {
            PoolError::Busy => {
                tracing::warn!("password hashing is saturated; turning a request away");
                CoreError::rate_limited("Too many people are signing in right now; please try again in a moment.")
            }
            PoolError::ClientBusy => {
                tracing::info!(%client, "a client has too many sign-ins in flight; turning one away");
                CoreError::rate_limited("Too many sign-ins from your address at once; please try again in a moment.")
            }
            PoolError::Stopped => {
                tracing::error!("password hashing thread failed");
                CoreError::Internal
            }
        })
    }

    /// Ends the sessions that have expired, closing their live connections,
    /// and lets go of rate counts nobody needs any more.
    pub async fn sweep(&self) {
        match self.store.delete_expired_sessions().await {
            Ok(ended) => {
                for (user_id, token_hash) in ended {
                    tracing::info!(user_id, "session expired");
                    self.revoke(Revoked::Session { user_id, token_hash });
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot remove expired sessions"),
        }
        self.message_rate.retain_recent();
        self.message_rate.shrink_to_fit();
    }

    /// The role in organization `org_id` of the holder of a session, checked
    /// now: `Err` if the session has ended or they are no longer a member.
    pub async fn session_role(&self, token_hash: &str, org_id: i64) -> CoreResult<Role> {
        if let Some(role) = self.store.session_role(token_hash, org_id).await.map_err(fail("checking session"))? {
            return Ok(role);
        }
        match self.store.session_user(token_hash).await.map_err(fail("checking session"))? {
            Some(_) => Err(access::member(None).unwrap_err()),
            None => Err(CoreError::Unauthenticated),
        }
    }

    /// Answers whether the database responds (for health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// Lets queries in flight finish and closes the database: the last step
    /// of a stop.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Whether an organization with this slug exists.
    pub async fn org_exists(&self, slug: &str) -> CoreResult<bool> {
        Ok(self.store.org_by_slug(slug).await.map_err(fail("looking up organization"))?.is_some())
    }

    /// The organization and the user's role in it; outsiders get "not found".
    pub async fn org_for(&self, user: &User, slug: &str) -> CoreResult<(Org, Role)> {
        let org = self.store.org_by_slug(slug).await.map_err(fail("looking up organization"))?;
        let Some(org) = org else {
            return Err(access::member(None).unwrap_err());
        };
        let role = self.store.role_in(org.id, user.id).await.map_err(fail("looking up membership"))?;
        Ok((org, access::member(role)?))
    }

    async fn channel_named(&self, user: &User, slug: &str, name: &str) -> CoreResult<(Org, ChannelAccess)> {
        let (org, role) = self.org_for(user, slug).await?;
        // A direct conversation goes by its stored name; others as typed.
        let name = match rules::direct_people(name) {
            Some(_) => name.to_owned(),
            None => rules::channel_address(name)?,
        };
        let missing = || CoreError::not_found(format!("There is no channel #{name} here."));
        let channel = self
            .store
            .channel_by_name(org.id, &name, user.id)
            .await
            .map_err(fail("looking up channel"))?
            .ok_or_else(missing)?;
        // Someone else's direct conversation is "not there" in the same words.
        access::read_channel(role, channel.kind, channel.joined).map_err(|_| missing())?;
        Ok((org, ChannelAccess { role, channel }))
    }

    /// The newest `seq` of a channel the caller already may read.
    pub async fn last_seq(&self, channel_id: i64) -> CoreResult<i64> {
        self.store.last_seq(channel_id).await.map_err(fail("reading a channel's last seq"))
    }

    /// A channel of organization `org_id` by id, if `user` may read it.
    pub async fn readable_channel(&self, user: &User, org_id: i64, role: Role, channel_id: i64) -> CoreResult<Channel> {
        let channel = self
            .store
            .channel_by_id(channel_id, user.id)
            .await
            .map_err(fail("looking up channel"))?
            .filter(|c| c.org_id == org_id)
            .ok_or_else(|| CoreError::not_found("There is no such channel in this organization."))?;
        access::read_channel(role, channel.kind, channel.joined)?;
        Ok(channel)
    }

    /// Moves the user's read cursor in a channel they joined forward to `seq`
    /// (never back, never past the channel's newest event) and tells their
    /// other devices; where it is now.
    pub async fn mark_read(
        &self,
        user: &User,
        org_id: i64,
        org_slug: &str,
        role: Role,
        channel_id: i64,
        seq: i64,
    ) -> CoreResult<i64> {
        let channel = self.readable_channel(user, org_id, role, channel_id).await?;
        self.mark_read_in(user, org_slug, &channel, seq).await
    }

    /// [`Service::mark_read`] for a channel named `name` of organization `slug`.
    pub async fn mark_read_named(&self, user: &User, slug: &str, name: &str, seq: i64) -> CoreResult<i64> {
        let (org, ChannelAccess { channel, .. }) = self.channel_named(user, slug, name).await?;
        self.mark_read_in(user, &org.slug, &channel, seq).await
    }

    async fn mark_read_in(&self, user: &User, org_slug: &str, channel: &Channel, seq: i64) -> CoreResult<i64> {
        if !channel.joined {
            return Err(CoreError::forbidden("Join the channel to keep your place in it."));
        }
        let last_read_seq = self.store.mark_read(user.id, channel.id, seq).await.map_err(fail("marking read"))?;
        self.notify(UserNotice::Read {
            user_id: user.id,
            org_slug: org_slug.to_owned(),
            channel_id: channel.id,
            last_read_seq,
        });
        Ok(last_read_seq)
    }

    /// Validates, authorizes and stores a message, and publishes it to the
    /// channel's event stream; a retry with the same `client_id` returns the
    /// stored original and publishes nothing. `.1` is false for a retry.
    #[allow(clippy::too_many_arguments)]
    pub async fn post_message(
        &self,
        user: &User,
        org_id: i64,
        org_slug: &str,
        role: Role,
        channel_id: i64,
        client_id: &str,
        body: &str,
    ) -> CoreResult<(Message, bool)> {
        let (client_id, body) = self.message_input(user, client_id, body)?;
        let channel = self.readable_channel(user, org_id, role, channel_id).await?;
        self.store_message(user, org_slug, role, channel, client_id, body).await
    }

    /// [`Service::post_message`] for a live connection of session
    /// `token_hash`: its session, membership and the channel are checked as
    /// they are now, in one query. `Err` when the session or membership has
    /// ended (the connection should close); else the send's own outcome.
    #[allow(clippy::too_many_arguments)]
    pub async fn post_for_session(
        &self,
        token_hash: &str,
        user: &User,
        org_id: i64,
        org_slug: &str,
        channel_id: i64,
        client_id: &str,
        body: &str,
    ) -> Result<CoreResult<(Message, bool)>, CoreError> {
        let (client_id, body) = match self.message_input(user, client_id, body) {
            Ok(input) => input,
            Err(e) => return Ok(Err(e)),
        };
        let looked = match self.store.session_channel(token_hash, org_id, channel_id).await {
            Ok(looked) => looked,
            Err(e) => return Ok(Err(fail("checking session")(e))),
        };
        let Some((role, channel)) = looked else {
            // Ended: which of the two, in the words `session_role` has.
            return Err(self.session_role(token_hash, org_id).await.err().unwrap_or(CoreError::Unauthenticated));
        };
        let Some(channel) = channel.filter(|c| access::read_channel(role, c.kind, c.joined).is_ok()) else {
            return Ok(Err(CoreError::not_found("There is no such channel in this organization.")));
        };
        Ok(self.store_message(user, org_slug, role, channel, client_id, body).await)
    }

    /// A message's id and body, checked, within the sender's rate.
    fn message_input(&self, user: &User, client_id: &str, body: &str) -> CoreResult<(String, String)> {
        let client_id = rules::client_id(client_id)?.to_owned();
        let body = rules::message_body(body)?;
        if self.message_rate.check_key(&user.id).is_err() {
            tracing::info!(user_id = user.id, "message refused: sending too fast");
            return Err(CoreError::rate_limited("You are sending messages too fast; wait a moment and send again."));
        }
        Ok((client_id, body))
    }

    /// Stores a checked message in a channel the user may read, if they may
    /// post there, and publishes it.
    async fn store_message(
        &self,
        user: &User,
        org_slug: &str,
        role: Role,
        channel: Channel,
        client_id: String,
        body: String,
    ) -> CoreResult<(Message, bool)> {
        access::post(role, channel.kind, channel.joined)?;
        let (store, channel_id, author) = (self.store.clone(), channel.id, user.clone());
        let stored = self
            .events
            .write(org_slug, channel_id, async move {
                let stored = store.insert_message(channel_id, &client_id, &author, &body).await?;
                let event = stored.created.then(|| ChannelEvent::Message(stored.message.clone()));
                Ok((stored, event))
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "storing message");
                CoreError::Internal
            })?
            .map_err(fail("storing message"))?;
        Ok((stored.message, stored.created))
    }

    /// Runs a change to a channel in its turn and publishes the event it
    /// stored, if any (none: nothing changed); `what` names it in the log.
    async fn write_event(
        &self,
        org_slug: &str,
        channel_id: i64,
        what: &'static str,
        write: impl Future<Output = StoreResult<Option<Message>>> + Send + 'static,
    ) -> CoreResult<Option<Message>> {
        self.write_event_as(org_slug, channel_id, what, ChannelEvent::Message, write).await
    }

    /// [`Service::write_event`], published as `publish` makes it (a member
    /// who leaves a restricted channel loses sight of it at that point).
    async fn write_event_as(
        &self,
        org_slug: &str,
        channel_id: i64,
        what: &'static str,
        publish: fn(Message) -> ChannelEvent,
        write: impl Future<Output = StoreResult<Option<Message>>> + Send + 'static,
    ) -> CoreResult<Option<Message>> {
        self.events
            .write(org_slug, channel_id, async move {
                let event = write.await?;
                Ok((event.clone(), event.map(publish)))
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "{what}");
                CoreError::Internal
            })?
            .map_err(fail(what))
    }

    async fn new_session(&self, user: User) -> CoreResult<(User, NewSession)> {
        let token = auth::new_token();
        self.store
            .create_session(&auth::token_hash(&token), user.id, SESSION_TTL_SECS * 1000)
            .await
            .map_err(fail("creating session"))?;
        Ok((user, NewSession { token, max_age_secs: SESSION_TTL_SECS }))
    }
}

/// A `client_id` for an event the server writes (a member joining or
/// leaving): random, so it never meets a client's.
fn server_event_id() -> String {
    format!("server:{}", &auth::new_token()[..32])
}

/// "8 seconds", "2 minutes": how long to wait, rounded up.
fn wait_in_words(wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    match secs {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

impl Service {
    pub async fn register(&self, username: &str, password: &str, client: IpAddr) -> CoreResult<(User, NewSession)> {
        let username = rules::username(username)?;
        let password = rules::password(password)?.to_owned();
        let hash = self.hash(client, move |h| h.hash_password(&password)).await?.map_err(|e| {
            tracing::error!(error = %e, "hashing password");
            CoreError::Internal
        })?;
        let user = match self.store.create_user(&username, &hash).await {
            Ok(user) => user,
            Err(StoreError::Conflict(_)) => {
                return Err(CoreError::conflict(format!("The username {username} is taken; please choose another.")));
            }
            Err(e) => return Err(fail("creating user")(e)),
        };
        tracing::info!(user_id = user.id, "account created");
        self.new_session(user).await
    }

    pub async fn login(&self, username: &str, password: &str, client: IpAddr) -> CoreResult<(User, NewSession)> {
        if username.trim().is_empty() || password.is_empty() {
            return Err(CoreError::invalid("Please enter your username and password."));
        }
        if password.len() > 1024 || username.len() > 256 {
            return Err(CoreError::BadCredentials);
        }
        if let Err(wait) = self.throttle.check(username, client) {
            tracing::info!(%client, wait_secs = wait.as_secs_f32().ceil(), "sign-in refused: too many failures");
            return Err(CoreError::rate_limited(format!(
                "Too many failed sign-ins. Please wait {} before trying again.",
                wait_in_words(wait)
            )));
        }
        let row = self.store.user_by_name(username.trim()).await.map_err(fail("looking up user"))?;
        let password = password.to_owned();
        let (user, hash) = match row {
            Some(row) => (Some(row.public()), Some(row.password_hash)),
            None => (None, None),
        };
        // An unknown name costs as much as a wrong password.
        let ok = self
            .hash(client, move |h| match hash {
                Some(hash) => h.verify_password(&password, &hash),
                None => {
                    let dummy = h.dummy_hash();
                    h.verify_password(&password, dummy)
                }
            })
            .await?;
        match user {
            Some(user) if ok => {
                self.throttle.succeeded(username, client);
                tracing::info!(user_id = user.id, "signed in");
                let what = Audited { org_id: None, action: AuditAction::SignedIn, subject: "", detail: "" };
                self.audit(&user, client, what).await;
                self.new_session(user).await
            }
            _ => {
                self.throttle.failed(username, client);
                tracing::info!(%client, "sign-in failed: wrong username or password");
                Err(CoreError::BadCredentials)
            }
        }
    }

    pub async fn logout(&self, token: &str) -> CoreResult<()> {
        let token_hash = auth::token_hash(token);
        let user_id = self.store.delete_session(&token_hash).await.map_err(fail("revoking session"))?;
        if let Some(user_id) = user_id {
            tracing::info!(user_id, "signed out");
            self.revoke(Revoked::Session { user_id, token_hash });
        }
        Ok(())
    }

    pub async fn session_user(&self, token: &str) -> CoreResult<Option<User>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        self.store.session_user(&auth::token_hash(token)).await.map_err(fail("checking session"))
    }

    /// The organizations a user belongs to, by name.
    pub async fn list_orgs(&self, user_id: i64) -> CoreResult<Vec<Membership>> {
        self.store.orgs_of(user_id).await.map_err(fail("listing organizations"))
    }

    /// Creates an organization with `user` as its owner and a `general` channel.
    pub async fn create_org(&self, user: &User, name: &str, slug: &str) -> CoreResult<Membership> {
        let name = rules::org_name(name)?;
        let slug = rules::org_slug(slug)?;
        match self.store.create_org(user.id, &name, &slug).await {
            Ok(org) => {
                tracing::info!(user_id = user.id, org = %org.org.slug, "organization created");
                Ok(org)
            }
            Err(StoreError::Conflict(_)) => {
                Err(CoreError::conflict(format!("The URL name {slug} is taken; please choose another.")))
            }
            Err(e) => Err(fail("creating organization")(e)),
        }
    }

    /// The organization, the channels the user may see and its members.
    pub async fn org_view(&self, user: &User, slug: &str) -> CoreResult<OrgOverview> {
        let (org, role) = self.org_for(user, slug).await?;
        let channels = self.list_channels(user, slug).await?;
        let members = self.store.members_of(org.id).await.map_err(fail("listing members"))?;
        Ok(OrgOverview { membership: Membership { org, role }, channels, members })
    }

    /// Everyone in the organization, by name, with their role.
    pub async fn members(&self, user: &User, slug: &str) -> CoreResult<Vec<Member>> {
        let (org, _role) = self.org_for(user, slug).await?;
        self.store.members_of(org.id).await.map_err(fail("listing members"))
    }

    /// A new invite link (owners and admins).
    pub async fn create_invite(&self, user: &User, slug: &str, from: IpAddr) -> CoreResult<NewInvite> {
        let (org, role) = self.org_for(user, slug).await?;
        access::invite(role)?;
        let token = auth::new_token();
        let expires_at = self
            .store
            .create_invite(&auth::token_hash(&token), org.id, user.id, INVITE_TTL_MS)
            .await
            .map_err(fail("creating invite"))?;
        tracing::info!(user_id = user.id, org = %org.slug, "invite created");
        let what = Audited { org_id: Some(org.id), action: AuditAction::InviteCreated, subject: "", detail: "" };
        self.audit(user, from, what).await;
        Ok(NewInvite { token, expires_at })
    }

    /// The working invite links (owners and admins); `made` is a token the
    /// caller just made, to show again if it checks out.
    pub async fn list_invites(&self, user: &User, slug: &str, made: Option<&str>) -> CoreResult<InviteLinks> {
        let (org, role) = self.org_for(user, slug).await?;
        access::invite(role)?;
        let rows = self.store.invites_of(org.id).await.map_err(fail("listing invites"))?;
        let made_hash = made.filter(|t| t.len() <= 128).map(auth::token_hash);
        let new_link = made.zip(made_hash).and_then(|(token, hash)| {
            let row = rows.iter().find(|r| r.token_hash == hash && r.created_by_id == user.id)?;
            Some(NewInvite { token: token.to_owned(), expires_at: row.expires_at })
        });
        let links = rows
            .into_iter()
            .map(|r| InviteLink {
                id: r.token_hash,
                created_by: r.created_by,
                created_at: r.created_at,
                expires_at: r.expires_at,
            })
            .collect();
        Ok(InviteLinks { links, new_link })
    }

    pub async fn revoke_invite(&self, user: &User, slug: &str, id: &str, from: IpAddr) -> CoreResult<()> {
        let (org, role) = self.org_for(user, slug).await?;
        access::invite(role)?;
        if !self.store.delete_invite(org.id, id).await.map_err(fail("revoking invite"))? {
            return Err(CoreError::not_found("That invite link does not exist or no longer works."));
        }
        tracing::info!(user_id = user.id, org = %org.slug, "invite revoked");
        let what = Audited { org_id: Some(org.id), action: AuditAction::InviteRevoked, subject: "", detail: "" };
        self.audit(user, from, what).await;
        Ok(())
    }

    /// Where an invite link leads.
    pub async fn invite_preview(&self, user: &User, token: &str) -> CoreResult<InviteTarget> {
        let invite =
            self.store.invite(&auth::token_hash(token)).await.map_err(fail("looking up invite"))?.ok_or_else(|| {
                CoreError::not_found("This invite link is not valid or has expired. Ask for a new one.")
            })?;
        let role = self.store.role_in(invite.org_id, user.id).await.map_err(fail("looking up membership"))?;
        Ok(InviteTarget {
            org_name: invite.org_name,
            org_slug: invite.org_slug,
            invited_by: invite.invited_by,
            already_member: role.is_some(),
        })
    }

    /// Joins the organization an invite link leads to.
    pub async fn accept_invite(&self, user: &User, token: &str, from: IpAddr) -> CoreResult<Membership> {
        let invite =
            self.store.invite(&auth::token_hash(token)).await.map_err(fail("looking up invite"))?.ok_or_else(|| {
                CoreError::not_found("This invite link is not valid or has expired. Ask for a new one.")
            })?;
        let general = self
            .store
            .channel_by_name(invite.org_id, DEFAULT_CHANNEL, user.id)
            .await
            .map_err(fail("looking up the default channel"))?
            .ok_or_else(|| {
                tracing::error!(org = %invite.org_slug, "organization without its default channel");
                CoreError::Internal
            })?;
        let (store, org_id, newcomer) = (self.store.clone(), invite.org_id, user.clone());
        let joined = self
            .write_event(&invite.org_slug, general.id, "adding member", async move {
                store.add_member(org_id, &newcomer, Role::Member, general.id, server_event_id()).await
            })
            .await?;
        let role = self.store.role_in(invite.org_id, user.id).await.map_err(fail("looking up membership"))?;
        if joined.is_some() {
            tracing::info!(user_id = user.id, org = %invite.org_slug, "joined organization by invite");
            let by = format!("invited by {}", invite.invited_by);
            let what = Audited { org_id: Some(org_id), action: AuditAction::JoinedOrg, subject: "", detail: &by };
            self.audit(user, from, what).await;
        }
        Ok(Membership {
            org: Org { id: invite.org_id, slug: invite.org_slug, name: invite.org_name },
            role: role.unwrap_or(Role::Member),
        })
    }

    /// Takes `username` out of the organization; their live connections to it close.
    pub async fn remove_member(&self, user: &User, slug: &str, username: &str, from: IpAddr) -> CoreResult<()> {
        let (org, role) = self.org_for(user, slug).await?;
        let (target, target_role) = self.member_named(org.id, username).await?;
        let owners = self.store.owner_count(org.id).await.map_err(fail("counting owners"))?;
        access::remove_member(role, target_role, owners)?;
        // In a task of its own, so a caller that gives up (an HTTP client
        // hanging up) cannot stop it half-way.
        let (this, remover, org_id) = (self.clone(), user.id, org.id);
        let removed = target.username.clone();
        let removal = tokio::spawn(async move { this.take_out(remover, org, target).await });
        removal.await.map_err(|e| {
            tracing::error!(error = %e, "removing member");
            CoreError::Internal
        })??;
        let what = Audited { org_id: Some(org_id), action: AuditAction::MemberRemoved, subject: &removed, detail: "" };
        self.audit(user, from, what).await;
        Ok(())
    }

    /// The member of organization `org_id` named `username`, and their role.
    async fn member_named(&self, org_id: i64, username: &str) -> CoreResult<(User, Role)> {
        let not_member = || CoreError::not_found(format!("{} is not a member of this organization.", username.trim()));
        let user =
            self.store.user_by_name(username.trim()).await.map_err(fail("looking up user"))?.ok_or_else(not_member)?;
        let role =
            self.store.role_in(org_id, user.id).await.map_err(fail("looking up membership"))?.ok_or_else(not_member)?;
        Ok((user.public(), role))
    }

    /// Takes `removed` out of each channel of `org` they joined, each with its
    /// `left` event in that channel's turn, and then out of the organization.
    /// In that order, a failure half-way leaves them a member of fewer
    /// channels, never a non-member still in channels; removing again finishes.
    async fn take_out(&self, remover: i64, org: Org, removed: User) -> CoreResult<()> {
        let channels = self.store.joined_channels(org.id, removed.id).await.map_err(fail("listing channels left"))?;
        for channel_id in channels {
            let (store, removed) = (self.store.clone(), removed.clone());
            let leave = async move { store.leave_channel(channel_id, &removed, server_event_id()).await };
            self.write_event_as(&org.slug, channel_id, "leaving channel", ChannelEvent::LostSight, leave).await?;
        }
        // Public and supervisor channels are read without being joined, and
        // they may have been put in others since: the removed person's
        // connections leave all of their rooms as the membership ends.
        let in_sight = self.channels_where(&org, removed.id, |c| {
            c.joined || matches!(c.kind, ChannelKind::Public | ChannelKind::Supervisor)
        });
        let remove = self.store.remove_membership(org.id, removed.id);
        let removed_now = self
            .out_of_sight_of(&org.slug, removed.id, in_sight.await?, remove)
            .await
            .map_err(fail("removing member"))?;
        if removed_now {
            tracing::info!(user_id = remover, removed_user_id = removed.id, org = %org.slug, "member removed");
            self.revoke(Revoked::Membership { user_id: removed.id, org_slug: org.slug });
            return Ok(());
        }
        // Refused by the store: the last owner (another owner left or was
        // demoted since the count was read; they keep the channels left
        // above), or gone already.
        match self.store.role_in(org.id, removed.id).await.map_err(fail("looking up membership"))? {
            Some(Role::Owner) => {
                Err(CoreError::forbidden("An organization keeps at least one owner: make someone else an owner first."))
            }
            _ => Ok(()),
        }
    }

    /// The ids of the channels of `org`, as `user_id` stands in them, that `keep`.
    async fn channels_where(&self, org: &Org, user_id: i64, keep: impl Fn(&Channel) -> bool) -> CoreResult<Vec<i64>> {
        let channels = self.store.channels_of(org.id, user_id).await.map_err(fail("listing channels"))?;
        Ok(channels.into_iter().filter(|c| keep(c)).map(|c| c.id).collect())
    }

    /// Runs `change` (one that takes `channel_ids` out of `user_id`'s sight)
    /// in the turns of those channels; if it changed anything, from that
    /// point of each channel's stream on, the person's live connections are
    /// out of its room, so nothing said there after the change reaches them.
    async fn out_of_sight_of(
        &self,
        org_slug: &str,
        user_id: i64,
        channel_ids: Vec<i64>,
        change: impl Future<Output = StoreResult<bool>>,
    ) -> StoreResult<bool> {
        let change = async {
            let changed = change.await;
            let gone = |channel_id| Feed::OutOfSight(OutOfSight { org_slug: org_slug.to_owned(), channel_id, user_id });
            let feeds =
                if matches!(changed, Ok(true)) { channel_ids.iter().copied().map(gone).collect() } else { vec![] };
            (changed, feeds)
        };
        self.events.across(&channel_ids, change).await
    }

    /// Creates a channel of `kind` (public, private or supervisor) its
    /// creator has joined; whoever may see it sees it appear.
    pub async fn create_channel(
        &self,
        user: &User,
        slug: &str,
        name: &str,
        kind: ChannelKind,
        from: IpAddr,
    ) -> CoreResult<Channel> {
        let (org, role) = self.org_for(user, slug).await?;
        access::create_channel(role, kind)?;
        let name = rules::channel_name(name)?;
        let taken = || CoreError::conflict(format!("The name #{name} is taken; choose another."));
        // Only a name the creator sees is taken to them: a hidden channel's
        // name neither blocks nor shows (restricted channels' addresses are
        // tagged, so they never meet another's).
        let seen = self.store.channels_of(org.id, user.id).await.map_err(fail("listing channels"))?;
        let visible = |c: &&Channel| access::read_channel(role, c.kind, c.joined).is_ok();
        if seen.iter().filter(visible).any(|c| c.kind != ChannelKind::Direct && rules::channel_label(&c.name) == name) {
            return Err(taken());
        }
        let row = loop {
            let address = match kind {
                ChannelKind::Public => name.clone(),
                _ => rules::restricted_address(&name, &auth::new_token()[..8]),
            };
            match self.store.create_channel(org.id, &address, kind, user.id).await {
                Ok(row) => break row,
                // A public name taken meanwhile; a tag drawn twice: draw again.
                Err(StoreError::Conflict(_)) if kind == ChannelKind::Public => return Err(taken()),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(fail("creating channel")(e)),
            }
        };
        tracing::info!(user_id = user.id, org = %org.slug, channel_id = row.id, kind = kind.as_str(), "channel created");
        let subject = row.subject();
        let what = Audited {
            org_id: Some(org.id),
            action: AuditAction::ChannelCreated,
            subject: &subject,
            detail: kind.as_str(),
        };
        self.audit(user, from, what).await;
        // The creator's other devices see it joined; those who may see it, not.
        self.notify(UserNotice::ChannelAdded {
            to: Audience::People(vec![user.id]),
            org_slug: org.slug.clone(),
            channel: row.clone(),
        });
        let others = match kind {
            ChannelKind::Public => Some(Audience::AllBut(user.id)),
            ChannelKind::Supervisor => {
                let members = self.store.members_of(org.id).await.map_err(fail("listing members"))?;
                let seeing = members.iter().filter(|m| m.role.sees_supervisor_rooms() && m.user.id != user.id);
                Some(Audience::People(seeing.map(|m| m.user.id).collect()))
            }
            ChannelKind::Private | ChannelKind::Direct => None,
        };
        if let Some(to) = others {
            let channel = Channel { joined: false, last_read_seq: 0, unread: 0, ..row.clone() };
            self.notify(UserNotice::ChannelAdded { to, org_slug: org.slug, channel });
        }
        Ok(row)
    }

    /// The channels of an organization the user may see, by name.
    pub async fn list_channels(&self, user: &User, slug: &str) -> CoreResult<Vec<Channel>> {
        let (org, role) = self.org_for(user, slug).await?;
        let rows = self.store.channels_of(org.id, user.id).await.map_err(fail("listing channels"))?;
        Ok(rows.into_iter().filter(|c| access::read_channel(role, c.kind, c.joined).is_ok()).collect())
    }

    /// Joins a channel (so the user may post in it).
    pub async fn join_channel(&self, user: &User, slug: &str, name: &str, from: IpAddr) -> CoreResult<Channel> {
        let (org, ChannelAccess { role, channel }) = self.channel_named(user, slug, name).await?;
        access::join_channel(role, channel.kind, channel.joined)?;
        let was_in = channel.joined;
        let channel = self.change_membership(user, &org.slug, channel, true).await?;
        if !was_in {
            let subject = channel.subject();
            let (action, detail) = (AuditAction::ChannelJoined, channel.kind.as_str());
            self.audit(user, from, Audited { org_id: Some(org.id), action, subject: &subject, detail }).await;
        }
        Ok(channel)
    }

    /// Leaves a channel.
    pub async fn leave_channel(&self, user: &User, slug: &str, name: &str, from: IpAddr) -> CoreResult<Channel> {
        let (org, ChannelAccess { role, channel }) = self.channel_named(user, slug, name).await?;
        access::leave_channel(role, channel.kind, channel.joined)?;
        let was_in = channel.joined;
        let channel = self.change_membership(user, &org.slug, channel, false).await?;
        if was_in {
            let subject = channel.subject();
            let (action, detail) = (AuditAction::ChannelLeft, channel.kind.as_str());
            self.audit(user, from, Audited { org_id: Some(org.id), action, subject: &subject, detail }).await;
        }
        Ok(channel)
    }

    /// Joins (`join`) or leaves a channel in its turn, with its event if that
    /// changed anything; the channel as the user now stands in it.
    async fn change_membership(
        &self,
        user: &User,
        org_slug: &str,
        channel: Channel,
        join: bool,
    ) -> CoreResult<Channel> {
        // Out of a private channel is out of sight of it (a supervisor
        // channel stays in sight of a supervisor who leaves it: only a
        // change of role takes it away, `leave_unseen`).
        let publish = match (join, channel.kind) {
            (false, ChannelKind::Private) => ChannelEvent::LostSight,
            _ => ChannelEvent::Message,
        };
        self.change_membership_as(user, org_slug, channel, join, publish).await
    }

    /// [`Service::change_membership`], its event published as `publish` makes it.
    pub(super) async fn change_membership_as(
        &self,
        user: &User,
        org_slug: &str,
        mut channel: Channel,
        join: bool,
        publish: fn(Message) -> ChannelEvent,
    ) -> CoreResult<Channel> {
        let (store, id, member) = (self.store.clone(), channel.id, user.clone());
        let what = if join { "joining channel" } else { "leaving channel" };
        let write = async move {
            if join {
                store.join_channel(id, &member, server_event_id()).await
            } else {
                store.leave_channel(id, &member, server_event_id()).await
            }
        };
        let event = self.write_event_as(org_slug, id, what, publish, write).await?;
        if let Some(event) = &event {
            tracing::info!(user_id = user.id, channel_id = id, seq = event.seq, join, "channel membership changed");
            channel.last_seq = event.seq;
        }
        channel.joined = join;
        if !join {
            (channel.last_read_seq, channel.unread) = (0, 0);
        } else if let Some(event) = event {
            // What came before joining counts as read.
            channel.last_read_seq = event.seq;
        }
        Ok(channel)
    }

    /// Stores a message in channel `channel` (by name) and publishes it, as a
    /// socket's `send` does.
    pub async fn send_message(
        &self,
        user: &User,
        slug: &str,
        channel: &str,
        client_id: &str,
        body: &str,
    ) -> CoreResult<Message> {
        let (org, ChannelAccess { role, channel }) = self.channel_named(user, slug, channel).await?;
        let (message, _created) = self.post_message(user, org.id, &org.slug, role, channel.id, client_id, body).await?;
        Ok(message)
    }

    /// Up to `limit` messages with `seq < before_seq` (the newest when
    /// `None`), oldest first.
    pub async fn history(
        &self,
        user: &User,
        slug: &str,
        name: &str,
        before_seq: Option<i64>,
        limit: i64,
    ) -> CoreResult<History> {
        let (_org, ChannelAccess { channel, .. }) = self.channel_named(user, slug, name).await?;
        let limit = limit.clamp(1, MAX_HISTORY_PAGE);
        let (messages, has_more) =
            self.store.history(channel.id, before_seq, limit).await.map_err(fail("reading history"))?;
        Ok(History { channel, messages, has_more })
    }
}
