//! Confab's load generator: it opens many Socket.IO connections (Engine.IO
//! v4's WebSocket transport) spread over rooms, has some of them send, and
//! measures every delivery, against Confab or against the reference Node
//! Socket.IO server, with the same client code.
//!
//! - [`sio`]: one connection (handshake, pings, emits with ack ids).
//! - [`setup`]: preparing a server: accounts, organization, channels.
//! - [`run`]: a run and its report (deliveries per second, latency
//!   percentiles, and exact counts: lost, duplicated, out of order).

pub mod run;
pub mod setup;
pub mod sio;
