//! Non-blocking TCP: [`TcpListener`] and [`TcpStream`].

use std::io;
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::AsRawFd;

use crate::sys::net as sys;

/// The backlog passed to `listen`; the kernel caps it at `somaxconn`.
const LISTEN_BACKLOG: libc::c_int = 1024;

/// A non-blocking TCP listening socket.
///
/// ```
/// use eddy_poll::net::TcpListener;
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// assert_ne!(listener.local_addr()?.port(), 0);
/// // No client yet: accepting would block.
/// assert_eq!(listener.accept().unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpListener {
    inner: net::TcpListener,
}

impl TcpListener {
    /// Creates a listener bound to `addr` (with `SO_REUSEADDR`), listening.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let fd = sys::socket(sys::domain(&addr), libc::SOCK_STREAM)?;
        sys::set_reuseaddr(fd.as_raw_fd())?;
        sys::bind(fd.as_raw_fd(), &addr)
            .map_err(|e| io::Error::new(e.kind(), format!("bind {addr}: {e}")))?;
        sys::listen(fd.as_raw_fd(), LISTEN_BACKLOG)?;
        Ok(TcpListener {
            inner: net::TcpListener::from(fd),
        })
    }

    /// Wraps a `std` listener. The caller must have put it in non-blocking
    /// mode (`set_nonblocking(true)`).
    pub fn from_std(listener: net::TcpListener) -> TcpListener {
        TcpListener { inner: listener }
    }

    /// Accepts one connection, non-blocking and close-on-exec. Returns
    /// `WouldBlock` when none is pending; call until then after each
    /// readable event.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (fd, storage) = sys::accept(self.inner.as_raw_fd())?;
        let addr = sys::from_sockaddr(&storage)?;
        Ok((
            TcpStream {
                inner: net::TcpStream::from(fd),
            },
            addr,
        ))
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Sets the IP time-to-live of accepted connections.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Reads and clears the pending socket error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

fd_source!(TcpListener, net::TcpListener);

/// A non-blocking TCP connection.
///
/// ```
/// use eddy_poll::net::{TcpListener, TcpStream};
/// use eddy_poll::{Events, Interest, Poll, Token};
///
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut poll = Poll::new()?;
/// let mut stream = TcpStream::connect(listener.local_addr()?)?;
/// poll.registry().register(&mut stream, Token(1), Interest::WRITABLE)?;
/// let mut events = Events::with_capacity(4);
/// // Writable means the connect finished; take_error says how.
/// poll.poll(&mut events, None)?;
/// assert!(stream.take_error()?.is_none());
/// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpStream {
    inner: net::TcpStream,
}

impl TcpStream {
    /// Starts connecting to `addr` and returns at once. The connection is
    /// ready when the stream reports writable; then `take_error` returns the
    /// connect's error, if any, and `peer_addr` succeeds only if connected.
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let fd = sys::socket(sys::domain(&addr), libc::SOCK_STREAM)?;
        sys::connect(fd.as_raw_fd(), &addr)
            .map_err(|e| io::Error::new(e.kind(), format!("connect {addr}: {e}")))?;
        Ok(TcpStream {
            inner: net::TcpStream::from(fd),
        })
    }

    /// Wraps a `std` stream. The caller must have put it in non-blocking
    /// mode (`set_nonblocking(true)`).
    pub fn from_std(stream: net::TcpStream) -> TcpStream {
        TcpStream { inner: stream }
    }

    /// The remote address; `NotConnected` while a connect is in progress or
    /// after it failed.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Reads and clears the pending socket error (`SO_ERROR`); after a
    /// writable event on a connecting stream this is the connect's result.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::take_error(self.inner.as_raw_fd())
    }

    /// Reads without removing the data from the receive queue.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.peek(buf)
    }
}

fd_source!(TcpStream, net::TcpStream);
read_write!(TcpStream);
