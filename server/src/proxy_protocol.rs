//! Client addresses behind a load balancer. A connection from an address the
//! settings trust (`--trusted-proxies`: the load balancer's) may begin with
//! a PROXY protocol header (version 1 or 2, as HAProxy's `send-proxy-v2`
//! sends it), which says whose connection it carries: that client's address
//! is then the connection's, for the per-address limits and the audit log.
//! A header from anyone else is never read (it is not HTTP, and the request
//! fails), so no client can claim another's address; a trusted address
//! that sends no header (an operator's own `curl`) is itself the client.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use ppp::{HeaderResult, PartialResult, v1, v2};
use tokio::net::TcpStream;

/// How long a trusted proxy may take to send its header.
pub(crate) const HEADER_WITHIN: Duration = Duration::from_secs(5);

/// The most a header may take (version 2 with its extensions).
const MAX_HEADER: usize = 536;

/// Version 2's signature, and version 1's start.
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";
const V1_START: &[u8] = b"PROXY ";

/// The addresses whose connections may say whose they carry.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrustedProxies(Vec<IpNet>);

/// A setting that is not an address or a network.
#[derive(Debug, thiserror::Error)]
#[error("--trusted-proxies: {0:?} is not an IP address or a network (such as 10.0.0.0/8)")]
pub(crate) struct BadProxy(String);

impl TrustedProxies {
    /// From addresses and networks (`127.0.0.1`, `10.0.0.0/8`).
    pub(crate) fn parse(entries: &[String]) -> Result<Self, BadProxy> {
        let parse = |entry: &String| {
            let entry = entry.trim();
            IpNet::from_str(entry)
                .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                .map_err(|_| BadProxy(entry.to_owned()))
        };
        Ok(TrustedProxies(entries.iter().filter(|e| !e.trim().is_empty()).map(parse).collect::<Result<_, _>>()?))
    }

    pub(crate) fn trusts(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&addr))
    }
}

/// The client a trusted proxy's connection carries: read from its PROXY
/// header (which is taken off the stream), or the proxy itself when there is
/// none. A header that is not one (garbled) fails the connection.
pub(crate) async fn client_of(stream: &TcpStream, peer: SocketAddr) -> io::Result<SocketAddr> {
    let mut buf = [0u8; MAX_HEADER];
    loop {
        let seen = stream.peek(&mut buf).await?;
        if seen == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before its first bytes"));
        }
        let start = &buf[..seen];
        let could_be = |sig: &[u8]| sig.starts_with(&start[..seen.min(sig.len())]);
        if !could_be(V2_SIGNATURE) && !could_be(V1_START) {
            return Ok(peer);
        }
        let header = HeaderResult::parse(start);
        if header.is_incomplete() {
            // A version 1 header ends at its first line's end; version 2
            // says its length: all of it here and still not a header is bad.
            let whole = if could_be(V1_START) {
                start.windows(2).any(|w| w == b"\r\n")
            } else {
                seen >= 16 && seen >= 16 + usize::from(u16::from_be_bytes([start[14], start[15]]))
            };
            if whole || seen == MAX_HEADER {
                return Err(bad("not a PROXY header"));
            }
            // More is on its way (peeking leaves the stream readable, so
            // wait a moment rather than for readiness).
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        let (length, client) = match header {
            HeaderResult::V2(Ok(h)) => (h.len(), v2_client(&h.addresses)),
            HeaderResult::V1(Ok(h)) => (h.header.len(), v1_client(&h.addresses)),
            HeaderResult::V2(Err(e)) => return Err(bad(&e.to_string())),
            HeaderResult::V1(Err(e)) => return Err(bad(&e.to_string())),
        };
        take(stream, length).await?;
        // A health check (LOCAL) or an unknown family: the proxy itself.
        return Ok(client.unwrap_or(peer));
    }
}

fn v2_client(addresses: &v2::Addresses) -> Option<SocketAddr> {
    match addresses {
        v2::Addresses::IPv4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        v2::Addresses::IPv6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        _ => None,
    }
}

fn v1_client(addresses: &v1::Addresses) -> Option<SocketAddr> {
    match addresses {
        v1::Addresses::Tcp4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        v1::Addresses::Tcp6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        v1::Addresses::Unknown => None,
    }
}

/// Reads (and drops) the header's `length` bytes, which were peeked.
async fn take(stream: &TcpStream, mut length: usize) -> io::Result<()> {
    let mut sink = [0u8; MAX_HEADER];
    while length > 0 {
        stream.readable().await?;
        match stream.try_read(&mut sink[..length]) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed in its PROXY header")),
            Ok(n) => length -= n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("bad PROXY header: {what}"))
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// What the server reads of a connection that sent `bytes`: the client
    /// address, and the rest of what was sent.
    async fn accept_after(bytes: Vec<u8>) -> (io::Result<SocketAddr>, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            // In two pieces, as a slow network would deliver them.
            let (a, b) = bytes.split_at(bytes.len() / 2);
            c.write_all(a).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            c.write_all(b).await.unwrap();
            c
        });
        let (mut stream, peer) = listener.accept().await.unwrap();
        let client_addr = client_of(&stream, peer).await;
        let _c = client.await.unwrap();
        let mut rest = vec![0u8; 64];
        let n =
            tokio::time::timeout(Duration::from_millis(200), stream.read(&mut rest)).await.map_or(0, |r| r.unwrap());
        rest.truncate(n);
        (client_addr, rest)
    }

    #[tokio::test]
    async fn a_version_2_header_gives_the_client_and_is_taken_off() {
        let header = v2::Builder::with_addresses(
            v2::Version::Two | v2::Command::Proxy,
            v2::Protocol::Stream,
            (SocketAddr::from(([203, 0, 113, 7], 51000)), SocketAddr::from(([10, 0, 0, 1], 3000))),
        )
        .build()
        .unwrap();
        let mut bytes = header;
        bytes.extend_from_slice(b"GET / HTTP/1.1\r\n");
        let (client, rest) = accept_after(bytes).await;
        assert_eq!(client.unwrap(), SocketAddr::from(([203, 0, 113, 7], 51000)));
        assert_eq!(rest, b"GET / HTTP/1.1\r\n");
    }

    #[tokio::test]
    async fn a_version_1_header_gives_the_client() {
        let bytes = b"PROXY TCP4 198.51.100.9 10.0.0.1 40000 3000\r\nGET /".to_vec();
        let (client, rest) = accept_after(bytes).await;
        assert_eq!(client.unwrap(), SocketAddr::from(([198, 51, 100, 9], 40000)));
        assert_eq!(rest, b"GET /");
    }

    #[tokio::test]
    async fn without_a_header_the_proxy_is_the_client_and_nothing_is_taken() {
        let (client, rest) = accept_after(b"GET /healthz HTTP/1.1\r\n".to_vec()).await;
        assert!(client.unwrap().ip().is_loopback());
        assert_eq!(rest, b"GET /healthz HTTP/1.1\r\n");
    }

    #[tokio::test]
    async fn a_garbled_header_fails_the_connection() {
        let (client, _) = accept_after(b"PROXY TCP4 not-an-address\r\n".to_vec()).await;
        assert_eq!(client.unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn trusted_addresses_and_networks() {
        let trusted = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        assert!(trusted.trusts("127.0.0.1".parse().unwrap()));
        assert!(trusted.trusts("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!trusted.trusts("127.0.0.2".parse().unwrap()));
        assert!(TrustedProxies::parse(&["nope".into()]).is_err());
        assert!(!TrustedProxies::parse(&[]).unwrap().trusts("127.0.0.1".parse().unwrap()));
    }
}
