//! Unix-only additions: [`SourceFd`] registers any file descriptor, and
//! [`recv`] / [`send`] are the socket calls of the stream types' `Read` and
//! `Write`, for runtimes that drive their own sockets through eddy-poll.

use std::io;
use std::os::fd::{BorrowedFd, RawFd};

use crate::event::Source;
use crate::{Interest, Registry, Token};

/// Registers a raw file descriptor the caller owns (a pipe, a signalfd, a
/// timerfd, a socket from another library).
///
/// The descriptor must stay open while registered, and the caller remains
/// responsible for closing it (after deregistering).
///
/// ```
/// use eddy_poll::unix::SourceFd;
/// use eddy_poll::{Events, Interest, Poll, Token};
/// use std::io::Write;
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
///
/// let mut poll = Poll::new()?;
/// let (mut a, b) = UnixStream::pair()?;
/// b.set_nonblocking(true)?;
/// let fd = b.as_raw_fd();
/// poll.registry().register(&mut SourceFd(&fd), Token(3), Interest::READABLE)?;
/// a.write_all(b"x")?;
/// let mut events = Events::with_capacity(4);
/// poll.poll(&mut events, None)?;
/// assert!(events.iter().any(|e| e.token() == Token(3) && e.is_readable()));
/// poll.registry().deregister(&mut SourceFd(&fd))?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct SourceFd<'a>(pub &'a RawFd);

impl Source for SourceFd<'_> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        registry.selector().register(*self.0, token, interest)
    }
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        registry.selector().reregister(*self.0, token, interest)
    }
    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        registry.selector().deregister(*self.0)
    }
}

/// Reads what the connected socket `fd` holds, up to `buf.len()` bytes:
/// `recv(fd, buf, len, 0)`, `Ok(0)` at end of stream. On Linux it is one
/// raw `recvfrom` system call: glibc's `recv` is a thread-cancellation
/// point costing ~60 instructions of bookkeeping per call, and neither
/// eddy-poll nor the runtimes on it cancel threads. What
/// [`net::TcpStream`](crate::net::TcpStream)'s `Read` uses.
///
/// ```
/// use std::io::Write;
/// use std::os::fd::AsFd;
/// use std::os::unix::net::UnixStream;
///
/// let (mut a, b) = UnixStream::pair()?;
/// b.set_nonblocking(true)?;
/// let mut buf = [0u8; 8];
/// let empty = eddy_poll::unix::recv(b.as_fd(), &mut buf).unwrap_err();
/// assert_eq!(empty.kind(), std::io::ErrorKind::WouldBlock);
/// a.write_all(b"hi")?;
/// assert_eq!(eddy_poll::unix::recv(b.as_fd(), &mut buf)?, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    crate::sys::net::recv(fd, buf)
}

/// Writes up to `buf.len()` bytes to the connected socket `fd`: `send(fd,
/// buf, len, MSG_NOSIGNAL)`, so a closed peer is a `BrokenPipe` error,
/// never a `SIGPIPE` (on Apple platforms, which lack `MSG_NOSIGNAL`, the
/// sockets eddy-poll creates carry `SO_NOSIGPIPE`). One raw `sendto` system
/// call on Linux, as [`recv`]. What
/// [`net::TcpStream`](crate::net::TcpStream)'s `Write` uses.
///
/// ```
/// use std::os::fd::AsFd;
/// use std::os::unix::net::UnixStream;
///
/// let (a, b) = UnixStream::pair()?;
/// assert_eq!(eddy_poll::unix::send(a.as_fd(), b"hello")?, 5);
/// drop(b);
/// let gone = eddy_poll::unix::send(a.as_fd(), b"x").unwrap_err();
/// assert_eq!(gone.kind(), std::io::ErrorKind::BrokenPipe);
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
pub fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    crate::sys::net::send(fd, buf)
}
