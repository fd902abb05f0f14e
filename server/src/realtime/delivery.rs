//! Delivery: one task takes every channel event, in the order the channels'
//! streams publish them, and sends it to the sockets in its channel's room,
//! so every socket gets each channel's events in `seq` order. A socket that
//! cannot take one (its queue is full) is cut off: out of every channel's
//! room at once, told why as soon as it can be, and closed.

use app::protocol::{ChatMessage, events};
use confab_core::channel_events::{ChannelEvent, Feed, OutOfSight, Published};
use socketioxide::extract::SocketRef;
use socketioxide::{SendError, SocketError, SocketIo};
use tokio::sync::mpsc;

use super::connection::Connection;
use super::rooms::{channel_room, is_channel_room, namespace, out_of_room};

/// How often a socket cut off for falling behind is tried again, to tell it
/// why and close it once its queue has room.
const CUT_OFF_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

/// Delivers every channel event to the sockets in its channel's room, one
/// event after the other, so each socket gets them in `seq` order. Runs until
/// the server stops.
pub(super) async fn deliver_events(io: SocketIo, mut feed: mpsc::Receiver<Feed>) {
    while let Some(item) = feed.recv().await {
        let Published { org_slug, event } = match item {
            Feed::Event(published) => published,
            // A socket joining or leaving a room (and being answered) at this point.
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
        let Some(ns) = io.of(namespace(&org_slug)) else { continue };
        let (channel_id, seq) = (event.channel_id(), event.seq());
        let (wire, lost_sight) = match event {
            ChannelEvent::Message(message) => (ChatMessage::from(message), None),
            ChannelEvent::LostSight(message) => {
                let leaver = message.author_id;
                (ChatMessage::from(message), Some(leaver))
            }
        };
        // Serialized once, for every socket (each then only copies it).
        match serde_json::value::to_raw_value(&wire) {
            Ok(json) => {
                for socket in ns.clone().to(channel_room(channel_id)).sockets() {
                    match socket.emit(events::MESSAGE, &*json) {
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

/// Marks a socket cut off for falling behind: nothing puts it in a channel's
/// room again.
#[derive(Clone, Copy, Debug)]
pub(super) struct CutOff;

/// A socket whose queue is full missed something (`what`, for the log): it
/// leaves its channels' rooms now, so it gets nothing more with a hole before
/// it, and is told why as soon as its queue has room. It is closed when the
/// client, having read that, reconnects (as Confab's does), or by the server
/// a linger after the notice was queued (one that reads nothing is closed by
/// its write timeout). It stays in its user's and session's rooms, so a
/// sign-out still closes it.
pub(super) fn cut_off(socket: SocketRef, channel_id: i64, what: &str) {
    socket.extensions.insert(CutOff);
    let channels: Vec<_> = socket.rooms().into_iter().filter(|r| is_channel_room(r)).collect();
    socket.leave(channels);
    let connection = socket.extensions.get::<Connection>();
    let user_id = connection.as_ref().map(|c| c.seat.user.id).unwrap_or_default();
    let linger = connection.map_or(CUT_OFF_RETRY, |c| c.cut_off_linger);
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

#[cfg(test)]
mod tests {
    /// What `deliver_events` sends, serialized once: each socket's packet
    /// carries it verbatim.
    #[test]
    fn a_serialized_event_goes_out_as_it_is() {
        use socketioxide_core::parser::Parse;
        let json = serde_json::value::to_raw_value(&serde_json::json!({"seq": 7, "body": "hé \"quoted\""})).unwrap();
        let value = socketioxide_parser_common::CommonParser.encode_value(&*json, Some("message")).unwrap();
        assert_eq!(value.as_str().unwrap().as_str(), r#"["message",{"body":"hé \"quoted\"","seq":7}]"#);
    }
}
