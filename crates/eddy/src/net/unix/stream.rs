//! [`UnixStream`]: an async Unix stream connection.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use eddy_poll::net as poll_net;
use futures_io::{AsyncRead, AsyncWrite};

use crate::net::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::stream_io;
use crate::runtime::io::{Direction, PollEvented};

/// A Unix stream connection registered with the runtime's reactor.
///
/// Like [`TcpStream`](crate::net::TcpStream): `AsyncRead`/`AsyncWrite` on
/// `UnixStream` and `&UnixStream`, borrowed and owned halves, `try_read`/
/// `try_write`. Writing to a closed peer fails with `BrokenPipe`; it never
/// raises `SIGPIPE`.
///
/// ```
/// use eddy::io::{AsyncReadExt, AsyncWriteExt};
/// use eddy::net::UnixStream;
///
/// # eddy::runtime::Runtime::new()?.block_on(async {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"hello").await?;
/// a.close().await?; // shut down a's write direction: b sees end-of-file
/// let mut got = String::new();
/// b.read_to_string(&mut got).await?;
/// assert_eq!(got, "hello");
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    io: PollEvented<poll_net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`; the error names the path.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let named =
            |e: io::Error| io::Error::new(e.kind(), format!("connect {}: {e}", path.display()));
        // eddy-poll names the path in its connect errors.
        let stream = UnixStream::from_poll(poll_net::UnixStream::connect(path)?)?;
        // Unix connects complete at once or stay pending (full backlog)
        // until writable; either way writable plus SO_ERROR tells.
        stream
            .io
            .registration()
            .readiness(Direction::Write)
            .await
            .map_err(named)?;
        if let Some(e) = stream.io.take_error().map_err(named)? {
            return Err(named(e));
        }
        Ok(stream)
    }

    /// A connected pair of streams, both registered with the current runtime.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = poll_net::UnixStream::pair()?;
        Ok((UnixStream::from_poll(a)?, UnixStream::from_poll(b)?))
    }

    /// Wraps a stream from the `eddy_poll` layer, registering it with the
    /// current runtime.
    pub(crate) fn from_poll(stream: poll_net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: PollEvented::new(stream)?,
        })
    }

    /// Wraps a connected `std` stream (switching it to non-blocking mode)
    /// and registers it with the current runtime.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_poll(poll_net::UnixStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a `std` stream, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        let stream = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixStream::from(OwnedFd::from(stream)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Reads and clears the pending socket error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }

    /// Waits until the stream is (probably) readable; follow with
    /// [`try_read`](UnixStream::try_read).
    pub async fn readable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Read).await?;
        Ok(())
    }

    /// Waits until the stream is (probably) writable; follow with
    /// [`try_write`](UnixStream::try_write).
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Write).await?;
        Ok(())
    }

    /// Reads what is available without waiting: `Ok(0)` is end-of-file,
    /// `WouldBlock` means nothing is there yet.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || (&*self.io).read(buf))
    }

    /// Like [`try_read`](UnixStream::try_read), into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || (&*self.io).read_vectored(bufs))
    }

    /// Writes what fits without waiting; `WouldBlock` when the buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || (&*self.io).write(buf))
    }

    /// Like [`try_write`](UnixStream::try_write), from several buffers.
    pub fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || (&*self.io).write_vectored(bufs))
    }

    /// Borrowed halves: read from one and write to the other concurrently
    /// in the same task.
    pub fn split(&self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Owned halves that can move to different tasks; dropping the write
    /// half shuts down the write direction.
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split::split_owned(self)
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.io.as_raw_fd())
            .field("peer", &self.io.peer_addr().ok())
            .finish()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl split::SplitStream for UnixStream {}

impl split::sealed::Sealed for UnixStream {
    fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.io, cx, buf)
    }
}

impl AsyncRead for &UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.io, cx, buf)
    }
}

impl AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_write(&self.io, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_write_vectored(&self.io, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(split::shutdown_write(&*self))
    }
}

impl AsyncWrite for &UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_write(&self.io, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_write_vectored(&self.io, cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(split::shutdown_write(*self))
    }
}
