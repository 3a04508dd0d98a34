//! A TCP listener that holds at most a fixed number of connections.
//!
//! Each connection costs memory (buffers, a task, a request in progress);
//! without a cap, an outsider who opens connections faster than they close
//! decides how much. Past the cap the listener stops accepting, so further
//! connections wait in the kernel's backlog until one closes, instead of
//! being taken in and starving the ones already served.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A listener that accepts a connection only while fewer than its cap are
/// open.
pub struct LimitedListener {
    inner: TcpListener,
    open: Arc<Semaphore>,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, max_connections: usize) -> LimitedListener {
        LimitedListener {
            inner,
            open: Arc::new(Semaphore::new(max_connections.max(1))),
        }
    }
}

/// An accepted connection; its slot is given back when it is dropped.
pub struct LimitedStream {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Fails only if the semaphore is closed, which it never is.
            let Ok(slot) = self.open.clone().acquire_owned().await else {
                return std::future::pending().await;
            };
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    return (
                        LimitedStream {
                            stream,
                            _slot: slot,
                        },
                        addr,
                    )
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather
                    // than spin (what axum's own listener does).
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
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
