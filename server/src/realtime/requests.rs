//! The client events other than joining and leaving a room and those of
//! threads (`thread_requests`): `send`, `edit`, `react`, `pin`, `read`,
//! `notices`, `typing` and `open_direct`, and what every event's handling shares: a
//! stopping server answers "restarting", access is looked up as it is now
//! (a socket whose session or membership ended is answered why and
//! closed), and every answer is an `Ack`.

use std::sync::atomic::Ordering;

use app::errors::ApiError;
use app::protocol::{Ack, Channel, ChatMessage, events};
use confab_core::CoreError;
use confab_core::service::{ChannelAccess, Standing};
use socketioxide::extract::{AckSender, Event, Extension, SocketRef, State, TryData};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::task::task_tracker::TaskTrackerToken;

use super::Realtime;
use super::connection::Connection;
use super::limits::Kind;
use super::rooms::channel_room;
use super::send_order::SendTicket;

/// The least time between two "typing" signs of one socket that are relayed.
const TYPING_EVERY_MS: u64 = 1000;

/// When this process started: the clock "typing" is timed by.
static STARTED: std::sync::LazyLock<std::time::Instant> = std::sync::LazyLock::new(std::time::Instant::now);

/// An event being handled: the server waits for it before it stops, and it
/// holds one of its connection's places for events in flight.
pub(super) struct InFlight {
    pub(super) _token: TaskTrackerToken,
    pub(super) _place: OwnedSemaphorePermit,
    pub(super) ack: AckSender,
}

/// Starts handling an event of `kind`: `None` (and answered) when the server
/// is stopping ("restarting"), or when the connection is over its limits
/// (`rate_limited`; one that keeps going is closed).
pub(super) fn begin(socket: &SocketRef, rt: &Realtime, c: &Connection, ack: AckSender, kind: Kind) -> Option<InFlight> {
    // Taken before looking, so a stop that comes after the look waits for it.
    let token = rt.in_flight.token();
    if rt.in_flight.is_closed() {
        reply::<()>(ack, Err(CoreError::Stopping));
        return None;
    }
    match c.limits.admit(kind) {
        Ok(place) => Some(InFlight { _token: token, _place: place, ack }),
        Err(refusal) => {
            reply::<()>(ack, Err(ApiError::rate_limited(refusal.sentence())));
            over_limits(socket, c);
            None
        }
    }
}

/// Counts a refusal of the connection's; one that has earned too many is
/// closed.
pub(super) fn over_limits(socket: &SocketRef, c: &Connection) {
    if c.limits.refused() {
        let (user_id, org) = (c.seat.user.id, &c.seat.org.slug);
        tracing::warn!(user_id, %org, socket_id = %socket.id, "closing a connection that kept going past its limits");
        let _ = socket.clone().disconnect();
    }
}

/// Where the connection stands now; `None` (and answered) when its access
/// has ended (the socket is then closed) or cannot be checked.
pub(super) async fn standing_now(
    socket: &SocketRef,
    rt: &Realtime,
    c: &Connection,
    event: InFlight,
) -> Option<(Standing, InFlight)> {
    match rt.service.standing_by_session(&c.seat).await {
        Ok(standing) => Some((standing, event)),
        Err(e) => refuse(socket, c, event, e),
    }
}

/// Channel `channel_id` as the connection may read it now, looked up with
/// its session and membership in one query; `None` (and answered) when it
/// may not, or when its access has ended (the socket is then closed).
pub(super) async fn channel_now(
    socket: &SocketRef,
    rt: &Realtime,
    c: &Connection,
    event: InFlight,
    channel_id: i64,
) -> Option<(ChannelAccess, InFlight)> {
    match rt.service.session_channel(&c.seat, channel_id).await {
        Ok(looked) => match looked.reading() {
            Ok(access) => Some((access, event)),
            Err(e) => {
                reply::<()>(event.ack, Err(e));
                None
            }
        },
        Err(e) => refuse(socket, c, event, e),
    }
}

/// Answers a failed look-up of access; a socket whose access has ended is
/// closed after it is told.
fn refuse<T>(socket: &SocketRef, c: &Connection, event: InFlight, e: CoreError) -> Option<T> {
    let ended = e.is_access_ended();
    reply::<()>(event.ack, Err(e));
    if ended {
        close_ended(socket, c);
    }
    None
}

/// Closes a socket whose session or membership has ended (it was answered why).
fn close_ended(socket: &SocketRef, c: &Connection) {
    let (user_id, org) = (c.seat.user.id, &c.seat.org.slug);
    tracing::info!(user_id, %org, socket_id = %socket.id, "closing a socket whose session or membership ended");
    let _ = socket.clone().disconnect();
}

/// Replies to a request that asked for an acknowledgement.
pub(super) fn reply<T: serde::Serialize>(ack: AckSender, result: Result<T, impl Into<ApiError>>) {
    // A client that did not ask for an ack gets none; nothing to do then.
    let _ = ack.send(&Ack::from(result.map_err(Into::into)));
}

/// A request whose payload does not have the expected shape. The parser's
/// details (which may quote the input) are logged, not sent.
pub(super) fn payload<T>(data: Result<T, socketioxide::ParserError>, what: &str) -> Result<T, ApiError> {
    data.map_err(|e| {
        tracing::debug!(error = %e, "malformed {what} request");
        ApiError::invalid(format!("Malformed {what} request: see docs/API.md for its fields."))
    })
}

/// Stores a message (checked, within its sender's rate) in a channel the
/// connection may post to; the channel's room hears it from the delivery
/// task, this socket included, in order.
pub(super) async fn on_send(
    socket: SocketRef,
    ticket: SendTicket,
    TryData(data): TryData<events::SendRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    // Within its limits first (a refused send gives its place in the order
    // up), so that a flood never queues; then stored in the order this
    // socket sent them.
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Send) else { return };
    let _turn = ticket.turn().await;
    let req = match payload(data, "send") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    // The message's own checks first: a flood costs no query.
    let draft = match rt.service.draft(&c.seat.user, &req.client_id, &req.body, &req.files).await {
        Ok(draft) => match req.thread_of {
            Some(root) => draft.in_thread(root, req.in_channel),
            None => draft,
        },
        Err(e) => {
            let too_fast = matches!(e, CoreError::RateLimited(_));
            reply::<()>(event.ack, Err(e));
            if too_fast {
                over_limits(&socket, &c);
            }
            return;
        }
    };
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    let result = rt.service.post(&access, draft).await.map(|posted| {
        let message = posted.message;
        tracing::info!(
            message_id = message.id,
            seq = message.seq,
            channel_id = message.channel_id,
            user_id = c.seat.user.id,
            size = message.body.len(),
            retry = !posted.created,
            "message stored"
        );
        ChatMessage::from(message)
    });
    reply(event.ack, result);
}

/// Replaces the text of one's own message; the channel's room hears it from
/// the delivery task, in order.
pub(super) async fn on_edit(
    socket: SocketRef,
    TryData(data): TryData<events::EditRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Send) else { return };
    let req = match payload(data, "edit") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    let result = rt.service.edit_message(&access, req.seq, &req.body).await;
    reply(event.ack, result.map(ChatMessage::from));
}

/// Puts an emoji on a message, or takes it back; the channel's room hears
/// it from the delivery task, in order.
pub(super) async fn on_react(
    socket: SocketRef,
    TryData(data): TryData<events::ReactRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Send) else { return };
    let req = match payload(data, "react") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    reply(event.ack, rt.service.react(&access, req.seq, &req.emoji, !req.remove).await);
}

/// Pins a message for everyone in its channel, or unpins it; the room hears
/// it from the delivery task, in order.
pub(super) async fn on_pin(
    socket: SocketRef,
    TryData(data): TryData<events::PinRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Send) else { return };
    let req = match payload(data, "pin") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    reply(event.ack, rt.service.pin(&access, req.seq, !req.unpin).await);
}

/// Moves the person's read cursor in a channel; all their devices hear it.
pub(super) async fn on_read(
    socket: SocketRef,
    TryData(data): TryData<events::ReadRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Read) else { return };
    let req = match payload(data, "read") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    let result = rt.service.mark_read(&access, req.seq).await;
    reply(event.ack, result.map(|last_read_seq| events::ReadCursor { channel_id: req.channel_id, last_read_seq }));
}

/// The person's notices after a point: what a device that was away, or
/// that saw a gap in their `seq`s, missed.
pub(super) async fn on_notices(
    socket: SocketRef,
    TryData(data): TryData<events::NoticesRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Notices) else { return };
    let req = match payload(data, "notices") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    let Some((standing, event)) = standing_now(&socket, &rt, &c, event).await else { return };
    let result = rt.service.notices_after(&standing, req.after).await;
    reply(event.ack, result.map(events::Notices::from));
}

/// Someone is typing: the other sockets in the channel's room hear it, if
/// they can take it at once (volatile). Only a socket in the room (so one
/// whose `join` the access rules allowed) may say so; nothing is stored and
/// nothing is answered, so it costs no query per keystroke.
pub(super) async fn on_typing(
    socket: SocketRef,
    TryData(data): TryData<events::TypingRequest>,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    if c.limits.admit(Kind::Typing).is_err() {
        return over_limits(&socket, &c);
    }
    let Ok(req) = data else { return };
    // At most one sign a second per socket is relayed, whatever a script sends.
    let now = STARTED.elapsed().as_millis() as u64 + 1;
    let last = c.typing_at.load(Ordering::Relaxed);
    if last != 0 && now.saturating_sub(last) < TYPING_EVERY_MS {
        return;
    }
    c.typing_at.store(now, Ordering::Relaxed);
    let room = channel_room(req.channel_id);
    if !socket.rooms().iter().any(|r| *r == room) {
        return;
    }
    let user = &c.seat.user;
    let typing = events::Typing { channel_id: req.channel_id, user_id: user.id, username: user.username.clone() };
    if let Err(e) = socket.to(room).volatile().emit(events::TYPING, &typing).await {
        tracing::debug!(error = %e, "typing not sent to everyone");
    }
    if let Some(cluster) = &rt.cluster {
        cluster.tell_typing(&c.seat.org.slug, &typing);
    }
}

/// Finds or starts a direct conversation (for bots; the browser uses the
/// server function): its people other than the sender hear a
/// `channel_added` notice.
pub(super) async fn on_open_direct(
    socket: SocketRef,
    TryData(data): TryData<events::OpenDirect>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::OpenDirect) else { return };
    let Some((standing, event)) = standing_now(&socket, &rt, &c, event).await else { return };
    let result = async {
        let req = payload(data, "open_direct")?;
        Ok::<_, ApiError>(Channel::from(rt.service.open_direct(&standing, &req.usernames).await?))
    }
    .await;
    reply(event.ack, result);
}

/// An event the server does not know: answered (`invalid`) when the client
/// asked for an answer, so a bot does not wait for its own timeout.
pub(super) async fn on_unknown(
    socket: SocketRef,
    Event(name): Event,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Unknown) else { return };
    tracing::debug!(socket_id = %socket.id, "unknown event");
    let name: String = name.chars().take(40).filter(|ch| !ch.is_control()).collect();
    let why = format!("There is no event named {name:?}; see docs/API.md for the events a client may send.");
    reply::<()>(event.ack, Err(ApiError::invalid(why)));
    over_limits(&socket, &c);
}
