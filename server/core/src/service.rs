//! The application service: Confab's use cases over the store, the credential
//! helpers and the access rules, called directly by the server functions and
//! the Socket.IO handlers alike. One file per domain below; this one holds
//! the [`Service`] itself and what every domain shares: how a storage
//! failure is told, how a change to a channel is written and published, and
//! how a change runs to its end whoever stops waiting for it.
//!
//! Every use case in an organization takes the caller's [`Standing`] (who,
//! where, with which role), resolved once per request or live event; every
//! input is checked here (the rules are the authority, whatever the browser
//! checked before); every decision is asked of [`access`].

use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::broadcast;

use crate::access;
use crate::auth::{self, Hasher};
use crate::channel_events::{ChannelEvent, ChannelEvents, Feed, Step};
use crate::error::{CoreError, CoreResult};
use crate::hash_pool::{HashPool, PoolError};
use crate::login_throttle::LoginThrottle;
use crate::model::{Channel, Message};
use crate::shared_limits::SharedLimits;
use crate::store::{Store, StoreError, StoreResult};

mod api_tokens;
mod audit;
mod channel_people;
mod channels;
mod direct;
mod files;
mod invites;
mod members;
mod mentions;
mod message_deletion;
mod message_edits;
mod messages;
mod notices;
mod organizations;
mod pins;
mod push;
mod reactions;
mod read_cursors;
mod receipts;
mod roles;
mod search;
mod sessions;
mod sight;
mod standing;
mod threads;

pub use files::Download;
pub use mentions::OnlineNow;
pub use message_edits::MessageHistory;
pub use messages::{Draft, MAX_HISTORY_PAGE, Posted};
pub use notices::UserNotice;
pub use receipts::{MAX_RECEIPTS_UP_TO, ReadMoved};
pub use search::{MAX_SEARCH_OFFSET, SEARCH_PAGE, SEARCHES_PER_SECOND};
pub use standing::{ChannelAccess, Seat, SessionChannel, Standing};
pub use threads::MAX_THREAD_PAGE;

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

/// Confab's use cases; cheap to clone.
#[derive(Clone)]
pub struct Service {
    /// Where everything is stored.
    store: Store,
    /// Where password hashing waits its turn.
    hashing: HashPool,
    /// Failed sign-ins, to slow guessing.
    throttle: Arc<LoginThrottle>,
    /// Messages per user per second, on this server.
    message_rate: Arc<DefaultKeyedRateLimiter<i64>>,
    /// Each person's searches (a few a second).
    search_rate: Arc<DefaultKeyedRateLimiter<i64>>,
    /// The same limits across the servers of a cluster, if any.
    shared_limits: Option<Arc<dyn SharedLimits>>,
    /// Announces each ended access to whoever holds its live connections.
    revoked: broadcast::Sender<Revoked>,
    /// Announces what each person's devices should hear (read cursors).
    notices: broadcast::Sender<UserNotice>,
    /// Announces read cursors moving where channels show read receipts.
    read_moves: broadcast::Sender<ReadMoved>,
    /// Every change to a channel, in `seq` order, after commit.
    events: ChannelEvents,
    /// Who is online, as the live layer knows it (for `@here`).
    presence: Arc<std::sync::OnceLock<Arc<dyn OnlineNow>>>,
    /// Where files' bytes are kept (none: this service takes no files).
    files: Option<files::FileStore>,
    /// Sends push notifications, once enabled.
    push: Arc<std::sync::OnceLock<crate::push::Pusher>>,
}

impl Service {
    /// `messages_per_second` is each user's sending rate (twice that in a burst).
    pub fn new(store: Store, messages_per_second: u32) -> Self {
        let (revoked, _) = broadcast::channel(1024);
        let (notices, _) = broadcast::channel(4096);
        let (read_moves, _) = broadcast::channel(1024);
        let rate = NonZeroU32::new(messages_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Service {
            store,
            hashing: HashPool::for_this_machine(),
            throttle: Arc::default(),
            message_rate: Arc::new(RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))),
            search_rate: Arc::new(RateLimiter::keyed(search::rate(search::SEARCHES_PER_SECOND))),
            shared_limits: None,
            revoked,
            notices,
            read_moves,
            events: ChannelEvents::default(),
            presence: Arc::default(),
            files: None,
            push: Arc::default(),
        }
    }

    /// Each person may search `per_second` times a second (twice as many at once).
    pub fn with_search_rate(mut self, per_second: u32) -> Self {
        self.search_rate = Arc::new(RateLimiter::keyed(search::rate(per_second)));
        self
    }

    /// The limits also count what each person does on the other servers of
    /// a cluster (`limits`).
    pub fn with_shared_limits(mut self, limits: Arc<dyn SharedLimits>) -> Self {
        self.shared_limits = Some(limits);
        self
    }

    /// Every channel event published from now on, in `seq` order per channel.
    pub fn channel_events(&self) -> tokio::sync::mpsc::Receiver<Feed> {
        self.events.subscribe()
    }

    /// Every channel event and change of sight published from now on, in
    /// order per channel, for telling other servers: a receiver that falls
    /// more than `capacity` behind misses some (never holding writers up).
    pub fn channel_hints(&self, capacity: usize) -> tokio::sync::mpsc::Receiver<Feed> {
        self.events.subscribe_hints(capacity)
    }

    /// Access as it ends, from now on.
    pub fn revocations(&self) -> broadcast::Receiver<Revoked> {
        self.revoked.subscribe()
    }

    /// What each person's devices should hear, from now on (best effort: a
    /// listener that falls behind misses some, which are read again from
    /// each person's stream, [`Service::notices_after`]).
    pub fn user_notices(&self) -> broadcast::Receiver<UserNotice> {
        self.notices.subscribe()
    }

    /// Read cursors as they move in channels that show read receipts, from
    /// now on (best effort: a listener that falls behind misses some).
    pub fn read_moves(&self) -> broadcast::Receiver<ReadMoved> {
        self.read_moves.subscribe()
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
    /// frees the files nobody sent or refers to any more, and lets go of
    /// rate counts nobody needs any more.
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
        self.free_unused_files().await;
        for rate in [&self.message_rate, &self.search_rate] {
            rate.retain_recent();
            rate.shrink_to_fit();
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

    /// Runs `work` (a change and the audit entry that records it) to its end
    /// in a task of its own: a caller that stops waiting (an HTTP client
    /// hanging up) can neither stop a change half-way nor leave it without
    /// its entry. `what` names it in the log if the task fails.
    async fn to_the_end<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl Future<Output = CoreResult<T>> + Send + 'static,
    ) -> CoreResult<T> {
        tokio::spawn(work).await.map_err(|e| {
            tracing::error!(error = %e, "{what}: its task failed");
            CoreError::Internal
        })?
    }

    /// Reads a channel as of one point of its event stream (nothing is
    /// published to it while `read` runs) and puts the step `read` returns
    /// into the stream at that point.
    pub async fn at_channel_point<T>(&self, channel_id: i64, read: impl Future<Output = (T, Option<Step>)>) -> T {
        self.events.at_point(channel_id, read).await
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
}

/// A `client_id` for an event the server writes (a member joining or
/// leaving): random, so it never meets a client's.
fn server_event_id() -> String {
    format!("server:{}", &auth::new_token()[..32])
}

/// Whether `access` lets its holder see `channel` (a filter for lists).
fn in_sight(role: crate::kinds::Role) -> impl Fn(&Channel) -> bool {
    move |c| access::sees(role, c.kind, c.joined)
}
