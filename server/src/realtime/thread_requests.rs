//! The client events of threads: `read_thread` (the person's read cursor
//! in a thread; all their devices hear it) and `follow_thread`. Replying is
//! `send` with `thread_of`.

use app::protocol::events;
use socketioxide::extract::{AckSender, Extension, SocketRef, State, TryData};

use super::Realtime;
use super::connection::Connection;
use super::limits::Kind;
use super::requests::{begin, channel_now, payload, reply};

/// Moves the person's read cursor in a thread; all their devices hear it.
pub(super) async fn on_read_thread(
    socket: SocketRef,
    TryData(data): TryData<events::ThreadReadRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Read) else { return };
    let req = match payload(data, "read_thread") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    let result = rt.service.mark_thread_read(&access, req.root_seq, req.seq).await;
    let cursor =
        |last_read_seq| events::ThreadCursor { channel_id: req.channel_id, root_seq: req.root_seq, last_read_seq };
    reply(event.ack, result.map(cursor));
}

/// Follows a thread or stops following it; all the person's devices hear
/// of a change.
pub(super) async fn on_follow_thread(
    socket: SocketRef,
    TryData(data): TryData<events::ThreadFollow>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Read) else { return };
    let req = match payload(data, "follow_thread") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    let result = rt.service.follow_thread(&access, req.root_seq, req.following).await;
    let follow = |following| events::ThreadFollow { channel_id: req.channel_id, root_seq: req.root_seq, following };
    reply(event.ack, result.map(follow));
}
