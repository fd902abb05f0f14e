//! Many servers as one service: the same PostgreSQL database (the truth:
//! every channel event is stored under its channel's next `seq` before
//! anyone hears of it) and a feed between the servers over Redis (a hint).
//!
//! Each server delivers every channel event to its own sockets, whichever
//! server stored it: its own writers' events at once, the others' as the
//! feed brings them. The feed may be late, reorder or lose them; each
//! server's delivery (`realtime::sequencer`) puts each channel back in
//! `seq` order and reads any gap from the database, and checks every
//! channel it follows against the database after each loss it can see and
//! once a second, so a socket never sees a hole or a copy, whatever
//! happened to Redis or to the server that stored an event.
//!
//! - [`feed`]: the Redis connection, publishing and receiving;
//! - [`envelope`]: what the servers tell each other, as JSON;
//! - [`limits`]: the per-person limits, counted for all servers in Redis;
//! - [`sockets`]: the sockets each person holds on every server.

mod envelope;
mod feed;
mod limits;
mod sockets;

pub(crate) use feed::{Cluster, ClusterFeed, ForPeople, Inbox, Lost, Remote};
pub(crate) use sockets::{ClusterSockets, CountedSocket};
