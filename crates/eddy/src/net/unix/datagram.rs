//! [`UnixDatagram`]: async Unix datagram sockets.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use eddy_poll::net as poll_net;

use crate::runtime::io::{Direction, PollEvented};

/// A Unix datagram socket.
///
/// ```
/// use eddy::net::UnixDatagram;
///
/// # eddy::runtime::Runtime::new()?.block_on(async {
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"one").await?;
/// let mut buf = [0u8; 8];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"one");
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    io: PollEvented<poll_net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to `path`; the error names the path.
    ///
    /// Panics if called outside a runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_poll(poll_net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to no address (it can send, and receive
    /// replies only once connected).
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_poll(poll_net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = poll_net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_poll(a)?, UnixDatagram::from_poll(b)?))
    }

    fn from_poll(socket: poll_net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: PollEvented::new(socket)?,
        })
    }

    /// Wraps a `std` socket (switching it to non-blocking mode) and registers
    /// it with the current runtime.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_poll(poll_net::UnixDatagram::from_std(socket))
    }

    /// Deregisters the socket and returns it as a `std` socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        let socket = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixDatagram::from(OwnedFd::from(
            socket,
        )))
    }

    /// Sets the default peer for [`send`](UnixDatagram::send) and
    /// [`recv`](UnixDatagram::recv).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.connect(path)
    }

    /// Sends one datagram to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Write, || self.io.send_to(buf, path))
        })
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("send_to {}: {e}", path.display())))
    }

    /// Waits for one datagram; returns its length and sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.recv_from(buf))
        })
        .await
    }

    /// Sends one datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Write, || self.io.send(buf))
        })
        .await
    }

    /// Waits for one datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.recv(buf))
        })
        .await
    }

    /// Sends to `path` without waiting; `WouldBlock` when the peer's queue
    /// is full.
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.send_to(buf, path))
    }

    /// Receives without waiting; `WouldBlock` when nothing is queued.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.recv_from(buf))
    }

    /// Sends to the connected peer without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.send(buf))
    }

    /// Receives from the connected peer without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.recv(buf))
    }

    /// Waits until a datagram is (probably) queued.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Read).await?;
        Ok(())
    }

    /// Waits until the socket is (probably) writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Write).await?;
        Ok(())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Shuts down the read direction, the write direction or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Reads and clears the pending socket error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.io.as_raw_fd())
            .field("local", &self.io.local_addr().ok())
            .finish()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}
