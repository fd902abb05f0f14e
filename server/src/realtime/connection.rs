//! What one live connection is, as its handlers see it: set up by
//! admission, kept in the socket's extensions.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use confab_core::service::Seat;
use socketioxide::adapter::Adapter;
use socketioxide::handler::{FromMessageParts, Value};
use socketioxide::socket::Socket;

use super::limits::Limits;
use super::presence::Counted;
use crate::cluster::CountedSocket;

/// Who a socket is: set by admission, read by every handler.
#[derive(Clone, Debug)]
pub(super) struct Connection {
    /// Its session, its user and its organization, looked up again at each event.
    pub(super) seat: Seat,
    /// The socket's place in its user's count, given back when it is dropped.
    pub(super) _counted: Arc<CountedSocket>,
    /// The latest `join` or `leave` it sent for each channel.
    pub(super) rooms: Arc<RoomRequests>,
    /// When it last said "typing", in ms since the server started (0: never).
    pub(super) typing_at: Arc<AtomicU64>,
    /// Whether it counts towards its person's presence now.
    pub(super) present: Arc<Counted>,
    /// See [`super::LiveSettings::cut_off_linger`].
    pub(super) cut_off_linger: Duration,
    /// What it may ask of the server, how fast.
    pub(super) limits: Arc<Limits>,
}

/// When an event arrived, among all the events this process reads: taken as
/// the event is read, before its handler's task starts, so a socket's events
/// are numbered in the order it sent them (the handlers' tasks may then run
/// in any order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Arrival(u64);

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
pub(super) struct RoomRequests(Mutex<HashMap<i64, Arrival>>);

impl RoomRequests {
    pub(super) fn note(&self, channel_id: i64, at: Arrival) {
        let mut latest = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = latest.entry(channel_id).or_insert(at);
        *entry = (*entry).max(at);
    }

    pub(super) fn is_latest(&self, channel_id: i64, at: Arrival) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&channel_id) == Some(&at)
    }
}
