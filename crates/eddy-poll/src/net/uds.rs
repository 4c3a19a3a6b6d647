//! Non-blocking Unix domain sockets: [`UnixListener`], [`UnixStream`] and
//! [`UnixDatagram`].

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::sys::net as sys;

/// A non-blocking Unix stream listener.
///
/// ```
/// use eddy_poll::net::{UnixListener, UnixStream};
/// let dir = std::env::temp_dir().join(format!("eddy-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let _client = UnixStream::connect(&path)?;
/// let (_conn, _addr) = loop {
///     match listener.accept() {
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::yield_now(),
///         other => break other?,
///     }
/// };
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixListener {
    inner: net::UnixListener,
}

impl UnixListener {
    /// Creates a listener bound to `path` (which must not exist yet).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        sys::bind_unix(fd.as_raw_fd(), path)
            .map_err(|e| io::Error::new(e.kind(), format!("bind {}: {e}", path.display())))?;
        sys::listen(fd.as_raw_fd(), 1024)?;
        Ok(UnixListener {
            inner: net::UnixListener::from(fd),
        })
    }

    /// Wraps a `std` listener. The caller must have put it in non-blocking mode.
    pub fn from_std(listener: net::UnixListener) -> UnixListener {
        UnixListener { inner: listener }
    }

    /// Accepts one connection; `WouldBlock` when none is pending.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (fd, _) = sys::accept(self.inner.as_raw_fd())?;
        let stream = net::UnixStream::from(fd);
        let addr = stream.peer_addr()?;
        Ok((UnixStream { inner: stream }, addr))
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Reads and clears the pending socket error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

fd_source!(UnixListener, net::UnixListener);

/// A non-blocking Unix stream socket.
///
/// ```
/// use eddy_poll::net::UnixStream;
/// use std::io::{Read, Write};
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"hi")?;
/// let mut buf = [0u8; 2];
/// b.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixStream {
    inner: net::UnixStream,
}

impl UnixStream {
    /// Starts connecting to the socket at `path`.
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        sys::connect_unix(fd.as_raw_fd(), path)
            .map_err(|e| io::Error::new(e.kind(), format!("connect {}: {e}", path.display())))?;
        Ok(UnixStream {
            inner: net::UnixStream::from(fd),
        })
    }

    /// A connected pair of streams.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = sys::socketpair(libc::SOCK_STREAM)?;
        Ok((
            UnixStream { inner: a.into() },
            UnixStream { inner: b.into() },
        ))
    }

    /// Wraps a `std` stream. The caller must have put it in non-blocking mode.
    pub fn from_std(stream: net::UnixStream) -> UnixStream {
        UnixStream { inner: stream }
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Reads and clears the pending socket error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

fd_source!(UnixStream, net::UnixStream);

// Reads delegate to `std`; writes use `send` with `MSG_NOSIGNAL` because
// `std`'s `UnixStream` writes with `write(2)`, which raises `SIGPIPE` when
// the peer has closed.
impl io::Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::recv(self.inner.as_fd(), buf)
    }
    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.inner).read_vectored(bufs)
    }
}

impl io::Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::recv(self.inner.as_fd(), buf)
    }
    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&self.inner).read_vectored(bufs)
    }
}

impl io::Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sys::send(self.inner.as_fd(), buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        sys::send_vectored(self.inner.as_raw_fd(), bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sys::send(self.inner.as_fd(), buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        sys::send_vectored(self.inner.as_raw_fd(), bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A non-blocking Unix datagram socket.
///
/// ```
/// use eddy_poll::net::UnixDatagram;
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"one")?;
/// let mut buf = [0u8; 8];
/// assert_eq!(b.recv(&mut buf)?, 3);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    inner: net::UnixDatagram,
}

impl UnixDatagram {
    /// Creates a socket bound to `path`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let path = path.as_ref();
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM)?;
        sys::bind_unix(fd.as_raw_fd(), path)
            .map_err(|e| io::Error::new(e.kind(), format!("bind {}: {e}", path.display())))?;
        Ok(UnixDatagram {
            inner: net::UnixDatagram::from(fd),
        })
    }

    /// Creates a socket bound to no address.
    pub fn unbound() -> io::Result<UnixDatagram> {
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM)?;
        Ok(UnixDatagram {
            inner: net::UnixDatagram::from(fd),
        })
    }

    /// A connected pair of datagram sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = sys::socketpair(libc::SOCK_DGRAM)?;
        Ok((
            UnixDatagram { inner: a.into() },
            UnixDatagram { inner: b.into() },
        ))
    }

    /// Wraps a `std` socket. The caller must have put it in non-blocking mode.
    pub fn from_std(socket: net::UnixDatagram) -> UnixDatagram {
        UnixDatagram { inner: socket }
    }

    /// Sets the default peer.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        sys::connect_unix(self.inner.as_raw_fd(), path)
            .map_err(|e| io::Error::new(e.kind(), format!("connect {}: {e}", path.display())))
    }

    /// Sends one datagram to the socket at `path`.
    pub fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        self.inner.send_to(buf, path)
    }

    /// Receives one datagram and its sender's address.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.recv_from(buf)
    }

    /// Sends to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.send(buf)
    }

    /// Receives from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.recv(buf)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Reads and clears the pending socket error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

fd_source!(UnixDatagram, net::UnixDatagram);
