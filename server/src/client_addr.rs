//! Who is on the other end of a request: the client's address, as the
//! listener saw it.

use std::net::{IpAddr, SocketAddr};

/// The peer address of a connection, put into every request's extensions by
/// the server (axum's connect info).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientAddr(pub SocketAddr);

impl ClientAddr {
    /// The client address of a request, from its extensions; unknown (tests
    /// that call the router without a listener) counts as one client.
    pub(crate) fn of(parts: &http::Extensions) -> IpAddr {
        parts
            .get::<axum::extract::ConnectInfo<ClientAddr>>()
            .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |info| info.0.0.ip())
    }
}
