//! The TCP listener: accepts connections, at most a set number open at once
//! from one client address, before any request is read. A client over the
//! limit is answered 429 and closed; everyone else is unaffected.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::client_addr::{ClientAddr, ClientKey};
use crate::held_counts::{HeldCounts, Pass};

const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\n\
connection: close\r\ncontent-length: 57\r\n\r\nToo many open connections from your address; try again.\r\n";

/// A TCP listener with a cap on open connections per client address (0: none).
pub struct LimitedListener {
    inner: TcpListener,
    per_address: usize,
    open: HeldCounts<ClientKey>,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, per_address: usize) -> Self {
        LimitedListener { inner, per_address, open: HeldCounts::default() }
    }
}

/// An accepted connection; gives its place back when closed.
pub struct CountedStream {
    stream: TcpStream,
    _pass: Pass<ClientKey>,
}

impl Listener for LimitedListener {
    type Io = CountedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (CountedStream, SocketAddr) {
        loop {
            let (stream, addr) = Listener::accept(&mut self.inner).await;
            if let Some(pass) = self.open.claim(ClientKey::of(addr.ip()), self.per_address) {
                return (CountedStream { stream, _pass: pass }, addr);
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
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
