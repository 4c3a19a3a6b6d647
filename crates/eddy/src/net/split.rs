//! Read and write halves of a stream socket, so that one task can read while
//! another writes.
//!
//! * [`split`](crate::net::TcpStream::split) borrows the stream:
//!   [`ReadHalf`] and [`WriteHalf`] are two shared references, free to
//!   create, usable concurrently in one task (e.g. with `join`).
//! * [`into_split`](crate::net::TcpStream::into_split) moves the stream into
//!   an `Arc`: [`OwnedReadHalf`] and [`OwnedWriteHalf`] can be sent to
//!   different tasks, and [`OwnedReadHalf::reunite`] puts them back together.
//!   Dropping the [`OwnedWriteHalf`] shuts down the write direction, so the
//!   peer sees end-of-file, as closing a whole stream would.
//!
//! Reading and writing at the same time is sound because the reactor keeps
//! one waiter per direction; a stream is `AsyncRead` and `AsyncWrite`
//! through a shared reference. Each half also gives `&S` through
//! [`AsRef`], for `peer_addr`, `readable`, `try_read` and the like.
//!
//! The same generic types serve TCP and Unix streams: `net::tcp::*` and
//! `net::unix::*` name them for each.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// A stream that can be split: [`TcpStream`](crate::net::TcpStream) and
/// [`UnixStream`](crate::net::UnixStream). Sealed.
pub trait SplitStream: sealed::Sealed + fmt::Debug {}

pub(crate) mod sealed {
    /// Shuts down one direction of the stream.
    pub trait Sealed {
        /// `shutdown(2)` on the underlying socket.
        fn shutdown_std(&self, how: std::net::Shutdown) -> std::io::Result<()>;
    }
}

/// The borrowed read half of a stream, from `split`.
#[derive(Debug)]
pub struct ReadHalf<'a, S>(pub(crate) &'a S);

/// The borrowed write half of a stream, from `split`. Closing it shuts down
/// the write direction.
#[derive(Debug)]
pub struct WriteHalf<'a, S>(pub(crate) &'a S);

/// The owned read half of a stream, from `into_split`.
#[derive(Debug)]
pub struct OwnedReadHalf<S: SplitStream> {
    pub(crate) inner: Arc<S>,
}

/// The owned write half of a stream, from `into_split`. Dropping it (or
/// closing it) shuts down the write direction.
#[derive(Debug)]
pub struct OwnedWriteHalf<S: SplitStream> {
    pub(crate) inner: Arc<S>,
    /// Whether to shut down the write direction on drop; cleared by
    /// [`OwnedReadHalf::reunite`] and by `forget`.
    pub(crate) shutdown_on_drop: bool,
}

/// The error of [`OwnedReadHalf::reunite`] when the halves come from two
/// different streams; it gives both halves back.
pub struct ReuniteError<S: SplitStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

pub(crate) fn split_owned<S: SplitStream>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let inner = Arc::new(stream);
    (
        OwnedReadHalf {
            inner: inner.clone(),
        },
        OwnedWriteHalf {
            inner,
            shutdown_on_drop: true,
        },
    )
}

impl<S: SplitStream> OwnedReadHalf<S> {
    /// Joins the halves back into the stream; fails (giving both back) if
    /// they come from different streams.
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.inner, &other.inner) {
            return Err(ReuniteError(self, other));
        }
        let mut write = other;
        write.shutdown_on_drop = false;
        drop(write);
        Ok(Arc::try_unwrap(self.inner)
            .expect("only the two halves hold the Arc and the write half was dropped"))
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    /// Joins the halves back into the stream (see [`OwnedReadHalf::reunite`]).
    pub fn reunite(self, other: OwnedReadHalf<S>) -> Result<S, ReuniteError<S>> {
        other.reunite(self)
    }

    /// Drops the half without shutting down the write direction.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }
}

impl<S: SplitStream> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may already be gone (ENOTCONN): nothing to report.
            let _ = self.inner.shutdown_std(Shutdown::Write);
        }
    }
}

impl<S: SplitStream> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReuniteError").finish_non_exhaustive()
    }
}

impl<S: SplitStream> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<S: SplitStream> Error for ReuniteError<S> {}

impl<S> AsRef<S> for ReadHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S> AsRef<S> for WriteHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.0
    }
}

impl<S: SplitStream> AsRef<S> for OwnedReadHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: SplitStream> AsRef<S> for OwnedWriteHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

/// Reads through `&S`.
fn read_via<S>(s: &S, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
where
    for<'x> &'x S: AsyncRead,
{
    let mut r: &S = s;
    Pin::new(&mut r).poll_read(cx, buf)
}

/// Writes through `&S`.
fn write_via<S>(s: &S, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>
where
    for<'x> &'x S: AsyncWrite,
{
    let mut w: &S = s;
    Pin::new(&mut w).poll_write(cx, buf)
}

/// Writes vectored through `&S`.
fn write_vectored_via<S>(
    s: &S,
    cx: &mut Context<'_>,
    bufs: &[io::IoSlice<'_>],
) -> Poll<io::Result<usize>>
where
    for<'x> &'x S: AsyncWrite,
{
    let mut w: &S = s;
    Pin::new(&mut w).poll_write_vectored(cx, bufs)
}

impl<S> AsyncRead for ReadHalf<'_, S>
where
    for<'x> &'x S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        read_via(self.0, cx, buf)
    }
}

impl<S: SplitStream> AsyncRead for OwnedReadHalf<S>
where
    for<'x> &'x S: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        read_via(&*self.inner, cx, buf)
    }
}

impl<S: SplitStream> AsyncWrite for WriteHalf<'_, S>
where
    for<'x> &'x S: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        write_via(self.0, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        write_vectored_via(self.0, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shutdown_write(self.0))
    }
}

impl<S: SplitStream> AsyncWrite for OwnedWriteHalf<S>
where
    for<'x> &'x S: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        write_via(&*self.inner, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        write_vectored_via(&*self.inner, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shutdown_write(&*self.inner))
    }
}

/// `shutdown(Write)`, treating "not connected" (the peer already reset the
/// connection) as done: that direction is closed either way.
pub(crate) fn shutdown_write<S: sealed::Sealed + ?Sized>(s: &S) -> io::Result<()> {
    match s.shutdown_std(Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        other => other,
    }
}
