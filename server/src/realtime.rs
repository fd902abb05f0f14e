//! Live messages over Socket.IO (v5, socketioxide): one dynamic namespace per
//! organization (`/<slug>`), one room per channel (`channel:<id>`), one room
//! per user (`user:<id>`) holding all of that user's sockets, and one per
//! session (`session:<token hash>`), closed when its user signs out.
//!
//! Invariants kept here:
//! - a socket exists in a namespace only after the middleware checked its
//!   Origin, its session cookie, its membership of the organization and how
//!   many sockets its user holds;
//! - every event runs with the session and membership as they are now: a
//!   socket whose session or membership has ended is told so and closed;
//! - a socket lives no longer than its session and membership: signing out,
//!   expiry and removal close it (checked again once it is connected, so a
//!   sign-out while it was being admitted cannot leave it open);
//! - a socket joins a channel's room only after the access rules allowed it;
//! - a message is stored before it is delivered, and delivered once: a retried
//!   `send` (same client id) is acknowledged with the stored original but not
//!   delivered again;
//! - every socket in a channel's room gets that channel's events in `seq`
//!   order with no gap (they come from [`crate::channel_events`], one task
//!   delivers them all); a socket that cannot take one (its queue is full)
//!   leaves every room at once, is told why when it can be, and is closed, so
//!   it never stays in a room with a hole.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use app::api::{cookie_value, session_cookie_name};
use app::errors::{ApiError, ErrorCode};
use app::protocol::{Ack, Channel, ChatMessage, events};
use confab_core::auth;
use confab_core::channel_events::{ChannelEvent, Feed, OutOfSight, Published, Step};
use confab_core::held_counts::{HeldCounts, Pass};
use confab_core::kinds::Role;
use confab_core::model::User;
use confab_core::service::{Audience, Revoked, UserNotice};
use confab_core::{CoreError, Service};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Extension, MaybeExtension, SocketRef, State, TryData};
use socketioxide::handler::{ConnectHandler, FromMessageParts, Value};
use socketioxide::layer::SocketIoLayer;
use socketioxide::socket::{DisconnectReason, Socket};
use socketioxide::{SendError, SocketError, SocketIo};
use tokio::sync::{broadcast, mpsc};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::presence::{Counted, Presence};
use crate::send_order::{SendQueue, SendTicket};
use crate::site::Site;

/// Largest Engine.IO packet, and WebSocket frame, accepted (a message is at
/// most 4000 characters): a client cannot make the server buffer more.
const MAX_PAYLOAD_BYTES: u64 = 64 * 1024;

/// Each WebSocket's read buffer, kept for as long as it is open: a client's
/// frames are a few hundred bytes (a larger one grows the buffer to its
/// size), and at ten thousand idle connections engineioxide's 4 KiB default
/// was a sixth of their memory.
const WS_READ_BUFFER_BYTES: usize = 1024;

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
}

/// How the live side behaves.
#[derive(Clone, Copy, Debug)]
pub struct LiveSettings {
    /// The most sockets one user may hold.
    pub max_sockets_per_user: usize,
    /// Packets waiting for one socket before it counts as fallen behind.
    pub socket_queue: usize,
    /// How long someone stays online after their last socket went.
    pub presence_grace: Duration,
    /// How long a socket cut off for falling behind is kept after its
    /// notice was queued, for the client to read it and reconnect.
    pub cut_off_linger: Duration,
}

/// The live side as a whole, for stopping it in order.
pub struct Live {
    pub io: SocketIo,
    in_flight: TaskTracker,
    /// Who is online; its changes are pushed by [`Presence::push_changes`].
    pub presence: Presence,
}

impl Live {
    /// Stops in order: events that arrive from now on are answered
    /// `unavailable` ("restarting"); those in flight finish and are answered
    /// (for at most `grace`); then every client is told the server is going
    /// away and its connection closed.
    pub async fn shut_down(&self, grace: Duration) {
        self.in_flight.close();
        // Events already on their way in are still read for a moment and
        // answered, so a client that sent just before the stop hears back.
        tokio::time::sleep(STOP_LINGER).await;
        if tokio::time::timeout(grace, self.in_flight.wait()).await.is_err() {
            tracing::warn!(left = self.in_flight.len(), "live events still running at shutdown; closing anyway");
        }
        self.io.close().await;
    }
}

/// Who a socket is: set by the middleware, read by every handler.
#[derive(Clone, Debug)]
struct Member {
    user: User,
    org_id: i64,
    org_slug: String,
    /// The hash of the session token the socket connected with.
    token_hash: String,
    /// The socket's place in its user's count, given back when it is dropped.
    _counted: Arc<Pass<i64>>,
    /// The latest `join` or `leave` it sent for each channel.
    rooms: Arc<RoomRequests>,
    /// When it last said "typing", in ms since the server started (0: never).
    typing_at: Arc<AtomicU64>,
    /// Whether it counts towards its person's presence now.
    present: Arc<Counted>,
    /// See [`LiveSettings::cut_off_linger`].
    cut_off_linger: Duration,
}

/// When an event arrived, among all the events this process reads: taken as
/// the event is read, before its handler's task starts, so a socket's events
/// are numbered in the order it sent them (the handlers' tasks may then run
/// in any order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Arrival(u64);

impl<A: Adapter> FromMessageParts<A> for Arrival {
    type Error = Infallible;
    fn from_message_parts(_: &Arc<Socket<A>>, _: &mut Value, _: &Option<i64>) -> Result<Self, Infallible> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Ok(Arrival(NEXT.fetch_add(1, Ordering::Relaxed)))
    }
}

/// The latest `join` or `leave` a socket sent for each channel: only that one
/// may change whether the socket is in the channel's room, so a `leave` sent
/// right behind a `join` wins even if its handler runs first.
#[derive(Debug, Default)]
struct RoomRequests(Mutex<HashMap<i64, Arrival>>);

impl RoomRequests {
    fn note(&self, channel_id: i64, at: Arrival) {
        let mut latest = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = latest.entry(channel_id).or_insert(at);
        *entry = (*entry).max(at);
    }

    fn is_latest(&self, channel_id: i64, at: Arrival) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&channel_id) == Some(&at)
    }
}

/// Why a connection to a namespace was refused; its text is the `message` of
/// the `connect_error` the client receives.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("This page's origin may not connect to this server.")]
    Origin,
    #[error("Please sign in first.")]
    SignedOut,
    #[error("You have too many live connections open (at most {0}); close some tabs or apps and try again.")]
    TooManySockets(usize),
    #[error("{0}")]
    Api(#[from] ApiError),
}

impl From<CoreError> for Refusal {
    fn from(e: CoreError) -> Self {
        Refusal::Api(e.into())
    }
}

/// The room of a channel.
pub fn channel_room(id: i64) -> String {
    format!("channel:{id}")
}

/// The room holding every socket of a user.
pub fn user_room(id: i64) -> String {
    format!("user:{id}")
}

/// The room holding every socket of a session (one browser's tabs, one bot).
pub fn session_room(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// The least time between two "typing" signs of one socket that are relayed.
const TYPING_EVERY_MS: u64 = 1000;

/// When this process started: the clock "typing" is timed by.
static STARTED: std::sync::LazyLock<std::time::Instant> = std::sync::LazyLock::new(std::time::Instant::now);

/// How long a stopping server still reads events (and answers them).
const STOP_LINGER: Duration = Duration::from_millis(250);

/// How often a socket cut off for falling behind is tried again, to tell it
/// why and close it once its queue has room.
const CUT_OFF_RETRY: Duration = Duration::from_millis(200);

/// Builds the Socket.IO layer and its handle; the layer serves `/socket.io/`.
pub fn layer(service: Service, site: Arc<Site>, settings: LiveSettings) -> (SocketIoLayer, Live) {
    let in_flight = TaskTracker::new();
    let presence = Presence::new(settings.presence_grace);
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
            service,
            site,
            sockets: HeldCounts::default(),
            max_sockets_per_user: settings.max_sockets_per_user,
            in_flight: in_flight.clone(),
            presence: presence.clone(),
            cut_off_linger: settings.cut_off_linger,
        })
        .build_layer();
    io.dyn_ns("/{org}", on_connect.with(admit)).expect("the namespace pattern is valid");
    (layer, Live { io, in_flight, presence })
}

/// Namespace middleware: Origin, session, membership; then it sets the socket
/// up. That happens here and not in the connect handler because socketioxide
/// sends the CONNECT packet first and runs the connect handler later, in a
/// task of its own: handlers registered there would miss a client's first emit.
async fn admit(
    socket: SocketRef,
    io: SocketIo,
    State(rt): State<Realtime>,
    TryData(auth): TryData<ConnectAuth>,
) -> Result<(), Refusal> {
    let api_token = auth.ok().and_then(|a| a.token);
    match check(&socket, &rt, api_token).await {
        Ok(member) => {
            set_up(&socket, member);
            Ok(())
        }
        Err(refusal) => {
            // socketioxide keeps a dynamic namespace once anyone asked for it;
            // drop the ones that name no organization, so strangers cannot fill
            // memory with made-up namespaces.
            let slug = socket.ns().trim_start_matches('/');
            if matches!(rt.service.org_exists(slug).await, Ok(false)) {
                io.delete_ns(socket.ns());
            }
            Err(refusal)
        }
    }
}

/// What a client may send with its CONNECT packet: a personal API token,
/// for bots and scripts that have no session cookie.
#[derive(Debug, serde::Deserialize)]
struct ConnectAuth {
    token: Option<String>,
}

async fn check(socket: &SocketRef, rt: &Realtime, api_token: Option<String>) -> Result<Member, Refusal> {
    let parts = socket.req_parts();
    if !origin_allowed(&parts.headers, &rt.site) {
        tracing::info!(ns = socket.ns(), socket_id = %socket.id, "refused: foreign origin");
        return Err(Refusal::Origin);
    }
    // The session cookie, or else an API token from `auth: { token }`.
    let cookie = cookie_value(&parts.headers, session_cookie_name(rt.site.https()));
    let token = cookie.or(api_token).ok_or(Refusal::SignedOut)?;
    let user = rt.service.session_user(&token).await?.ok_or(Refusal::SignedOut)?;
    let slug = socket.ns().trim_start_matches('/');
    let (org, _role) = rt.service.org_for(&user, slug).await.inspect_err(|e| {
        tracing::info!(user_id = user.id, ns = socket.ns(), socket_id = %socket.id, reason = %e, "refused: not a member");
    })?;
    let Some(counted) = rt.sockets.claim(user.id, rt.max_sockets_per_user) else {
        tracing::info!(user_id = user.id, ns = socket.ns(), "refused: too many sockets");
        return Err(Refusal::TooManySockets(rt.max_sockets_per_user));
    };
    let token_hash = auth::token_hash(&token);
    Ok(Member {
        user,
        org_id: org.id,
        org_slug: org.slug,
        token_hash,
        _counted: Arc::new(counted),
        rooms: Arc::default(),
        typing_at: Arc::default(),
        present: Arc::default(),
        cut_off_linger: rt.cut_off_linger,
    })
}

/// Every event a client may send: the handlers registered (`set_up`
/// registers these and no others), and the list the isolation suite tries
/// each of, so a new event cannot be left out of it.
pub const CLIENT_EVENTS: [&str; 6] =
    [events::JOIN, events::LEAVE, events::SEND, events::READ, events::TYPING, events::OPEN_DIRECT];

/// An admitted socket's rooms and event handlers, in place before the client
/// hears it is connected.
fn set_up(socket: &SocketRef, member: Member) {
    socket.join([user_room(member.user.id), session_room(&member.token_hash)]);
    socket.extensions.insert(member);
    socket.extensions.insert(Arc::new(SendQueue::default()));
    for event in CLIENT_EVENTS {
        match event {
            events::JOIN => socket.on(event, on_join),
            events::LEAVE => socket.on(event, on_leave),
            events::SEND => socket.on(event, on_send),
            events::READ => socket.on(event, on_read),
            events::TYPING => socket.on(event, on_typing),
            events::OPEN_DIRECT => socket.on(event, on_open_direct),
            _ => unreachable!("every client event has its handler"),
        }
    }
    // Only extractors that cannot fail here: a failing one would leave the
    // socket in its rooms (and its person online) for good.
    socket.on_disconnect(
        async |socket: SocketRef,
               reason: DisconnectReason,
               State(rt): State<Realtime>,
               MaybeExtension(m): MaybeExtension<Member>| {
            let Some(m) = m else { return };
            rt.presence.depart(&m.org_slug, m.user.id, &m.present);
            tracing::info!(user_id = m.user.id, org = %m.org_slug, socket_id = %socket.id, ?reason, "socket disconnected");
        },
    );
}

/// Browsers always send `Origin` with a WebSocket handshake; it must be this
/// site's or one the operator allowed. Clients without one (bots, scripts)
/// are not browsers and carry their own cookie on purpose.
fn origin_allowed(headers: &http::HeaderMap, site: &Site) -> bool {
    let Some(origin) = headers.get(http::header::ORIGIN) else {
        return true;
    };
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
    origin.to_str().is_ok_and(|o| site.origin_allowed(o, host))
}

async fn on_connect(socket: SocketRef, State(rt): State<Realtime>, Extension(member): Extension<Member>) {
    // The socket is in its session's room now, so from here on a sign-out
    // closes it; check once more for one that came while it was admitted.
    if let Err(e) = rt.service.session_role(&member.token_hash, member.org_id).await {
        tracing::info!(user_id = member.user.id, org = %member.org_slug, socket_id = %socket.id, reason = %e, "closing a socket whose access ended while it connected");
        let _ = socket.disconnect();
        return;
    }
    rt.presence.arrive(&socket, &member.org_slug, member.user.id, &member.present);
    tracing::info!(
        user_id = member.user.id,
        user = %member.user.username,
        org = %member.org_slug,
        socket_id = %socket.id,
        "socket connected"
    );
}

/// An event being handled: the server waits for it before it stops.
struct InFlight {
    _token: TaskTrackerToken,
    role: Role,
    ack: AckSender,
}

/// Starts handling an event: `None` (and answered) when the server is
/// stopping, or the member's access has ended (the socket is then closed)
/// or cannot be checked (database down).
async fn start_event(socket: &SocketRef, rt: &Realtime, m: &Member, ack: AckSender) -> Option<InFlight> {
    let (token, ack) = not_stopping(rt, ack)?;
    let (role, ack) = still_admitted(socket, rt, m, ack).await?;
    Some(InFlight { _token: token, role, ack })
}

/// The event's place among those the server waits for before it stops;
/// `None` (and answered "restarting") when it is stopping already.
fn not_stopping(rt: &Realtime, ack: AckSender) -> Option<(TaskTrackerToken, AckSender)> {
    // Taken before looking, so a stop that comes after the look waits for it.
    let token = rt.in_flight.token();
    if rt.in_flight.is_closed() {
        reply::<()>(ack, Err(CoreError::Stopping));
        return None;
    }
    Some((token, ack))
}

/// Closes a socket whose session or membership has ended (it was answered why).
fn close_ended(socket: &SocketRef, m: &Member) {
    tracing::info!(user_id = m.user.id, org = %m.org_slug, socket_id = %socket.id, "closing a socket whose session or membership ended");
    let _ = socket.clone().disconnect();
}

/// The member's role now. A socket whose session or membership has ended is
/// answered why and closed; other failures (database down) are only answered.
async fn still_admitted(socket: &SocketRef, rt: &Realtime, m: &Member, ack: AckSender) -> Option<(Role, AckSender)> {
    match rt.service.session_role(&m.token_hash, m.org_id).await {
        Ok(role) => Some((role, ack)),
        Err(e) => {
            let ended = e.is_access_ended();
            reply::<()>(ack, Err(e));
            if ended {
                close_ended(socket, m);
            }
            None
        }
    }
}

/// Closes the live connections that relied on access that has ended: a
/// session's in every organization of its user (they see a disconnect, then
/// "Please sign in first." when they try again), or a removed member's or
/// one whose role changed in that organization. Runs until the server stops.
pub async fn close_revoked(io: SocketIo, service: Service, mut revoked: broadcast::Receiver<Revoked>) {
    loop {
        match revoked.recv().await {
            Ok(Revoked::Session { user_id, token_hash }) => {
                let orgs = match service.list_orgs(user_id).await {
                    Ok(orgs) => orgs,
                    Err(e) => {
                        tracing::warn!(user_id, error = %e, "cannot list organizations to close a session's sockets");
                        continue;
                    }
                };
                for membership in orgs {
                    disconnect_room(&io, &membership.org.slug, session_room(&token_hash)).await;
                }
                tracing::info!(user_id, "closed the live connections of an ended session");
            }
            Ok(Revoked::Membership { user_id, org_slug }) => {
                disconnect_room(&io, &org_slug, user_room(user_id)).await;
                tracing::info!(user_id, org = %org_slug, "closed the live connections of a removed member");
            }
            Ok(Revoked::Role { user_id, org_slug }) => {
                // They reconnect with what the new role may see.
                disconnect_room(&io, &org_slug, user_room(user_id)).await;
                tracing::info!(user_id, org = %org_slug, "closed the live connections of a member whose role changed");
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                // Their next event finds the access gone and closes them.
                tracing::warn!(missed, "fell behind on ended access; those sockets close at their next event");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Tells every socket of a person in an organization what all their devices
/// should hear (a channel read on one of them). Runs until the server stops.
pub async fn forward_notices(io: SocketIo, mut notices: broadcast::Receiver<UserNotice>) {
    loop {
        match notices.recv().await {
            Ok(UserNotice::Read { user_id, org_slug, channel_id, last_read_seq }) => {
                let Some(ns) = io.of(format!("/{org_slug}")) else { continue };
                let cursor = events::ReadCursor { channel_id, last_read_seq };
                // A device whose queue is full misses it and is put right on reload.
                if let Err(e) = ns.to(user_room(user_id)).emit(events::READ, &cursor).await {
                    tracing::debug!(user_id, error = %e, "read cursor not sent to every device");
                }
            }
            Ok(UserNotice::ChannelAdded { to, org_slug, channel }) => {
                let Some(ns) = io.of(format!("/{org_slug}")) else { continue };
                let (channel_id, channel) = (channel.id, Channel::from(channel));
                let sent = match to {
                    Audience::People(ids) => {
                        ns.to(ids.into_iter().map(user_room).collect::<Vec<_>>())
                            .emit(events::CHANNEL_ADDED, &channel)
                            .await
                    }
                    Audience::AllBut(id) => ns.except(user_room(id)).emit(events::CHANNEL_ADDED, &channel).await,
                };
                // A device whose queue is full misses it and sees it on reload.
                if let Err(e) = sent {
                    tracing::debug!(channel_id, error = %e, "new channel not announced to every device");
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "fell behind on user notices; devices catch up on reload");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn disconnect_room(io: &SocketIo, org_slug: &str, room: String) {
    let Some(ns) = io.of(format!("/{org_slug}")) else { return };
    if let Err(e) = ns.to(room).disconnect().await {
        tracing::warn!(org = %org_slug, error = %e, "closing sockets failed");
    }
}

/// Delivers every channel event to the sockets in its channel's room, one
/// event after the other, so each socket gets them in `seq` order. Runs until
/// the server stops.
pub async fn deliver_events(io: SocketIo, mut feed: mpsc::Receiver<Feed>) {
    while let Some(item) = feed.recv().await {
        let Published { org_slug, event } = match item {
            Feed::Event(published) => published,
            // A socket joining a room (and being answered) at this point.
            Feed::Step(step) => {
                step.run();
                continue;
            }
            // Someone who may no longer see the channel: their sockets
            // hear nothing of it from this point on.
            Feed::OutOfSight(OutOfSight { org_slug, channel_id, user_id }) => {
                out_of_room(&io, &org_slug, user_id, channel_id);
                continue;
            }
        };
        let Some(ns) = io.of(format!("/{org_slug}")) else { continue };
        let (channel_id, seq) = (event.channel_id(), event.seq());
        // Serialized once, for every socket (each then only copies it).
        let (name, wire, lost_sight) = match event {
            ChannelEvent::Message(message) => (events::MESSAGE, ChatMessage::from(message), None),
            ChannelEvent::LostSight(message) => {
                let leaver = message.author_id;
                (events::MESSAGE, ChatMessage::from(message), Some(leaver))
            }
        };
        match serde_json::value::to_raw_value(&wire) {
            Ok(json) => {
                for socket in ns.clone().to(channel_room(channel_id)).sockets() {
                    match socket.emit(name, &*json) {
                        Ok(()) => {}
                        Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                            cut_off(socket, channel_id, &format!("seq {seq}"))
                        }
                        // Closed meanwhile: it catches up when it comes back.
                        Err(e) => tracing::debug!(socket_id = %socket.id, error = %e, "event not delivered"),
                    }
                }
            }
            Err(e) => tracing::error!(channel_id, seq, error = %e, "event not serialized"),
        }
        // Their own leaving was the last event of the channel the leaver's
        // sockets get: out of the room from here on.
        if let Some(leaver) = lost_sight {
            out_of_room(&io, &org_slug, leaver, channel_id);
        }
    }
}

/// Takes every socket of `user_id` in organization `org_slug` out of the
/// channel's room.
fn out_of_room(io: &SocketIo, org_slug: &str, user_id: i64, channel_id: i64) {
    if let Some(ns) = io.of(format!("/{org_slug}")) {
        for socket in ns.to(user_room(user_id)).sockets() {
            socket.leave(channel_room(channel_id));
        }
    }
}

/// Marks a socket cut off for falling behind: nothing puts it in a channel's
/// room again.
#[derive(Clone, Copy, Debug)]
struct CutOff;

/// A socket whose queue is full missed something (`what`, for the log): it
/// leaves its channels' rooms now, so it gets nothing more with a hole before
/// it, and is told why as soon as its queue has room. It is closed when the
/// client, having read that, reconnects (as Confab's does), or by the server
/// a linger after the notice was queued (one that reads nothing is closed by
/// its write timeout). It stays in its user's and session's rooms, so a
/// sign-out still closes it.
fn cut_off(socket: SocketRef, channel_id: i64, what: &str) {
    socket.extensions.insert(CutOff);
    let channels: Vec<_> = socket.rooms().into_iter().filter(|r| r.starts_with("channel:")).collect();
    socket.leave(channels);
    let member = socket.extensions.get::<Member>();
    let user_id = member.as_ref().map(|m| m.user.id).unwrap_or_default();
    let linger = member.map_or(CUT_OFF_RETRY, |m| m.cut_off_linger);
    tracing::warn!(user_id, socket_id = %socket.id, channel_id, missed = what, "socket fell behind (queue full): cut off");
    tokio::spawn(async move {
        let notice = events::FellBehind {
            message: "This connection fell behind the channel's messages and was closed; reconnect to catch up.".into(),
        };
        let mut told_at = None;
        while socket.connected() {
            // Closing drops what is still queued, the notice too: the client
            // gets the linger to read it (and reconnect, as ours does) before
            // the server closes the connection itself.
            if told_at.is_some_and(|t: tokio::time::Instant| t.elapsed() >= linger)
                && socket.clone().disconnect().is_ok()
            {
                return;
            }
            if told_at.is_none() && socket.emit(events::FELL_BEHIND, &notice).is_ok() {
                told_at = Some(tokio::time::Instant::now());
            }
            tokio::time::sleep(CUT_OFF_RETRY).await;
        }
    });
}

/// Replies to a request that asked for an acknowledgement.
fn reply<T: serde::Serialize>(ack: AckSender, result: Result<T, impl Into<ApiError>>) {
    // A client that did not ask for an ack gets none; nothing to do then.
    let _ = ack.send(&Ack::from(result.map_err(Into::into)));
}

/// A request whose payload does not have the expected shape. The parser's
/// details (which may quote the input) are logged, not sent.
fn payload<T>(data: Result<T, socketioxide::ParserError>, what: &str) -> Result<T, ApiError> {
    data.map_err(|e| {
        tracing::debug!(error = %e, "malformed {what} request");
        ApiError::invalid(format!("Malformed {what} request: see docs/API.md for its fields."))
    })
}

async fn on_join(
    socket: SocketRef,
    arrival: Arrival,
    TryData(data): TryData<events::JoinRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(m): Extension<Member>,
) {
    let Some(InFlight { _token, role, ack }) = start_event(&socket, &rt, &m, ack).await else { return };
    // A first look outside the channel's turn, so that a join for a channel
    // the socket may not read (another organization's) never holds up its
    // writers; the look that counts is taken again in the turn, below.
    let channel = match payload(data, "join") {
        Ok(req) => match rt.service.readable_channel(&m.user, m.org_id, role, req.channel_id).await {
            Ok(c) => Ok((c.id, req)),
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e),
    };
    let (channel_id, req) = match channel {
        Ok(found) => found,
        Err(e) => return reply::<()>(ack, Err::<(), ApiError>(e)),
    };
    // Read the channel as of one point of its stream; the socket enters the
    // room and is answered at exactly that point (by the delivery task), so it
    // gets every later message live, in order, and none it was already sent.
    let service = rt.service.clone();
    rt.service
        .at_channel_point(channel_id, async move {
            // Again, in the channel's turn, with the role as it is now: a
            // `leave`, a demotion or a removal published since the first look
            // (its sockets out of the room from there) must not be undone by
            // this step.
            let now = match service.session_role(&m.token_hash, m.org_id).await {
                Ok(now) => service.readable_channel(&m.user, m.org_id, now, channel_id).await,
                Err(e) => Err(e),
            };
            if let Err(e) = now {
                return (reply::<()>(ack, Err(e)), None);
            }
            let last_seq = match service.last_seq(channel_id).await {
                Ok(seq) => seq,
                Err(e) => return (reply::<()>(ack, Err(e)), None),
            };
            let mut joined = events::Joined { channel_id, last_seq, missed: Vec::new(), more: false, reset: false };
            match req.after_seq {
                Some(after) if after > last_seq => joined.reset = true,
                Some(after) if after < last_seq => {
                    match service.messages_after(channel_id, after, events::RESUME_PAGE).await {
                        Ok(missed) => joined.missed = missed.into_iter().map(Into::into).collect(),
                        Err(e) => return (reply::<()>(ack, Err(e)), None),
                    }
                    joined.more = joined.missed.last().is_some_and(|m| m.seq < last_seq);
                }
                _ => {}
            }
            if joined.more {
                // Not in the room yet: the client asks for the next page.
                return (reply(ack, Ok::<_, ApiError>(joined)), None);
            }
            let (user_id, org) = (m.user.id, m.org_slug.clone());
            m.rooms.note(channel_id, arrival);
            let step = Step::new(move || {
                if !socket.connected() {
                    return;
                }
                if socket.extensions.get::<CutOff>().is_some() {
                    let closing = "This connection fell behind and is closing; reconnect to catch up.";
                    return reply::<()>(ack, Err(ApiError::new(ErrorCode::Unavailable, closing)));
                }
                let room = channel_room(channel_id);
                // A `leave` sent after this join has the last word.
                let enter = m.rooms.is_latest(channel_id, arrival);
                if enter {
                    socket.join(room.clone());
                }
                let resumed = joined.missed.len();
                // The answer (with the missed messages) must reach it before
                // any live message: if its queue is full, it is cut off.
                match ack.send(&Ack::from(Ok::<_, ApiError>(joined))) {
                    Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                        socket.leave(room);
                        cut_off(socket, channel_id, "its join answer");
                    }
                    _ if !enter => tracing::debug!(user_id, channel_id, "join overtaken by a later leave"),
                    _ => tracing::info!(user_id, %org, channel_id, socket_id = %socket.id, resumed, "joined room"),
                }
            });
            ((), Some(step))
        })
        .await;
}

async fn on_leave(
    socket: SocketRef,
    arrival: Arrival,
    TryData(data): TryData<events::RoomRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(m): Extension<Member>,
) {
    let Some(InFlight { _token, role, ack }) = start_event(&socket, &rt, &m, ack).await else { return };
    let channel_id = match payload(data, "leave") {
        Ok(req) => req.channel_id,
        Err(e) => return reply::<()>(ack, Err::<(), ApiError>(e)),
    };
    // Only channels of this organization it may read: nothing else is noted
    // or queued for a made-up id.
    if let Err(e) = rt.service.readable_channel(&m.user, m.org_id, role, channel_id).await {
        return reply::<()>(ack, Err(e));
    }
    // Left at a point of the channel's stream, like a join: after a join the
    // client sent before, even one the delivery task has not carried out yet.
    m.rooms.note(channel_id, arrival);
    let step = Step::new(move || {
        // A `join` sent after this leave has the last word.
        if m.rooms.is_latest(channel_id, arrival) {
            socket.leave(channel_room(channel_id));
        }
        tracing::info!(user_id = m.user.id, org = %m.org_slug, channel_id, socket_id = %socket.id, "left room");
        reply(ack, Ok::<_, ApiError>(events::RoomRequest { channel_id }));
    });
    rt.service.at_channel_point(channel_id, async move { ((), Some(step)) }).await;
}

async fn on_read(
    socket: SocketRef,
    TryData(data): TryData<events::ReadRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(m): Extension<Member>,
) {
    let Some(InFlight { _token, role, ack }) = start_event(&socket, &rt, &m, ack).await else { return };
    let result = async {
        let req = payload(data, "read")?;
        let last_read_seq = rt.service.mark_read(&m.user, m.org_id, &m.org_slug, role, req.channel_id, req.seq).await?;
        Ok::<_, ApiError>(events::ReadCursor { channel_id: req.channel_id, last_read_seq })
    }
    .await;
    reply(ack, result);
}

/// Someone is typing: the other sockets in the channel's room hear it, if
/// they can take it at once (volatile). Only a socket in the room (so one
/// whose `join` the access rules allowed) may say so; nothing is stored and
/// nothing is answered, so it costs no query per keystroke.
async fn on_typing(socket: SocketRef, TryData(data): TryData<events::TypingRequest>, Extension(m): Extension<Member>) {
    let Ok(req) = data else { return };
    // At most one sign a second per socket, whatever a script sends.
    let now = STARTED.elapsed().as_millis() as u64 + 1;
    let last = m.typing_at.load(Ordering::Relaxed);
    if last != 0 && now.saturating_sub(last) < TYPING_EVERY_MS {
        return;
    }
    m.typing_at.store(now, Ordering::Relaxed);
    let room = channel_room(req.channel_id);
    if !socket.rooms().iter().any(|r| *r == room) {
        return;
    }
    let typing = events::Typing { channel_id: req.channel_id, user_id: m.user.id, username: m.user.username };
    if let Err(e) = socket.to(room).volatile().emit(events::TYPING, &typing).await {
        tracing::debug!(error = %e, "typing not sent to everyone");
    }
}

/// Finds or starts a direct conversation (for bots; the browser uses the
/// server function): its people other than the sender hear `channel_added`.
async fn on_open_direct(
    socket: SocketRef,
    TryData(data): TryData<events::OpenDirect>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(m): Extension<Member>,
) {
    let Some(InFlight { _token, ack, .. }) = start_event(&socket, &rt, &m, ack).await else { return };
    let result = async {
        let req = payload(data, "open_direct")?;
        Ok::<_, ApiError>(Channel::from(rt.service.open_direct(&m.user, &m.org_slug, &req.usernames).await?))
    }
    .await;
    reply(ack, result);
}

async fn on_send(
    socket: SocketRef,
    ticket: SendTicket,
    TryData(data): TryData<events::SendRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(m): Extension<Member>,
) {
    // Stored in the order this socket sent them.
    let _turn = ticket.turn().await;
    let Some((_token, ack)) = not_stopping(&rt, ack) else { return };
    let req = match payload(data, "send") {
        Ok(req) => req,
        Err(e) => return reply::<()>(ack, Err::<(), ApiError>(e)),
    };
    // The session, the membership and the channel, checked as they are now
    // in one look (the other events ask `still_admitted` first).
    let posted = rt
        .service
        .post_for_session(&m.token_hash, &m.user, m.org_id, &m.org_slug, req.channel_id, &req.client_id, &req.body)
        .await;
    let result = match posted {
        Ok(result) => result,
        Err(ended) => {
            reply::<()>(ack, Err(ended));
            return close_ended(&socket, &m);
        }
    };
    let result = result.map(|(message, created)| {
        tracing::info!(
            message_id = message.id,
            seq = message.seq,
            channel_id = message.channel_id,
            user_id = m.user.id,
            size = message.body.len(),
            retry = !created,
            "message stored"
        );
        // The service published it (if new); `deliver_events` sends it to
        // the room, this socket included, in order.
        ChatMessage::from(message)
    });
    reply(ack, result);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(http::header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    /// What `deliver_events` sends, serialized once: each socket's packet
    /// carries it verbatim.
    #[test]
    fn a_serialized_event_goes_out_as_it_is() {
        use socketioxide_core::parser::Parse;
        let json = serde_json::value::to_raw_value(&serde_json::json!({"seq": 7, "body": "hé \"quoted\""})).unwrap();
        let value = socketioxide_parser_common::CommonParser.encode_value(&*json, Some("message")).unwrap();
        assert_eq!(value.as_str().unwrap().as_str(), r#"["message",{"body":"hé \"quoted\"","seq":7}]"#);
    }

    #[test]
    fn origins() {
        let site = Site::new(None, &["https://app.example/".into()], false).unwrap();
        assert!(origin_allowed(&headers(None, "chat.example.com"), &site));
        assert!(origin_allowed(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"), &site));
        assert!(!origin_allowed(&headers(Some("http://evil.example"), "127.0.0.1:3000"), &site));
        assert!(origin_allowed(&headers(Some("https://app.example"), "10.0.0.5:3000"), &site));
    }
}
