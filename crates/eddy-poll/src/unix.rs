//! Unix-only additions: [`SourceFd`] registers any file descriptor.

use std::io;
use std::os::fd::RawFd;

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
