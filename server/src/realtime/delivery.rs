//! Delivery: one task takes every channel event and sends it to the sockets
//! in its channel's room, in `seq` order per channel ([`Sequencer`]: from
//! this server's writers they come in order; anything missing is read from
//! the database), so every socket gets each channel's events in order, with
//! no hole and none twice. A socket that cannot take one (its queue is
//! full) is cut off: out of every channel's room at once, told why as soon
//! as it can be, and closed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::protocol::{ChatMessage, events};
use confab_core::Service;
use confab_core::channel_events::{ChannelEvent, Feed, OutOfSight, Published, Step};
use socketioxide::extract::SocketRef;
use socketioxide::{SendError, SocketError, SocketIo};
use tokio::sync::mpsc;

use super::connection::Connection;
use super::rooms::{channel_room, is_channel_room, namespace, out_of_room};
use super::sequencer::{Action, FILL_PAGE, GAP_WAIT, Gap, Sequenced, Sequencer};
use crate::cluster::{Lost, Remote};

/// How often a socket cut off for falling behind is tried again, to tell it
/// why and close it once its queue has room.
const CUT_OFF_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

impl Sequenced for Published {
    fn channel_id(&self) -> i64 {
        self.event.channel_id()
    }
    fn seq(&self) -> i64 {
        self.event.seq()
    }
}

/// A read of the database for a gap, come back.
struct Filled {
    channel_id: i64,
    org_slug: String,
    events: Vec<ChannelEvent>,
}

/// How many delivered events each followed channel keeps, for a join
/// whose look was overtaken by events from other servers.
const KEEP_FOR_JOINS: usize = 64;

/// Delivers every channel event to the sockets in its channel's room, one
/// event after the other, in each channel's `seq` order: this server's own
/// (`feed`) and, with other servers (`cluster`), theirs, checking every
/// followed channel against the database every `sweep_every` (for an event
/// whose word never came: its server died between storing and telling, or
/// Redis lost it unseen). Runs until the server stops.
pub(super) async fn deliver_events(
    io: SocketIo,
    service: Service,
    mut feed: mpsc::Receiver<Feed>,
    cluster: Option<(mpsc::Receiver<Remote>, Arc<Lost>)>,
    sweep_every: Duration,
) {
    let shared = cluster.is_some();
    let mut sequencer: Sequencer<Published, Step> = Sequencer::new(if shared { KEEP_FOR_JOINS } else { 0 }, shared);
    let (mut remote, lost) = match cluster {
        Some((remote, lost)) => (Some(remote), Some(lost)),
        None => (None, None),
    };
    // Where each followed channel's organization is (to name fills' events).
    let mut orgs = HashMap::<i64, String>::new();
    let (fills, mut filled) = mpsc::unbounded_channel::<Filled>();
    let (ends, mut ended) = mpsc::unbounded_channel::<Vec<(i64, i64)>>();
    let (mut sweep_due, mut sweeping) = (false, false);
    let mut sweep = tokio::time::interval(sweep_every);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut actions = Vec::new();
    loop {
        tokio::select! {
            item = feed.recv() => match item {
                Some(Feed::Event(published)) => sequencer.event(published, Instant::now(), &mut actions),
                // A socket joining or leaving a room (and being answered) at its point.
                Some(Feed::Step(step)) => {
                    let (channel_id, as_of) = (step.channel_id(), step.as_of());
                    orgs.entry(channel_id).or_insert_with(|| step.org_slug().to_owned());
                    sequencer.step(channel_id, as_of, step, Instant::now(), &mut actions);
                }
                // Someone who may no longer see the channel: their sockets
                // hear nothing of it from this point on.
                Some(Feed::OutOfSight(OutOfSight { org_slug, channel_id, user_id })) => {
                    out_of_room(&io, &org_slug, user_id, channel_id);
                }
                None => return,
            },
            Some(item) = next_remote(&mut remote) => match item {
                Remote::Event(published) => sequencer.event(published, Instant::now(), &mut actions),
                Remote::OutOfSight(OutOfSight { org_slug, channel_id, user_id }) => {
                    out_of_room(&io, &org_slug, user_id, channel_id);
                }
            },
            Some(Filled { channel_id, org_slug, events }) = filled.recv() => {
                let events = events.into_iter().map(|event| Published { org_slug: org_slug.clone(), event }).collect();
                sequencer.filled(channel_id, events, Instant::now(), &mut actions);
            }
            () = tokio::time::sleep(GAP_WAIT), if sequencer.waiting() => {
                for gap in sequencer.gaps(Instant::now()) {
                    let org_slug = orgs.get(&gap.channel_id).cloned().unwrap_or_default();
                    tokio::spawn(fill(service.clone(), gap, org_slug, fills.clone()));
                }
            }
            () = lost_word(&lost) => sweep_due = true,
            _ = sweep.tick(), if shared => sweep_due = true,
            Some(reached) = ended.recv() => {
                sweeping = false;
                let now = Instant::now();
                for (channel_id, last_seq) in reached {
                    sequencer.reaches(channel_id, last_seq, now);
                }
            }
        }
        if sweep_due && !sweeping {
            sweep_due = false;
            let followed: Vec<i64> = sequencer.positions().into_iter().map(|(id, _)| id).collect();
            if !followed.is_empty() {
                sweeping = true;
                let (service, ends) = (service.clone(), ends.clone());
                tokio::spawn(async move {
                    // A failure is logged by the service; the next sweep tries again.
                    let _ = ends.send(service.stream_ends(&followed).await.unwrap_or_default());
                });
            }
        }
        let mut emptied = Vec::new();
        for action in actions.drain(..) {
            match action {
                Action::Deliver(published) => {
                    let (org_slug, channel_id) = (published.org_slug.clone(), published.event.channel_id());
                    if deliver(&io, published) == 0 {
                        emptied.push((org_slug, channel_id));
                    }
                }
                Action::Run(step, behind) => step.run(behind.map(|b| b.into_iter().map(|p| p.event).collect())),
            }
        }
        // A room nobody is in any more (after every step above ran) is no
        // longer followed, until a socket joins it again.
        for (org_slug, channel_id) in emptied {
            if room_is_empty(&io, &org_slug, channel_id) {
                sequencer.room_empty(channel_id);
                orgs.remove(&channel_id);
            }
        }
    }
}

/// The next message from the other servers (never, on one server alone).
async fn next_remote(remote: &mut Option<mpsc::Receiver<Remote>>) -> Option<Remote> {
    match remote {
        Some(remote) => remote.recv().await,
        None => std::future::pending().await,
    }
}

/// Word that something from the other servers may have been missed.
async fn lost_word(lost: &Option<Arc<Lost>>) {
    match lost {
        Some(lost) => lost.events.notified().await,
        None => std::future::pending().await,
    }
}

fn room_is_empty(io: &SocketIo, org_slug: &str, channel_id: i64) -> bool {
    io.of(namespace(org_slug)).is_none_or(|ns| ns.to(channel_room(channel_id)).sockets().is_empty())
}

/// Reads a gap of a channel's stream from the database, and hands it back.
async fn fill(service: Service, gap: Gap, org_slug: String, fills: mpsc::UnboundedSender<Filled>) {
    let Gap { channel_id, after, up_to } = gap;
    let limit = up_to.map_or(FILL_PAGE, |up_to| ((up_to - after).max(1) as usize).min(FILL_PAGE));
    let events = match service.stream_after(channel_id, after, limit).await {
        Ok(events) => {
            tracing::debug!(channel_id, after, found = events.len(), "gap read from the database");
            events
        }
        // Logged by the service; tried again after a moment.
        Err(_) => Vec::new(),
    };
    let _ = fills.send(Filled { channel_id, org_slug, events });
}

/// Sends one event to the sockets in its channel's room; how many there were.
fn deliver(io: &SocketIo, Published { org_slug, event }: Published) -> usize {
    let Some(ns) = io.of(namespace(&org_slug)) else { return 0 };
    let (channel_id, seq) = (event.channel_id(), event.seq());
    let (wire, lost_sight) = match event {
        ChannelEvent::Message(message) => (ChatMessage::from(message), None),
        ChannelEvent::LostSight(message) => {
            let leaver = message.author_id;
            (ChatMessage::from(message), Some(leaver))
        }
    };
    let sockets = ns.to(channel_room(channel_id)).sockets();
    // Serialized once, for every socket (each then only copies it).
    match serde_json::value::to_raw_value(&wire) {
        Ok(json) => {
            for socket in sockets.iter().cloned() {
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
        out_of_room(io, &org_slug, leaver, channel_id);
    }
    sockets.len()
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
