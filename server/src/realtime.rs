//! Live messages over Socket.IO (v5, socketioxide): one dynamic namespace per
//! organization (`/<slug>`), one room per channel, one per user holding all
//! of that user's sockets, and one per session, closed when it ends
//! ([`rooms`]).
//!
//! One module per concern:
//! - [`admission`]: who may connect (Origin, session or API token,
//!   membership, sockets per user) and a socket's set-up;
//! - [`joining`]: `join` (with resuming from a `seq`) and `leave`, each at
//!   one point of the channel's stream;
//! - [`requests`]: the other client events (`send`, `read`, `notices`,
//!   `typing`, `open_direct`) and what every event shares (the stop check, access as
//!   it is now, answers);
//! - [`delivery`]: every channel event to its room in `seq` order, and
//!   cutting off a socket that falls behind;
//! - [`broadcasts`]: ended access closing sockets, and what all of a
//!   person's devices hear; [`notices`]: each person's notices to their
//!   sockets in `seq` order, with none missed;
//! - [`limits`]: what one connection may ask, how fast;
//! - [`presence`]: who is online; [`send_order`]: a socket's sends stored
//!   in the order it sent them.
//!
//! Invariants kept here:
//! - a socket exists in a namespace only after admission checked its
//!   Origin, its session, its membership of the organization and how many
//!   sockets its user holds;
//! - every event runs with the session and membership as they are now: a
//!   socket whose session or membership has ended is told so and closed;
//! - every event costs a bounded amount: over its kind's rate, or with too
//!   many of its socket's events in flight, it is answered `rate_limited`
//!   at once, and a socket that keeps going past that is closed;
//! - a socket lives no longer than its session and membership: signing out,
//!   expiry and removal close it (checked again once it is connected, so a
//!   sign-out while it was being admitted cannot leave it open);
//! - a socket joins a channel's room only after the access rules allowed it;
//! - a message is stored before it is delivered, and delivered once: a retried
//!   `send` (same client id) is acknowledged with the stored original but not
//!   delivered again;
//! - every socket in a channel's room gets that channel's events in `seq`
//!   order with no gap (one task delivers them all, from
//!   `confab_core::channel_events`); a socket that cannot take one (its
//!   queue is full) leaves every room at once, is told why when it can be,
//!   and is closed, so it never stays in a room with a hole.

mod admission;
mod broadcasts;
mod connection;
mod delivery;
mod joining;
mod limits;
mod notices;
mod presence;
mod requests;
mod rooms;
mod send_order;
mod sequencer;
mod thread_requests;

use std::sync::Arc;
use std::time::Duration;

use confab_core::Service;
use confab_core::held_counts::HeldCounts;
use socketioxide::SocketIo;
use socketioxide::layer::SocketIoLayer;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::cluster::{Cluster, ClusterFeed, ClusterSockets, Inbox};
use crate::listener::ReadPause;
use crate::site::Site;
use presence::Presence;

pub use admission::CLIENT_EVENTS;

/// Largest Engine.IO packet, and WebSocket frame, accepted (a message is at
/// most 4000 characters): a client cannot make the server buffer more.
const MAX_PAYLOAD_BYTES: u64 = 64 * 1024;

/// Each WebSocket's read buffer, kept for as long as it is open: a client's
/// frames are a few hundred bytes (a larger one grows the buffer to its
/// size), and at ten thousand idle connections engineioxide's 4 KiB default
/// was a sixth of their memory.
const WS_READ_BUFFER_BYTES: usize = 1024;

/// How long a stopping server still reads events (and answers them).
const STOP_LINGER: Duration = Duration::from_millis(250);

/// What every Socket.IO handler shares.
#[derive(Clone)]
struct Realtime {
    /// Confab's use cases (sessions, membership, messages).
    service: Service,
    /// Which pages may connect.
    site: Arc<Site>,
    /// Sockets per user, across organizations.
    sockets: HeldCounts<i64>,
    /// The most sockets one user may hold.
    max_sockets_per_user: usize,
    /// Events being handled; closed when the server stops.
    in_flight: TaskTracker,
    /// Who is online in each organization.
    presence: Presence,
    /// See [`LiveSettings::cut_off_linger`].
    cut_off_linger: Duration,
    /// The other servers, if any (for telling them what is not stored).
    cluster: Option<ClusterFeed>,
    /// With other servers and a cap: the sockets each person holds on all.
    cluster_sockets: Option<ClusterSockets>,
    /// Each person's notices to their sockets here.
    notices: notices::NoticeRelay,
}

/// How the live side behaves.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LiveSettings {
    /// The most sockets one user may hold.
    pub(crate) max_sockets_per_user: usize,
    /// Packets waiting for one socket before it counts as fallen behind.
    pub(crate) socket_queue: usize,
    /// How long someone stays online after their last socket went.
    pub(crate) presence_grace: Duration,
    /// How long a socket cut off for falling behind is kept after its
    /// notice was queued, for the client to read it and reconnect.
    pub(crate) cut_off_linger: Duration,
    /// With other servers: how often every followed channel is checked
    /// against the database.
    pub(crate) cluster_sweep: Duration,
}

/// The live side as a whole, for stopping it in order.
pub(crate) struct Live {
    io: SocketIo,
    in_flight: TaskTracker,
    /// The tasks that run until the server stops: delivery last.
    tasks: Vec<JoinHandle<()>>,
    delivery: JoinHandle<()>,
}

/// Builds the Socket.IO layer (it serves `/socket.io/`) and starts the
/// tasks behind it: delivering channel events, closing the sockets of ended
/// access, forwarding notices, pushing presence. With other servers
/// (`cluster`), it also tells them what happens here, and delivers what
/// happens there.
pub(crate) fn start(
    service: Service,
    site: Arc<Site>,
    settings: LiveSettings,
    cluster: Option<Cluster>,
) -> (SocketIoLayer, Live) {
    let in_flight = TaskTracker::new();
    let (feed, inbox, mut tasks) = match cluster.map(|c| c.start(&service)) {
        Some((feed, inbox, tasks)) => (Some(feed), Some(inbox), tasks),
        None => (None, None, Vec::new()),
    };
    let presence = Presence::new(settings.presence_grace, feed.clone());
    service.set_presence(Arc::new(presence.clone()));
    let sockets = HeldCounts::default();
    let cluster_sockets = match &feed {
        Some(feed) if settings.max_sockets_per_user > 0 => {
            let (cluster_sockets, task) = feed.sockets(sockets.clone());
            tasks.push(task);
            Some(cluster_sockets)
        }
        _ => None,
    };
    let relay = notices::NoticeRelay::default();
    let (layer, io) = SocketIo::builder()
        .max_buffer_size(settings.socket_queue.max(16))
        .max_payload(MAX_PAYLOAD_BYTES)
        .ws_max_message_size(MAX_PAYLOAD_BYTES as usize)
        .ws_max_frame_size(MAX_PAYLOAD_BYTES as usize)
        .ws_read_buffer_size(WS_READ_BUFFER_BYTES)
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(10))
        .with_state(Realtime {
            service: service.clone(),
            site,
            sockets,
            max_sockets_per_user: settings.max_sockets_per_user,
            in_flight: in_flight.clone(),
            presence: presence.clone(),
            cut_off_linger: settings.cut_off_linger,
            cluster: feed,
            cluster_sockets,
            notices: relay.clone(),
        })
        .build_layer();
    admission::serve_namespaces(&io);
    let (channels, people) = match inbox {
        Some(Inbox { remote, lost, people }) => (Some((remote, lost.clone())), Some((people, lost))),
        None => (None, None),
    };
    tasks.push(tokio::spawn(broadcasts::for_people(
        io.clone(),
        service.clone(),
        presence.clone(),
        broadcasts::Announced::by(&service),
        relay,
        people,
    )));
    tasks.push(tokio::spawn(presence.clone().keep_in_touch()));
    tasks.push(tokio::spawn(presence.push_changes(io.clone())));
    let delivery = tokio::spawn(delivery::deliver_events(
        io.clone(),
        service.clone(),
        service.channel_events(),
        channels,
        settings.cluster_sweep,
    ));
    (layer, Live { io, in_flight, tasks, delivery })
}

impl Live {
    /// Stops in order: events that arrive from now on are answered
    /// `unavailable` ("restarting"); those in flight finish and are answered
    /// (for at most `grace`), their messages still delivered; then the live
    /// connections stop being read (`pause`), the events read until then
    /// are answered too, and every client is told the server is going away
    /// and its connection closed. So every event the server read has its
    /// answer.
    pub(crate) async fn shut_down(self, grace: Duration, pause: ReadPause) {
        for task in &self.tasks {
            task.abort();
        }
        self.in_flight.close();
        // Events already on their way in are still read for a moment and
        // answered, so a client that sent just before the stop hears back.
        tokio::time::sleep(STOP_LINGER).await;
        let finished = async {
            self.in_flight.wait().await;
            pause.pause();
            // Read before the pause: answered ("restarting") before closing.
            tokio::time::sleep(STOP_LINGER).await;
            self.in_flight.wait().await;
        };
        if tokio::time::timeout(grace, finished).await.is_err() {
            pause.pause();
            tracing::warn!(left = self.in_flight.len(), "live events still running at shutdown; closing anyway");
        }
        self.io.close().await;
        self.delivery.abort();
    }
}
