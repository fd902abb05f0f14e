//! The TCP listener: accepts connections, at most a set number open at once
//! from one client address, before any request is read. A client over the
//! limit is answered 429 and closed; everyone else is unaffected. A
//! connection whose writes make no progress for the write timeout (the client
//! stopped reading and the kernel's buffers are full) fails and is closed, so
//! a stalled client cannot hold a live socket or a response forever.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;

use crate::client_addr::ClientAddr;
use confab_core::client_key::ClientKey;
use confab_core::held_counts::{HeldCounts, Pass};

const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\n\
connection: close\r\ncontent-length: 57\r\n\r\nToo many open connections from your address; try again.\r\n";

/// A TCP listener with a cap on open connections per client address (0: none)
/// and a write timeout (none: writes may wait forever).
pub(crate) struct LimitedListener {
    inner: TcpListener,
    per_address: usize,
    write_timeout: Option<Duration>,
    open: HeldCounts<ClientKey>,
}

impl LimitedListener {
    pub(crate) fn new(inner: TcpListener, per_address: usize, write_timeout: Option<Duration>) -> Self {
        LimitedListener { inner, per_address, write_timeout, open: HeldCounts::default() }
    }
}

/// An accepted connection; gives its place back when closed.
pub(crate) struct CountedStream {
    stream: Pin<Box<TimeoutStream<TcpStream>>>,
    /// A write timed out: the connection is dead for good.
    broken: bool,
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
            let (stream, addr) = Listener::accept(&mut self.inner).await;
            if let Some(pass) = self.open.claim(ClientKey::of(addr.ip()), self.per_address) {
                let mut stream = TimeoutStream::new(stream);
                stream.set_write_timeout(self.write_timeout);
                return (CountedStream { stream: Box::pin(stream), broken: false, _pass: pass }, addr);
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
        ClientAddr(*stream.remote_addr())
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(broken) = self.broken() {
            return broken;
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
