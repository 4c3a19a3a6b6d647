//! [`TcpStream`]: an async TCP connection.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use eddy_poll::net as poll_net;
use futures_io::{AsyncRead, AsyncWrite};

use crate::net::addr::{ToSocketAddrs, each_addr};
use crate::net::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::stream_io;
use crate::runtime::io::{Direction, PollEvented};

/// A TCP connection registered with the runtime's reactor.
///
/// Read and write it with [`AsyncReadExt`](crate::io::AsyncReadExt) and
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt); both traits are implemented
/// for `TcpStream` and for `&TcpStream`, so one task may read while another
/// writes (see also [`split`](TcpStream::split) and
/// [`into_split`](TcpStream::into_split)). Closing the stream
/// ([`close`](crate::io::AsyncWriteExt::close)) shuts down the write
/// direction; dropping it closes the socket.
///
/// Writing to a connection the peer has closed fails with `BrokenPipe` or
/// `ConnectionReset`; it never raises `SIGPIPE`.
///
/// ```
/// use eddy::io::{AsyncReadExt, AsyncWriteExt};
/// use eddy::net::{TcpListener, TcpStream};
///
/// # eddy::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// eddy::task::spawn_local(async move {
///     let (mut conn, _) = listener.accept().await?;
///     let mut buf = [0u8; 4];
///     conn.read_exact(&mut buf).await?;
///     conn.write_all(&buf).await
/// });
/// let mut stream = TcpStream::connect(addr).await?;
/// stream.write_all(b"ping").await?;
/// let mut reply = [0u8; 4];
/// stream.read_exact(&mut reply).await?;
/// assert_eq!(&reply, b"ping");
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    io: PollEvented<poll_net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each address it resolves to in
    /// turn. A refused or unreachable address is an error naming it, never
    /// a hang.
    ///
    /// ```
    /// # eddy::runtime::Runtime::new()?.block_on(async {
    /// // Nothing listens on port 1 here (it is privileged and unused).
    /// let err = eddy::net::TcpStream::connect("127.0.0.1:1").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// assert!(err.to_string().contains("127.0.0.1:1"));
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(&addr, connect_one).await
    }

    /// Wraps a stream from the `eddy_poll` layer, registering it with the
    /// current runtime.
    pub(crate) fn from_poll(stream: poll_net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: PollEvented::new(stream)?,
        })
    }

    /// Wraps a connected `std` stream (switching it to non-blocking mode)
    /// and registers it with the current runtime.
    ///
    /// Panics if called outside a runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_poll(poll_net::TcpStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a `std` stream. It stays in
    /// non-blocking mode; call `set_nonblocking(false)` for blocking use.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let stream = self.io.into_inner()?;
        Ok(std::net::TcpStream::from(OwnedFd::from(stream)))
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// Sets `TCP_NODELAY`: small writes leave at once instead of waiting to
    /// be coalesced (Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.nodelay()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }

    /// Reads and clears the pending socket error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }

    /// Waits until the stream is (probably) readable: data, end-of-file or
    /// an error is pending. Follow with [`try_read`](TcpStream::try_read),
    /// which may still return `WouldBlock` (events are hints).
    pub async fn readable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Read).await?;
        Ok(())
    }

    /// Waits until the stream is (probably) writable. Follow with
    /// [`try_write`](TcpStream::try_write).
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Write).await?;
        Ok(())
    }

    /// Reads what is available without waiting: `Ok(0)` is end-of-file,
    /// `WouldBlock` means nothing is there yet (wait with
    /// [`readable`](TcpStream::readable)).
    ///
    /// ```
    /// # eddy::runtime::Runtime::new()?.block_on(async {
    /// use eddy::net::{TcpListener, TcpStream};
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(server.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// client.try_write(b"hi")?;
    /// let n = loop {
    ///     server.readable().await?;
    ///     match server.try_read(&mut buf) {
    ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///         other => break other?,
    ///     }
    /// };
    /// assert_eq!(&buf[..n], b"hi");
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || (&*self.io).read(buf))
    }

    /// Like [`try_read`](TcpStream::try_read), into several buffers.
    pub fn try_read_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || (&*self.io).read_vectored(bufs))
    }

    /// Writes what fits without waiting; `WouldBlock` means the send buffer
    /// is full (wait with [`writable`](TcpStream::writable)).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || (&*self.io).write(buf))
    }

    /// Like [`try_write`](TcpStream::try_write), from several buffers.
    pub fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || (&*self.io).write_vectored(bufs))
    }

    /// Reads without removing the data from the receive queue, waiting
    /// until some is available.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.peek(buf))
        })
        .await
    }

    /// Borrowed halves: read from one and write to the other concurrently
    /// in the same task.
    pub fn split(&self) -> (ReadHalf<'_, TcpStream>, WriteHalf<'_, TcpStream>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Owned halves that can move to different tasks; join them again with
    /// `OwnedReadHalf::reunite`.
    /// Dropping the write half shuts down the write direction.
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        split::split_owned(self)
    }
}

/// Connects to one address: a non-blocking `connect`, then wait for
/// writable and read `SO_ERROR`.
async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("connect {addr}: {e}"));
    // eddy-poll already names the address in its errors.
    let stream = TcpStream::from_poll(poll_net::TcpStream::connect(addr)?)?;
    loop {
        let event = stream
            .io
            .registration()
            .readiness(Direction::Write)
            .await
            .map_err(named)?;
        if let Some(e) = stream.io.take_error().map_err(named)? {
            return Err(named(e));
        }
        match stream.io.peer_addr() {
            Ok(_) => return Ok(stream),
            // A spurious wake-up: the handshake is still in flight.
            Err(e) if e.kind() == io::ErrorKind::NotConnected && !event.is_error() => {
                stream.io.registration().clear_readiness(event);
            }
            Err(e) => return Err(named(e)),
        }
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.io.as_raw_fd())
            .field("local", &self.io.local_addr().ok())
            .field("peer", &self.io.peer_addr().ok())
            .finish()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl split::SplitStream for TcpStream {}

impl split::sealed::Sealed for TcpStream {
    fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }
}

impl AsyncRead for TcpStream {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.io, cx, buf)
    }
}

impl AsyncRead for &TcpStream {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.io, cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    #[inline]
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

impl AsyncWrite for &TcpStream {
    #[inline]
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
