//! The cluster's feed over Redis pub/sub: every server publishes what its
//! writers published (channel events, changes of sight) and what concerns
//! people's sockets (ended access, notices, typing) on one Redis channel,
//! and hears what the others published there.
//!
//! Redis pub/sub delivers at most once: a message published while a server
//! is cut off from Redis, or beyond what it has room for
//! (`--cluster-buffer`), never reaches it. That is allowed here, because
//! every event is in the database and each server reads what it missed from
//! there: each loss it can see (a full buffer, a lost connection, a
//! reconnection) is reported on [`Inbox::lost`], and its delivery checks
//! every channel it follows against the database. Publishing never holds
//! writers up: with Redis away, what could not be published is dropped
//! (and read from the database by the others).
//!
//! One connection (redis-rs's `ConnectionManager`, RESP3) both publishes and
//! receives; it reconnects by itself and subscribes again after a
//! reconnection, and a ping each second keeps it trying while Redis is away.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::protocol::events;
use confab_core::Service;
use confab_core::channel_events::{Feed, OutOfSight, Published};
use confab_core::service::{ReadMoved, Revoked, UserNotice};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, Value};
use tokio::sync::{Notify, broadcast, mpsc};
use tokio::task::JoinHandle;

use super::envelope::{Body, Envelope};
use super::limits::RedisLimits;
use super::sockets::ClusterSockets;
use confab_core::held_counts::HeldCounts;
use confab_core::shared_limits::SharedLimits;

/// The Redis channel every server publishes on and listens to.
pub(crate) const CHANNEL: &str = "confab:feed";

/// How often the connection is checked (and, with Redis away, tried again).
const PING_EVERY: Duration = Duration::from_secs(1);

/// The most messages published in one round trip.
const PUBLISH_BATCH: usize = 256;

/// How long Redis may take to answer before a command counts as failed.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// A channel's event or change of sight another server published.
#[derive(Debug)]
pub(crate) enum Remote {
    Event(Published),
    OutOfSight(OutOfSight),
}

/// What concerns people's sockets on every server.
#[derive(Debug)]
pub(crate) enum ForPeople {
    /// Access ended: the sockets that relied on it close.
    Revoked(Revoked),
    /// A notice for all devices of each of these people (`to`: each one's
    /// user id and the notice's `seq` in their stream).
    Notice { org_slug: String, to: Vec<(i64, i64)>, news: events::News },
    /// Someone is typing in a channel.
    Typing { org_slug: String, typing: events::Typing },
    /// Someone read a channel that shows read receipts up to a point.
    ReadBy { org_slug: String, read_by: events::ReadBy },
    /// Someone came online on server `node`, or went.
    Presence { node: u64, org_slug: String, user_id: i64, online: bool },
    /// Everyone online on server `node` (its heartbeat).
    PresenceAll { node: u64, online: HashMap<String, Vec<i64>> },
}

impl ForPeople {
    /// A notice of this server's, in the form every server delivers.
    pub(crate) fn notice(n: UserNotice) -> ForPeople {
        ForPeople::Notice { org_slug: n.org_slug, to: n.to, news: n.news.into() }
    }

    /// A read receipt of this server's, in the form every server delivers.
    pub(crate) fn read_by(moved: ReadMoved) -> ForPeople {
        ForPeople::ReadBy { read_by: read_by(&moved), org_slug: moved.org_slug }
    }
}

fn read_by(moved: &ReadMoved) -> events::ReadBy {
    let ReadMoved { channel_id, position, .. } = moved;
    events::ReadBy { channel_id: *channel_id, user_id: position.user_id, last_read_seq: position.last_read_seq }
}

/// What this server hears from the others.
pub(crate) struct Inbox {
    /// Their channel events, in the order Redis delivered them.
    pub(crate) remote: mpsc::Receiver<Remote>,
    /// Told when something may have been missed (a full buffer, a lost or
    /// renewed connection).
    pub(crate) lost: Arc<Lost>,
    /// What concerns people's sockets here (best effort: a socket whose
    /// access ended and that missed word of it closes at its next event).
    pub(crate) people: mpsc::Receiver<ForPeople>,
}

/// Word that something from the other servers may have been missed, for
/// each of those who handle it here.
#[derive(Default)]
pub(crate) struct Lost {
    /// Channel events: every followed channel is then checked.
    pub(crate) events: Notify,
    /// Notices: the stream of every person with sockets here is checked.
    pub(crate) notices: Notify,
}

impl Lost {
    fn everything(&self) {
        self.events.notify_one();
        self.notices.notify_one();
    }
}

/// The other servers of a cluster: this server's end of the feed, what it
/// hears, and what it has yet to tell.
pub(crate) struct Cluster {
    pub(crate) feed: ClusterFeed,
    pub(crate) inbox: Inbox,
    outbox: mpsc::Receiver<Body>,
}

/// Why the cluster's feed could not be set up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FeedError {
    #[error("--redis-url: {0}")]
    Url(#[source] redis::RedisError),
}

/// Channel events waiting to be told to the other servers; past that,
/// they read them from the database instead.
const HINTS_QUEUE: usize = 8192;

impl Cluster {
    /// Starts telling the others what happens here (channel events, ended
    /// access, notices) and keeping the connection up; the tasks run until
    /// the server stops. What is left: this server's end, to tell typing,
    /// and what it hears.
    pub(crate) fn start(self, service: &Service) -> (ClusterFeed, Inbox, Vec<JoinHandle<()>>) {
        let Cluster { feed, inbox, outbox } = self;
        let tasks = vec![
            tokio::spawn(feed.clone().publish(service.channel_hints(HINTS_QUEUE), outbox)),
            tokio::spawn(feed.clone().keep_up(inbox.lost.clone())),
            tokio::spawn(feed.clone().tell_revocations(service.revocations())),
            tokio::spawn(feed.clone().tell_notices(service.user_notices())),
            tokio::spawn(feed.clone().tell_read_moves(service.read_moves())),
        ];
        (feed, inbox, tasks)
    }
}

/// This server's end of the feed; cheap to clone.
#[derive(Clone)]
pub(crate) struct ClusterFeed {
    node: u64,
    conn: ConnectionManager,
    /// What is to be told besides channel events; full, it drops.
    outbox: mpsc::Sender<Body>,
}

/// What may wait to be told besides channel events.
const OUTBOX: usize = 4096;

impl ClusterFeed {
    /// Sets up the connection to `url` (made in the background: a server
    /// starts while Redis is away, and catches up once it is back), with
    /// room for `buffer` messages from others waiting to be delivered.
    pub(crate) fn connect(url: &str, buffer: usize) -> Result<Cluster, FeedError> {
        let info = url.into_connection_info().map_err(FeedError::Url)?;
        let resp3 = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(resp3)).map_err(FeedError::Url)?;
        // Random for each start, so a restarted server is a new one.
        let node = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        let (tx, remote) = mpsc::channel(buffer.max(1));
        let (for_people, people) = mpsc::channel(buffer.max(1));
        let lost = Arc::new(Lost::default());
        let dropped = Arc::new(AtomicU64::new(0));
        let receiver = Receiver { node, tx, for_people, lost: lost.clone(), dropped };
        let config = ConnectionManagerConfig::new()
            .set_push_sender(move |info: PushInfo| -> Result<(), ()> {
                receiver.push(info);
                Ok(())
            })
            .set_automatic_resubscription()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_max_delay(PING_EVERY)
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(FeedError::Url)?;
        let (outbox, waiting) = mpsc::channel(OUTBOX);
        Ok(Cluster { feed: ClusterFeed { node, conn, outbox }, inbox: Inbox { remote, lost, people }, outbox: waiting })
    }

    /// The per-person limits, counted in Redis for every server
    /// (`per_second` messages a second per person).
    pub(crate) fn limits(&self, per_second: u32) -> Arc<dyn SharedLimits> {
        Arc::new(RedisLimits::new(self.conn.clone(), per_second))
    }

    /// The sockets each person holds on every server, kept from this
    /// server's `counts` by a task that runs until the server stops.
    pub(crate) fn sockets(&self, counts: HeldCounts<i64>) -> (ClusterSockets, JoinHandle<()>) {
        ClusterSockets::start(self.conn.clone(), self.node, counts)
    }

    /// Tells the others someone is typing (dropped if the feed is behind).
    pub(crate) fn tell_typing(&self, org_slug: &str, typing: &events::Typing) {
        let _ = self.outbox.try_send(Body::Typing { org: org_slug.to_owned(), typing: typing.clone() });
    }

    /// Tells the others someone came online here, or went.
    pub(crate) fn tell_presence(&self, org_slug: &str, user_id: i64, online: bool) {
        self.tell(Body::Presence { org: org_slug.to_owned(), user_id, online });
    }

    /// Tells the others everyone online here.
    pub(crate) fn tell_presence_all(&self, online: HashMap<String, Vec<i64>>) {
        self.tell(Body::PresenceAll { online });
    }

    /// Tells the others of every access that ends here, until the server stops.
    async fn tell_revocations(self, mut revoked: broadcast::Receiver<Revoked>) {
        loop {
            match revoked.recv().await {
                Ok(r) => self.tell(Body::revoked(&r)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Tells the others of every notice made here, until the server stops.
    async fn tell_notices(self, mut notices: broadcast::Receiver<UserNotice>) {
        loop {
            match notices.recv().await {
                Ok(n) => self.tell(Body::notice(&n)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Tells the others of every read receipt made here, until the server
    /// stops (one dropped shows when the positions are read again).
    async fn tell_read_moves(self, mut moves: broadcast::Receiver<ReadMoved>) {
        loop {
            match moves.recv().await {
                Ok(moved) => {
                    let _ =
                        self.outbox.try_send(Body::ReadBy { org: moved.org_slug.clone(), read_by: read_by(&moved) });
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    fn tell(&self, body: Body) {
        if self.outbox.try_send(body).is_err() {
            tracing::debug!("the cluster's feed is behind: a notice for the other servers was dropped");
        }
    }

    /// Keeps the subscription and the connection up, until the server stops:
    /// pings each second, subscribes until subscribed, says when Redis goes
    /// and comes back (and reports the time away as a loss).
    async fn keep_up(self, lost: Arc<Lost>) {
        let mut conn = self.conn.clone();
        let (mut subscribed, mut up) = (false, true);
        let mut tick = tokio::time::interval(PING_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let alive = if subscribed {
                redis::cmd("PING").query_async::<()>(&mut conn).await
            } else {
                conn.subscribe(CHANNEL).await
            };
            match alive {
                Ok(()) => {
                    if !up {
                        tracing::info!("Redis is back: the cluster's feed resumes");
                        lost.everything();
                    }
                    (subscribed, up) = (true, true);
                }
                Err(e) => {
                    if up {
                        tracing::warn!(error = %e, "Redis unreachable: messages are still stored and delivered on this server; the other servers read them from the database");
                        lost.everything();
                    }
                    up = false;
                }
            }
        }
    }

    /// Publishes what this server's writers publish, in their order, until
    /// the server stops: as many as are waiting in one round trip. What
    /// cannot be published (Redis away) is dropped.
    async fn publish(self, mut hints: mpsc::Receiver<Feed>, mut outbox: mpsc::Receiver<Body>) {
        let mut conn = self.conn.clone();
        let mut failing = false;
        let (mut events, mut others) = (Vec::with_capacity(PUBLISH_BATCH), Vec::with_capacity(PUBLISH_BATCH));
        loop {
            tokio::select! {
                n = hints.recv_many(&mut events, PUBLISH_BATCH) => if n == 0 { return },
                n = outbox.recv_many(&mut others, PUBLISH_BATCH) => if n == 0 { return },
            }
            let mut pipe = redis::pipe();
            let bodies = events.drain(..).filter_map(|feed| match &feed {
                Feed::Event(published) => Some(Body::published(published)),
                Feed::OutOfSight(gone) => Some(Body::out_of_sight(gone)),
                Feed::Step(_) => None,
            });
            for body in bodies.chain(others.drain(..)) {
                match serde_json::to_vec(&Envelope { node: self.node, body }) {
                    Ok(json) => {
                        pipe.publish(CHANNEL, json).ignore();
                    }
                    Err(e) => tracing::error!(error = %e, "a message for the cluster's feed was not serialized"),
                }
            }
            match pipe.query_async::<()>(&mut conn).await {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "publishing to the cluster's feed failed: the other servers read these events from the database");
                }
                Err(_) => {}
            }
        }
    }
}

/// Turns what Redis pushes into [`Remote`]s for delivery and
/// [`ForPeople`] for the sockets of the people concerned.
struct Receiver {
    node: u64,
    tx: mpsc::Sender<Remote>,
    for_people: mpsc::Sender<ForPeople>,
    lost: Arc<Lost>,
    /// Messages dropped for want of room, for the log.
    dropped: Arc<AtomicU64>,
}

impl Receiver {
    fn push(&self, info: PushInfo) {
        match info.kind {
            PushKind::Message => {
                let Some(remote) = self.decode(&info.data) else { return };
                let remote = match remote {
                    Decoded::Channel(remote) => remote,
                    Decoded::People(it) => {
                        if self.for_people.try_send(it).is_err() {
                            tracing::debug!("the cluster's feed is ahead here: a notice for people was dropped");
                            self.lost.notices.notify_one();
                        }
                        return;
                    }
                };
                if self.tx.try_send(remote).is_err() {
                    let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                    if dropped.is_power_of_two() {
                        tracing::warn!(
                            dropped,
                            "the cluster's feed is ahead of delivery here: events are read from the database instead"
                        );
                    }
                    self.lost.events.notify_one();
                }
            }
            // The connection went (and will come back, subscribed again):
            // whatever was published meanwhile never reaches this server.
            PushKind::Disconnection | PushKind::Subscribe => self.lost.everything(),
            _ => {}
        }
    }

    /// A message from another server, or `None` (one of ours, another
    /// channel's, or one this build cannot read).
    fn decode(&self, data: &[Value]) -> Option<Decoded> {
        let [Value::BulkString(channel), Value::BulkString(payload)] = data else { return None };
        if channel.as_slice() != CHANNEL.as_bytes() {
            return None;
        }
        let envelope: Envelope = match serde_json::from_slice(payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(error = %e, "a message on the cluster's feed could not be read: skipped");
                self.lost.everything();
                return None;
            }
        };
        if envelope.node == self.node {
            return None;
        }
        Some(match envelope.body {
            Body::Event { org, lost_sight, event } => {
                let Some(event) = event.into_event(lost_sight) else {
                    self.lost.events.notify_one();
                    return None;
                };
                Decoded::Channel(Remote::Event(Published { org_slug: org, event }))
            }
            Body::OutOfSight { org, channel_id, user_id } => {
                Decoded::Channel(Remote::OutOfSight(OutOfSight { org_slug: org, channel_id, user_id }))
            }
            Body::SessionEnded { user_id, token_hash } => {
                Decoded::People(ForPeople::Revoked(Revoked::Session { user_id, token_hash }))
            }
            Body::MembershipEnded { user_id, org, role: false } => {
                Decoded::People(ForPeople::Revoked(Revoked::Membership { user_id, org_slug: org }))
            }
            Body::MembershipEnded { user_id, org, role: true } => {
                Decoded::People(ForPeople::Revoked(Revoked::Role { user_id, org_slug: org }))
            }
            Body::Notice { org, to, news } => Decoded::People(ForPeople::Notice { org_slug: org, to, news }),
            Body::Typing { org, typing } => Decoded::People(ForPeople::Typing { org_slug: org, typing }),
            Body::ReadBy { org, read_by } => Decoded::People(ForPeople::ReadBy { org_slug: org, read_by }),
            Body::Presence { org, user_id, online } => {
                Decoded::People(ForPeople::Presence { node: envelope.node, org_slug: org, user_id, online })
            }
            Body::PresenceAll { online } => Decoded::People(ForPeople::PresenceAll { node: envelope.node, online }),
        })
    }
}

/// A message from another server, by who handles it here.
enum Decoded {
    Channel(Remote),
    People(ForPeople),
}
