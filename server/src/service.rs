//! The application service: Confab's use cases over the store, the credential
//! helpers and the access rules. Server functions reach it through the
//! [`app::backend::Backend`] trait; Socket.IO handlers call it directly. Every
//! storage failure is logged here with its context and turned into an
//! [`ApiError`] a person can read.

use app::backend::{Backend, NewSession};
use app::errors::{ApiError, ErrorCode};
use app::protocol::*;
use app::validate;

use tokio::sync::broadcast;

use crate::access;
use crate::auth;
use crate::hash_gate::{GateError, HashGate};
use crate::store::{ChannelRow, OrgRow, Store, StoreError};

/// Session lifetime: 30 days.
const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;
/// Invite link lifetime: 7 days.
const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "confab_session";

/// Logs a storage failure with what was being done, and says it plainly.
fn fail(what: &'static str) -> impl FnOnce(StoreError) -> ApiError {
    move |e| match e {
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %e, "{what}: database unavailable");
            ApiError::unavailable()
        }
        _ => {
            tracing::error!(error = %e, "{what} failed");
            ApiError::internal()
        }
    }
}

/// A session that has ended (its user signed out): its live connections close.
#[derive(Clone, Debug)]
pub struct EndedSession {
    pub user_id: i64,
    pub token_hash: String,
}

/// Confab's use cases; cheap to clone.
#[derive(Clone)]
pub struct Service {
    /// Where everything is stored.
    store: Store,
    /// Whether cookies are marked `Secure` (the site is served over HTTPS).
    secure_cookies: bool,
    /// Where password hashing waits its turn.
    hashing: HashGate,
    /// Announces each ended session to whoever holds its live connections.
    ended: broadcast::Sender<EndedSession>,
}

/// A channel looked up for a user, with the user's role in its organization.
pub struct ChannelAccess {
    pub role: Role,
    pub channel: ChannelRow,
}

impl Service {
    pub fn new(store: Store, secure_cookies: bool) -> Self {
        let (ended, _) = broadcast::channel(256);
        Service { store, secure_cookies, hashing: HashGate::for_this_machine(), ended }
    }

    /// Sessions as they end, from now on.
    pub fn ended_sessions(&self) -> broadcast::Receiver<EndedSession> {
        self.ended.subscribe()
    }

    /// Runs argon2 off the async threads, a few at a time.
    async fn hash<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        self.hashing.run(f).await.map_err(|e| match e {
            GateError::Busy => {
                tracing::warn!("password hashing is saturated; turning a request away");
                ApiError::new(
                    ErrorCode::RateLimited,
                    "Too many people are signing in right now; please try again in a moment.",
                )
            }
            GateError::Failed(e) => {
                tracing::error!(error = %e, "password hashing task failed");
                ApiError::internal()
            }
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The organization and the user's role in it; outsiders get "not found".
    pub async fn org_for(&self, user: &User, slug: &str) -> Result<(OrgRow, Role), ApiError> {
        let org = self.store.org_by_slug(slug).await.map_err(fail("looking up organization"))?;
        let Some(org) = org else {
            return Err(access::member(None).unwrap_err());
        };
        let role = self.store.role_in(org.id, user.id).await.map_err(fail("looking up membership"))?;
        Ok((org, access::member(role)?))
    }

    /// Whether `user` belongs to the organization `slug` (Socket.IO middleware).
    pub async fn membership(&self, user: &User, slug: &str) -> Result<(OrgRow, Role), ApiError> {
        self.org_for(user, slug).await
    }

    async fn channel_named(&self, user: &User, slug: &str, name: &str) -> Result<(OrgRow, ChannelAccess), ApiError> {
        let (org, role) = self.org_for(user, slug).await?;
        let name = validate::channel_name(name)?;
        let channel = self
            .store
            .channel_by_name(org.id, &name, user.id)
            .await
            .map_err(fail("looking up channel"))?
            .ok_or_else(|| ApiError::not_found(format!("There is no channel #{name} here.")))?;
        access::read_channel(role, channel.kind)?;
        Ok((org, ChannelAccess { role, channel }))
    }

    /// The newest `seq` of a channel the caller already may read.
    pub async fn last_seq(&self, channel_id: i64) -> Result<i64, ApiError> {
        self.store.last_seq(channel_id).await.map_err(fail("reading a channel's last seq"))
    }

    /// A channel of organization `org_id` by id, if `user` may read it.
    pub async fn readable_channel(
        &self,
        user: &User,
        org_id: i64,
        role: Role,
        channel_id: i64,
    ) -> Result<ChannelRow, ApiError> {
        let channel = self
            .store
            .channel_by_id(channel_id, user.id)
            .await
            .map_err(fail("looking up channel"))?
            .filter(|c| c.org_id == org_id)
            .ok_or_else(|| ApiError::not_found("There is no such channel in this organization."))?;
        access::read_channel(role, channel.kind)?;
        Ok(channel)
    }

    /// Validates, authorizes and stores a message; a retry with the same
    /// `client_id` returns the stored original. `.1` is false for a retry.
    pub async fn post_message(
        &self,
        user: &User,
        org_id: i64,
        role: Role,
        req: &events::SendRequest,
    ) -> Result<(ChatMessage, bool), ApiError> {
        let client_id = validate::client_id(&req.client_id)?;
        let body = validate::message_body(&req.body)?;
        let channel = self.readable_channel(user, org_id, role, req.channel_id).await?;
        access::post(role, channel.kind, channel.joined)?;
        let stored =
            self.store.insert_message(channel.id, client_id, user, &body).await.map_err(fail("storing message"))?;
        Ok((stored.message, stored.created))
    }

    async fn new_session(&self, user: User) -> Result<(User, NewSession), ApiError> {
        let token = auth::new_token();
        self.store
            .create_session(&auth::token_hash(&token), user.id, SESSION_TTL_SECS * 1000)
            .await
            .map_err(fail("creating session"))?;
        Ok((user, NewSession { token, max_age_secs: SESSION_TTL_SECS }))
    }
}

fn channel(row: ChannelRow) -> Channel {
    Channel { id: row.id, name: row.name, kind: row.kind, joined: row.joined, last_seq: row.last_seq }
}

#[async_trait::async_trait]
impl Backend for Service {
    fn session_cookie_name(&self) -> &'static str {
        SESSION_COOKIE
    }

    fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    async fn register(&self, username: &str, password: &str) -> Result<(User, NewSession), ApiError> {
        let username = validate::username(username)?;
        let password = validate::password(password)?.to_owned();
        let hash = self.hash(move || auth::hash_password(&password)).await?.map_err(|e| {
            tracing::error!(error = %e, "hashing password");
            ApiError::internal()
        })?;
        let user = match self.store.create_user(&username, &hash).await {
            Ok(user) => user,
            Err(StoreError::Conflict(_)) => {
                return Err(ApiError::conflict(format!("The username {username} is taken; please choose another.")));
            }
            Err(e) => return Err(fail("creating user")(e)),
        };
        tracing::info!(user_id = user.id, "account created");
        self.new_session(user).await
    }

    async fn login(&self, username: &str, password: &str) -> Result<(User, NewSession), ApiError> {
        if username.trim().is_empty() || password.is_empty() {
            return Err(ApiError::invalid("Please enter your username and password."));
        }
        if password.len() > 1024 || username.len() > 256 {
            return Err(ApiError::bad_credentials());
        }
        let row = self.store.user_by_name(username.trim()).await.map_err(fail("looking up user"))?;
        let password = password.to_owned();
        let (user, hash) = match row {
            Some(row) => (Some(row.public()), Some(row.password_hash)),
            None => (None, None),
        };
        // An unknown name costs as much as a wrong password.
        let ok = self
            .hash(move || match hash {
                Some(hash) => auth::verify_password(&password, &hash),
                None => auth::verify_password(&password, auth::dummy_hash()),
            })
            .await?;
        match user {
            Some(user) if ok => {
                tracing::info!(user_id = user.id, "signed in");
                self.new_session(user).await
            }
            _ => Err(ApiError::bad_credentials()),
        }
    }

    async fn logout(&self, token: &str) -> Result<(), ApiError> {
        let token_hash = auth::token_hash(token);
        let user_id = self.store.delete_session(&token_hash).await.map_err(fail("revoking session"))?;
        if let Some(user_id) = user_id {
            tracing::info!(user_id, "signed out");
            // Nobody listening (no live server) is fine.
            let _ = self.ended.send(EndedSession { user_id, token_hash });
        }
        Ok(())
    }

    async fn session_user(&self, token: &str) -> Result<Option<User>, ApiError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        self.store.session_user(&auth::token_hash(token)).await.map_err(fail("checking session"))
    }

    async fn list_orgs(&self, user: &User) -> Result<Vec<OrgSummary>, ApiError> {
        self.store.orgs_of(user.id).await.map_err(fail("listing organizations"))
    }

    async fn create_org(&self, user: &User, name: &str, slug: &str) -> Result<OrgSummary, ApiError> {
        let name = validate::org_name(name)?;
        let slug = validate::org_slug(slug)?;
        match self.store.create_org(user.id, &name, &slug).await {
            Ok(org) => {
                tracing::info!(user_id = user.id, org = %org.slug, "organization created");
                Ok(org)
            }
            Err(StoreError::Conflict(_)) => {
                Err(ApiError::conflict(format!("The URL name {slug} is taken; please choose another.")))
            }
            Err(e) => Err(fail("creating organization")(e)),
        }
    }

    async fn org_view(&self, user: &User, slug: &str) -> Result<OrgView, ApiError> {
        let (org, role) = self.org_for(user, slug).await?;
        let channels = self.list_channels(user, slug).await?;
        let member_count = self.store.member_count(org.id).await.map_err(fail("counting members"))?;
        Ok(OrgView { org: OrgSummary { id: org.id, slug: org.slug, name: org.name, role }, channels, member_count })
    }

    async fn create_invite(&self, user: &User, slug: &str) -> Result<Invite, ApiError> {
        let (org, role) = self.org_for(user, slug).await?;
        access::invite(role)?;
        let token = auth::new_token();
        let expires_at = self
            .store
            .create_invite(&auth::token_hash(&token), org.id, user.id, INVITE_TTL_MS)
            .await
            .map_err(fail("creating invite"))?;
        tracing::info!(user_id = user.id, org = %org.slug, "invite created");
        Ok(Invite { path: format!("/invite/{token}"), token, expires_at })
    }

    async fn invite_preview(&self, user: &User, token: &str) -> Result<InvitePreview, ApiError> {
        let invite =
            self.store.invite(&auth::token_hash(token)).await.map_err(fail("looking up invite"))?.ok_or_else(|| {
                ApiError::not_found("This invite link is not valid or has expired. Ask for a new one.")
            })?;
        let role = self.store.role_in(invite.org_id, user.id).await.map_err(fail("looking up membership"))?;
        Ok(InvitePreview {
            org_name: invite.org_name,
            org_slug: invite.org_slug,
            invited_by: invite.invited_by,
            already_member: role.is_some(),
        })
    }

    async fn accept_invite(&self, user: &User, token: &str) -> Result<OrgSummary, ApiError> {
        let invite =
            self.store.invite(&auth::token_hash(token)).await.map_err(fail("looking up invite"))?.ok_or_else(|| {
                ApiError::not_found("This invite link is not valid or has expired. Ask for a new one.")
            })?;
        self.store.add_member(invite.org_id, user.id, Role::Member).await.map_err(fail("adding member"))?;
        let role = self.store.role_in(invite.org_id, user.id).await.map_err(fail("looking up membership"))?;
        tracing::info!(user_id = user.id, org = %invite.org_slug, "joined organization by invite");
        Ok(OrgSummary {
            id: invite.org_id,
            slug: invite.org_slug,
            name: invite.org_name,
            role: role.unwrap_or(Role::Member),
        })
    }

    async fn create_channel(&self, user: &User, slug: &str, name: &str) -> Result<Channel, ApiError> {
        let (org, _role) = self.org_for(user, slug).await?;
        let name = validate::channel_name(name)?;
        match self.store.create_channel(org.id, &name, ChannelKind::Public, user.id).await {
            Ok(row) => {
                tracing::info!(user_id = user.id, org = %org.slug, channel_id = row.id, "channel created");
                Ok(channel(row))
            }
            Err(StoreError::Conflict(_)) => Err(ApiError::conflict(format!("There is already a channel #{name}."))),
            Err(e) => Err(fail("creating channel")(e)),
        }
    }

    async fn list_channels(&self, user: &User, slug: &str) -> Result<Vec<Channel>, ApiError> {
        let (org, role) = self.org_for(user, slug).await?;
        let rows = self.store.channels_of(org.id, user.id).await.map_err(fail("listing channels"))?;
        Ok(rows.into_iter().filter(|c| access::read_channel(role, c.kind).is_ok()).map(channel).collect())
    }

    async fn join_channel(&self, user: &User, slug: &str, name: &str) -> Result<Channel, ApiError> {
        let (_org, ChannelAccess { role, mut channel }) = self.channel_named(user, slug, name).await?;
        access::join_channel(role, channel.kind)?;
        self.store.join_channel(channel.id, user.id).await.map_err(fail("joining channel"))?;
        tracing::info!(user_id = user.id, channel_id = channel.id, "joined channel");
        channel.joined = true;
        Ok(self::channel(channel))
    }

    async fn leave_channel(&self, user: &User, slug: &str, name: &str) -> Result<Channel, ApiError> {
        let (_org, ChannelAccess { mut channel, .. }) = self.channel_named(user, slug, name).await?;
        self.store.leave_channel(channel.id, user.id).await.map_err(fail("leaving channel"))?;
        tracing::info!(user_id = user.id, channel_id = channel.id, "left channel");
        channel.joined = false;
        Ok(self::channel(channel))
    }

    async fn history(
        &self,
        user: &User,
        slug: &str,
        name: &str,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<HistoryPage, ApiError> {
        let (_org, ChannelAccess { channel, .. }) = self.channel_named(user, slug, name).await?;
        let limit = limit.clamp(1, HISTORY_PAGE_SIZE * 4);
        let (messages, has_more) =
            self.store.history(channel.id, before_seq, limit).await.map_err(fail("reading history"))?;
        Ok(HistoryPage { channel: self::channel(channel), messages, has_more })
    }
}
