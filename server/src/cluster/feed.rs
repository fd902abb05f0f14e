//! The cluster's feed over Redis pub/sub: every server publishes what its
//! writers published (channel events, changes of sight) on one Redis
//! channel, and hears what the others published there.
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

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use confab_core::channel_events::{Feed, OutOfSight, Published};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, Value};
use tokio::sync::{Notify, mpsc};

use super::envelope::{Body, Envelope};

/// The Redis channel every server publishes on and listens to.
pub(crate) const CHANNEL: &str = "confab:feed";

/// How often the connection is checked (and, with Redis away, tried again).
const PING_EVERY: Duration = Duration::from_secs(1);

/// The most messages published in one round trip.
const PUBLISH_BATCH: usize = 256;

/// How long Redis may take to answer before a command counts as failed.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Something another server published.
#[derive(Debug)]
pub(crate) enum Remote {
    Event(Published),
    OutOfSight(OutOfSight),
}

/// What this server hears from the others.
pub(crate) struct Inbox {
    /// Their messages, in the order Redis delivered them.
    pub(crate) remote: mpsc::Receiver<Remote>,
    /// Told when something may have been missed (a full buffer, a lost or
    /// renewed connection): every followed channel is then checked.
    pub(crate) lost: Arc<Notify>,
}

/// Why the cluster's feed could not be set up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FeedError {
    #[error("--redis-url: {0}")]
    Url(#[source] redis::RedisError),
}

/// This server's end of the feed; cheap to clone.
#[derive(Clone)]
pub(crate) struct ClusterFeed {
    node: u64,
    conn: ConnectionManager,
}

impl ClusterFeed {
    /// Sets up the connection to `url` (made in the background: a server
    /// starts while Redis is away, and catches up once it is back), with
    /// room for `buffer` messages from others waiting to be delivered.
    pub(crate) fn connect(url: &str, buffer: usize) -> Result<(ClusterFeed, Inbox), FeedError> {
        let info = url.into_connection_info().map_err(FeedError::Url)?;
        let resp3 = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(resp3)).map_err(FeedError::Url)?;
        // Random for each start, so a restarted server is a new one.
        let node = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        let (tx, remote) = mpsc::channel(buffer.max(1));
        let lost = Arc::new(Notify::new());
        let receiver = Receiver { node, tx, lost: lost.clone(), dropped: Arc::new(AtomicU64::new(0)) };
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
        Ok((ClusterFeed { node, conn }, Inbox { remote, lost }))
    }

    /// Keeps the subscription and the connection up, until the server stops:
    /// pings each second, subscribes until subscribed, says when Redis goes
    /// and comes back (and reports the time away as a loss).
    pub(crate) async fn keep_up(self, lost: Arc<Notify>) {
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
                        lost.notify_one();
                    }
                    (subscribed, up) = (true, true);
                }
                Err(e) => {
                    if up {
                        tracing::warn!(error = %e, "Redis unreachable: messages are still stored and delivered on this server; the other servers read them from the database");
                        lost.notify_one();
                    }
                    up = false;
                }
            }
        }
    }

    /// Publishes what this server's writers publish, in their order, until
    /// the server stops: as many as are waiting in one round trip. What
    /// cannot be published (Redis away) is dropped.
    pub(crate) async fn publish(self, mut hints: mpsc::Receiver<Feed>) {
        let mut conn = self.conn.clone();
        let mut failing = false;
        let mut batch = Vec::with_capacity(PUBLISH_BATCH);
        while hints.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
            let mut pipe = redis::pipe();
            for feed in batch.drain(..) {
                let body = match &feed {
                    Feed::Event(published) => Body::published(published),
                    Feed::OutOfSight(gone) => Body::out_of_sight(gone),
                    Feed::Step(_) => continue,
                };
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

/// Turns what Redis pushes into [`Remote`]s for delivery.
struct Receiver {
    node: u64,
    tx: mpsc::Sender<Remote>,
    lost: Arc<Notify>,
    /// Messages dropped for want of room, for the log.
    dropped: Arc<AtomicU64>,
}

impl Receiver {
    fn push(&self, info: PushInfo) {
        match info.kind {
            PushKind::Message => {
                let Some(remote) = self.decode(&info.data) else { return };
                if self.tx.try_send(remote).is_err() {
                    let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                    if dropped.is_power_of_two() {
                        tracing::warn!(
                            dropped,
                            "the cluster's feed is ahead of delivery here: events are read from the database instead"
                        );
                    }
                    self.lost.notify_one();
                }
            }
            // The connection went (and will come back, subscribed again):
            // whatever was published meanwhile never reaches this server.
            PushKind::Disconnection | PushKind::Subscribe => self.lost.notify_one(),
            _ => {}
        }
    }

    /// A message from another server, or `None` (one of ours, another
    /// channel's, or one this build cannot read).
    fn decode(&self, data: &[Value]) -> Option<Remote> {
        let [Value::BulkString(channel), Value::BulkString(payload)] = data else { return None };
        if channel.as_slice() != CHANNEL.as_bytes() {
            return None;
        }
        let envelope: Envelope = match serde_json::from_slice(payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(error = %e, "a message on the cluster's feed could not be read: skipped");
                self.lost.notify_one();
                return None;
            }
        };
        if envelope.node == self.node {
            return None;
        }
        match envelope.body {
            Body::Event { org, lost_sight, event } => {
                let Some(event) = event.into_event(lost_sight) else {
                    self.lost.notify_one();
                    return None;
                };
                Some(Remote::Event(Published { org_slug: org, event }))
            }
            Body::OutOfSight { org, channel_id, user_id } => {
                Some(Remote::OutOfSight(OutOfSight { org_slug: org, channel_id, user_id }))
            }
        }
    }
}
