//! Joining and leaving a channel's room, each at one point of the channel's
//! stream. A `join` may resume from a `seq`: its answer carries what was
//! missed after it (a page at a time), and the socket enters the room at
//! exactly the point that answer reaches, so it gets every later event live,
//! in order, and none twice.
//!
//! A join holds the channel's turn (which every writer to the channel waits
//! for) only for the one query that must see the channel as of that point:
//! the connection's access as it is now, and the channel's newest `seq`.
//! What was missed is read before, outside the turn; only what was
//! published between that read and the point is read in it.

use app::errors::{ApiError, ErrorCode};
use app::protocol::{Ack, ChatMessage, events};
use confab_core::channel_events::{Behind, Step};
use socketioxide::extract::{AckSender, Extension, SocketRef, State, TryData};
use socketioxide::{SendError, SocketError};

use super::Realtime;
use super::connection::{Arrival, Connection};
use super::delivery::{CutOff, cut_off};
use super::limits::Kind;
use super::requests::{begin, channel_now, payload, reply};
use super::rooms::channel_room;

pub(super) async fn on_join(
    socket: SocketRef,
    arrival: Arrival,
    TryData(data): TryData<events::JoinRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Rooms) else { return };
    let req = match payload(data, "join") {
        Ok(req) => req,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    // A first look outside the channel's turn, so that a join for a channel
    // the socket may not read (another organization's) never holds up its
    // writers; the look that counts is taken again in the turn, below.
    let Some((access, event)) = channel_now(&socket, &rt, &c, event, req.channel_id).await else { return };
    let channel_id = access.channel.id;
    // What was missed, read ahead (the channel's events up to a point are
    // never changed but by a later event, which the join then gets too).
    let mut missed = Vec::new();
    if let Some(after) = req.after_seq.filter(|after| *after < access.channel.last_seq) {
        match rt.service.messages_after(&access, after, events::RESUME_PAGE).await {
            Ok(page) => missed = page,
            Err(e) => return reply::<()>(event.ack, Err(e)),
        }
    }
    let service = rt.service.clone();
    rt.service
        .at_channel_point(channel_id, async move {
            // Again, in the channel's turn, with access as it is now: a
            // `leave`, a demotion or a removal published since the first look
            // (its sockets out of the room from there) must not be undone by
            // this step. The same look gives the channel's newest `seq`.
            let now = match service.session_channel(&c.seat, channel_id).await.and_then(|l| l.reading()) {
                Ok(now) => now,
                Err(e) => return (reply::<()>(event.ack, Err(e)), None),
            };
            let last_seq = now.channel.last_seq;
            let mut joined = events::Joined { channel_id, last_seq, missed: Vec::new(), more: false, reset: false };
            match req.after_seq {
                Some(after) if after > last_seq => joined.reset = true,
                Some(after) if after < last_seq => {
                    // Published since the read ahead: read now, in the turn.
                    let read_up_to = missed.last().map_or(after, |m| m.seq);
                    if missed.len() < events::RESUME_PAGE && read_up_to < last_seq {
                        let room = events::RESUME_PAGE - missed.len();
                        match service.messages_after(&now, read_up_to, room).await {
                            Ok(rest) => missed.extend(rest),
                            Err(e) => return (reply::<()>(event.ack, Err(e)), None),
                        }
                    }
                    missed.retain(|m| m.seq <= last_seq);
                    joined.more = missed.last().is_some_and(|m| m.seq < last_seq);
                    joined.missed = missed.into_iter().map(ChatMessage::from).collect();
                }
                _ => {}
            }
            if joined.more {
                // Not in the room yet: the client asks for the next page.
                return (reply(event.ack, Ok::<_, ApiError>(joined)), None);
            }
            c.rooms.note(channel_id, arrival);
            let (ack, resuming) = (event.ack, req.after_seq.is_some_and(|after| after <= last_seq));
            let org = c.seat.org.slug.clone();
            let step = Step::at(&org, channel_id, last_seq, move |behind| {
                enter(socket, c, arrival, caught_up(joined, resuming, behind), ack)
            });
            ((), Some(step))
        })
        .await;
}

/// The answer to a join whose point the room had passed when it ran (by
/// events from other servers, committed after the join's look): the room's
/// point is the answer's, and a resuming socket gets those events too. When
/// they are no longer at hand, or more than a page, the socket stays out
/// and asks for the next page (`more`).
fn caught_up(mut joined: events::Joined, resuming: bool, behind: Behind) -> events::Joined {
    match behind {
        Some(behind) if behind.is_empty() => {}
        Some(behind) if !resuming || joined.missed.len() + behind.len() <= events::RESUME_PAGE => {
            joined.last_seq = behind.last().map_or(joined.last_seq, |e| e.seq());
            if resuming {
                joined.missed.extend(behind.into_iter().map(|e| ChatMessage::from(e.into_message())));
            }
        }
        // Over 64 events in the moment between the look and the step:
        // the client joins again from where this answer ends.
        _ => joined.more = true,
    }
    joined
}

/// At the join's point of the stream (run by the delivery task): the socket
/// enters the room, unless a later `leave` of its own has the last word, and
/// is answered, before any event published after that point.
fn enter(socket: SocketRef, c: Connection, arrival: Arrival, joined: events::Joined, ack: AckSender) {
    if !socket.connected() {
        return;
    }
    if joined.more {
        // Not in the room yet: the client asks for the next page.
        return reply(ack, Ok::<_, ApiError>(joined));
    }
    if socket.extensions.get::<CutOff>().is_some() {
        let closing = "This connection fell behind and is closing; reconnect to catch up.";
        return reply::<()>(ack, Err(ApiError::new(ErrorCode::Unavailable, closing)));
    }
    let channel_id = joined.channel_id;
    let room = channel_room(channel_id);
    // A `leave` sent after this join has the last word.
    let enter = c.rooms.is_latest(channel_id, arrival);
    if enter {
        socket.join(room.clone());
    }
    let resumed = joined.missed.len();
    let (user_id, org) = (c.seat.user.id, &c.seat.org.slug);
    // The answer (with the missed messages) must reach it before any live
    // message: if its queue is full, it is cut off.
    match ack.send(&Ack::from(Ok::<_, ApiError>(joined))) {
        Err(SendError::Socket(SocketError::InternalChannelFull)) => {
            socket.leave(room);
            cut_off(socket, channel_id, "its join answer");
        }
        _ if !enter => tracing::debug!(user_id, channel_id, "join overtaken by a later leave"),
        _ => tracing::info!(user_id, %org, channel_id, socket_id = %socket.id, resumed, "joined room"),
    }
}

pub(super) async fn on_leave(
    socket: SocketRef,
    arrival: Arrival,
    TryData(data): TryData<events::RoomRequest>,
    ack: AckSender,
    State(rt): State<Realtime>,
    Extension(c): Extension<Connection>,
) {
    let Some(event) = begin(&socket, &rt, &c, ack, Kind::Rooms) else { return };
    let channel_id = match payload(data, "leave") {
        Ok(req) => req.channel_id,
        Err(e) => return reply::<()>(event.ack, Err(e)),
    };
    // Only channels of this organization it may read: nothing else is noted
    // or queued for a made-up id.
    let Some((_, event)) = channel_now(&socket, &rt, &c, event, channel_id).await else { return };
    // Left at a point of the channel's stream, like a join: after a join the
    // client sent before, even one the delivery task has not carried out yet.
    c.rooms.note(channel_id, arrival);
    let ack = event.ack;
    let org = c.seat.org.slug.clone();
    let step = Step::now(&org, channel_id, move || {
        // A `join` sent after this leave has the last word.
        if c.rooms.is_latest(channel_id, arrival) {
            socket.leave(channel_room(channel_id));
        }
        tracing::info!(user_id = c.seat.user.id, org = %c.seat.org.slug, channel_id, socket_id = %socket.id, "left room");
        reply(ack, Ok::<_, ApiError>(events::RoomRequest { channel_id }));
    });
    rt.service.at_channel_point(channel_id, async move { ((), Some(step)) }).await;
}
