//! Who is on the other end of a request: the client's address, as the
//! listener saw it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The peer address of a connection, put into every request's extensions by
/// the server (axum's connect info), and the mark a live connection gets.
#[derive(Clone, Debug)]
pub(crate) struct ClientAddr {
    pub(crate) addr: SocketAddr,
    pub(crate) live: LiveMark,
}

impl ClientAddr {
    /// The client address of a request, from its extensions; unknown (tests
    /// that call the router without a listener) counts as one client.
    pub(crate) fn of(parts: &http::Extensions) -> IpAddr {
        parts
            .get::<axum::extract::ConnectInfo<ClientAddr>>()
            .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |info| info.0.addr.ip())
    }

    /// Marks the connection of a request as a live one (Socket.IO's).
    pub(crate) fn mark_live(parts: &http::Extensions) {
        if let Some(info) = parts.get::<axum::extract::ConnectInfo<ClientAddr>>() {
            info.0.live.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Whether a connection has carried a live (Socket.IO) request: a stopping
/// server stops reading those before it closes them (`listener.rs`).
#[derive(Clone, Debug, Default)]
pub(crate) struct LiveMark(pub(crate) Arc<AtomicBool>);

impl LiveMark {
    pub(crate) fn is_live(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
