//! TCP for fibers: [`TcpListener`] and [`TcpStream`].

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use eddy_poll::net as poll_net;

use super::{IoSource, each_addr};
use crate::driver::Direction;

/// A TCP listening socket; [`accept`](TcpListener::accept) parks the fiber
/// until a connection arrives.
///
/// ```
/// let rt = eddy_fiber::Runtime::new()?;
/// rt.block_on(|| {
///     let listener = eddy_fiber::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = eddy_fiber::spawn(move || eddy_fiber::net::TcpStream::connect(addr).unwrap());
///     let (_conn, peer) = listener.accept().unwrap();
///     assert_eq!(peer, client.join().unwrap().local_addr().unwrap());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpListener {
    io: IoSource<poll_net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (with `SO_REUSEADDR`) and listens.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr, "bind", |addr| {
            Ok(TcpListener {
                io: IoSource::new(poll_net::TcpListener::bind(addr)?)?,
            })
        })
    }

    /// Wraps a `std` listener (switched to non-blocking mode here).
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: IoSource::new(poll_net::TcpListener::from_std(listener))?,
        })
    }

    /// Accepts a connection, parking the fiber until one arrives.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.io.do_io(Direction::Read, |l| l.accept())?;
        Ok((TcpStream::from_poll(stream)?, addr))
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Fails `accept` with `TimedOut` after waiting this long (`None`:
    /// wait forever).
    pub fn set_accept_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.io.set_timeout(Direction::Read, timeout)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

/// A TCP connection. `read`, `write` and `connect` park the fiber until the
/// socket is ready.
#[derive(Debug)]
pub struct TcpStream {
    io: IoSource<poll_net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, parking the fiber until the connection is
    /// established or refused.
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr, "connect to", |addr| {
            let stream = TcpStream::from_poll(poll_net::TcpStream::connect(addr)?)?;
            // In progress: writable (or an error) comes as an event.
            stream.io.clear_ready(Direction::Write);
            stream.io.wait(Direction::Write, None)?;
            if let Some(e) = stream.io.get().take_error()? {
                return Err(e);
            }
            // Writable without an error can still mean "not connected" on
            // some systems: ask for the peer to be sure.
            stream.io.get().peer_addr()?;
            Ok(stream)
        })
    }

    fn from_poll(stream: poll_net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: IoSource::new(stream)?,
        })
    }

    /// Wraps a connected `std` stream (switched to non-blocking mode here).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_poll(poll_net::TcpStream::from_std(stream))
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Shuts down the read half, the write half, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get().set_nodelay(nodelay)
    }

    /// Fails reads with `TimedOut` after waiting this long (`None`: wait
    /// forever; zero is rejected, as in `std`).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.io.set_timeout(Direction::Read, timeout)
    }

    /// Fails writes with `TimedOut` after waiting this long.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.io.set_timeout(Direction::Write, timeout)
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.io.timeout(Direction::Read)
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> Option<Duration> {
        self.io.timeout(Direction::Write)
    }

    /// Reads without removing the data from the queue.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.do_io(Direction::Read, |s| s.peek(buf))
    }
}

impl Read for &TcpStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len();
        self.io.transfer(Direction::Read, len, |s| {
            eddy_poll::unix::recv(s.as_fd(), buf)
        })
    }
}

impl Write for &TcpStream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.io.transfer(Direction::Write, buf.len(), |s| {
            eddy_poll::unix::send(s.as_fd(), buf)
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for TcpStream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get().as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}
