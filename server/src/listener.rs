//! The TCP listener: accepts connections, at most a set number open at once
//! from one client address (behind a trusted load balancer, the address its
//! PROXY header names), before any request is read. A client over the
//! limit is answered 429 and closed; everyone else is unaffected. A
//! connection whose writes make no progress for the write timeout (the client
//! stopped reading and the kernel's buffers are full) fails and is closed, so
//! a stalled client cannot hold a live socket or a response forever. When
//! the server stops, it stops reading its live connections before it closes
//! them ([`ReadPause`]), so that every event it has read gets its answer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;

use crate::client_addr::{ClientAddr, LiveMark};
use crate::proxy_protocol::{HEADER_WITHIN, TrustedProxies, client_of};
use confab_core::client_key::ClientKey;
use confab_core::held_counts::{HeldCounts, Pass};
use tokio::sync::mpsc;

const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\n\
connection: close\r\ncontent-length: 57\r\n\r\nToo many open connections from your address; try again.\r\n";

/// A TCP listener with a cap on open connections per client address (0: none)
/// and a write timeout (none: writes may wait forever).
pub(crate) struct LimitedListener {
    inner: TcpListener,
    per_address: usize,
    write_timeout: Option<Duration>,
    open: HeldCounts<ClientKey>,
    pause: ReadPause,
    /// Load balancers whose connections say whose they carry.
    trusted: TrustedProxies,
    /// Their connections, once their headers are read (each in a task of
    /// its own, so a slow one holds up no other), with the client's address.
    ready: (mpsc::UnboundedSender<Carried>, mpsc::UnboundedReceiver<Carried>),
}

/// A connection a trusted proxy carries, and its client's address.
type Carried = (TcpStream, SocketAddr);

/// Stops every live connection's reading at once (a stopping server): what
/// a client sends after it stays unread, and what was read is answered
/// before the connections close. Plain HTTP connections read on.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadPause(Arc<AtomicBool>);

impl ReadPause {
    pub(crate) fn pause(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn paused(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl LimitedListener {
    pub(crate) fn new(inner: TcpListener, per_address: usize, write_timeout: Option<Duration>) -> Self {
        LimitedListener {
            inner,
            per_address,
            write_timeout,
            open: HeldCounts::default(),
            pause: ReadPause::default(),
            trusted: TrustedProxies::default(),
            ready: mpsc::unbounded_channel(),
        }
    }

    /// Connections from `trusted` may begin with a PROXY header naming
    /// their client (`proxy_protocol.rs`).
    pub(crate) fn behind(mut self, trusted: TrustedProxies) -> Self {
        self.trusted = trusted;
        self
    }

    /// What pauses the live connections' reading.
    pub(crate) fn read_pause(&self) -> ReadPause {
        self.pause.clone()
    }
}

/// An accepted connection; gives its place back when closed.
pub(crate) struct CountedStream {
    stream: Pin<Box<TimeoutStream<TcpStream>>>,
    /// A write timed out: the connection is dead for good.
    broken: bool,
    /// It has carried a live (Socket.IO) request.
    live: LiveMark,
    pause: ReadPause,
    _pass: Pass<ClientKey>,
}

impl CountedStream {
    /// After a write timeout every later read and write fails, and the socket
    /// is shut down so that a read waiting on it ends too: the layers above
    /// (hyper, the WebSocket, Engine.IO) then close the connection instead of
    /// skipping the lost write and carrying on with a hole.
    fn check<T>(&mut self, result: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(e)) = &result
            && e.kind() == io::ErrorKind::TimedOut
            && !self.broken
        {
            self.broken = true;
            let peer = self.stream.get_ref().peer_addr().ok();
            tracing::info!(?peer, "closing a connection whose writes made no progress");
            let _ = socket2::SockRef::from(self.stream.get_ref()).shutdown(std::net::Shutdown::Both);
        }
        result
    }

    fn broken<T>(&self) -> Option<Poll<io::Result<T>>> {
        self.broken.then(|| Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out earlier"))))
    }
}

impl Listener for LimitedListener {
    type Io = CountedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (CountedStream, SocketAddr) {
        loop {
            let (stream, addr) = tokio::select! {
                (stream, peer) = Listener::accept(&mut self.inner) => {
                    if !self.trusted.trusts(peer.ip()) {
                        (stream, peer)
                    } else {
                        let ready = self.ready.0.clone();
                        tokio::spawn(async move {
                            match tokio::time::timeout(HEADER_WITHIN, client_of(&stream, peer)).await {
                                Ok(Ok(client)) => {
                                    let _ = ready.send((stream, client));
                                }
                                Ok(Err(e)) => tracing::info!(%peer, error = %e, "closed a connection from a trusted proxy"),
                                Err(_) => tracing::info!(%peer, "closed a connection from a trusted proxy: no header in time"),
                            }
                        });
                        continue;
                    }
                }
                Some(ready) = self.ready.1.recv() => ready,
            };
            if let Some(pass) = self.open.claim(ClientKey::of(addr.ip()), self.per_address) {
                let mut stream = TimeoutStream::new(stream);
                stream.set_write_timeout(self.write_timeout);
                let (live, pause) = (LiveMark::default(), self.pause.clone());
                let _ = stream.get_ref().set_nodelay(true);
                return (CountedStream { stream: Box::pin(stream), broken: false, live, pause, _pass: pass }, addr);
            }
            tracing::info!(client = %addr.ip(), limit = self.per_address, "refused: too many open connections");
            // Best effort: a fresh socket's send buffer takes this at once.
            let _ = stream.try_write(TOO_MANY);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, LimitedListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, LimitedListener>) -> Self {
        ClientAddr { addr: *stream.remote_addr(), live: stream.io().live.clone() }
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(broken) = self.broken() {
            return broken;
        }
        if self.live.is_live() && self.pause.paused() {
            // Never woken: the server closes the connection next.
            return Poll::Pending;
        }
        self.stream.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(broken) = self.broken() {
            return broken;
        }
        let result = self.stream.as_mut().poll_write(cx, buf);
        self.check(result)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(broken) = self.broken() {
            return broken;
        }
        let result = self.stream.as_mut().poll_flush(cx);
        self.check(result)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.as_mut().poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(broken) = self.broken() {
            return broken;
        }
        let result = self.stream.as_mut().poll_write_vectored(cx, bufs);
        self.check(result)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nagle's algorithm is off on every accepted connection: a small write
    /// (an acknowledgement, a notice) goes out at once instead of waiting
    /// for the peer's delayed ACK of the one before.
    #[tokio::test]
    async fn accepted_connections_send_small_writes_at_once() {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let mut listener = LimitedListener::new(inner, 0, None);
        let _client = TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = Listener::accept(&mut listener).await;
        assert!(accepted.stream.get_ref().nodelay().unwrap(), "TCP_NODELAY is set");
    }

    /// A paused live connection reads no more; a plain one reads on.
    #[tokio::test]
    async fn a_pause_stops_live_connections_reading_only() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let mut listener = LimitedListener::new(inner, 0, None);
        let pause = listener.read_pause();
        let mut live_client = TcpStream::connect(addr).await.unwrap();
        let (mut live, _) = Listener::accept(&mut listener).await;
        let mut plain_client = TcpStream::connect(addr).await.unwrap();
        let (mut plain, _) = Listener::accept(&mut listener).await;
        live.live.0.store(true, Ordering::SeqCst);
        pause.pause();
        live_client.write_all(b"after the pause").await.unwrap();
        plain_client.write_all(b"plain").await.unwrap();
        let mut buf = [0u8; 16];
        let wait = Duration::from_millis(200);
        assert!(
            tokio::time::timeout(wait, live.read(&mut buf)).await.is_err(),
            "a paused live connection reads nothing"
        );
        let n = tokio::time::timeout(wait, plain.read(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"plain");
    }
}
