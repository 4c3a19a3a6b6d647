//! [`Poll`] waits for readiness; [`Registry`] adds, changes and removes the
//! sources it waits on. Both are thin: the OS work is in `sys::Selector`.

use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;
use std::{fmt, io};

use crate::event::{Events, Source};
use crate::{Interest, Token, sys};

/// The event queue: registers sources through its [`Registry`] and waits
/// for their readiness with [`poll`](Poll::poll).
///
/// # Guarantees
///
/// * Delivery is **edge-triggered**: an event is reported when a source
///   becomes ready; drain it to `WouldBlock` before expecting another.
/// * Events are hints; spurious wake-ups are possible.
/// * `EINTR` never surfaces from `poll`: the wait resumes for the rest of
///   the timeout.
/// * A timeout is never cut short: without an event, `poll` returns no
///   earlier than the timeout (rounded *up* to the OS's resolution).
///   `Some(Duration::ZERO)` never blocks; `None` waits for an event.
///
/// # Example: an echo server loop
///
/// ```
/// use eddy_poll::net::{TcpListener, TcpStream};
/// use eddy_poll::{Events, Interest, Poll, Token};
/// use std::collections::HashMap;
/// use std::io::{ErrorKind, Read, Write};
///
/// # fn main() -> std::io::Result<()> {
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(64);
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
///
/// // A client, so the example ends by itself.
/// let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
/// client.write_all(b"hello")?;
///
/// let mut conns: HashMap<Token, TcpStream> = HashMap::new();
/// let mut next = 1;
/// let mut echoed = 0;
/// while echoed < 5 {
///     poll.poll(&mut events, None)?;
///     for event in events.iter() {
///         if event.token() == Token(0) {
///             // Accept until WouldBlock: the listener is edge-triggered.
///             loop {
///                 match listener.accept() {
///                     Ok((mut conn, _)) => {
///                         let token = Token(next);
///                         next += 1;
///                         poll.registry().register(&mut conn, token, Interest::READABLE)?;
///                         conns.insert(token, conn);
///                     }
///                     Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///                     Err(e) => return Err(e),
///                 }
///             }
///         } else if let Some(conn) = conns.get_mut(&event.token()) {
///             let mut buf = [0u8; 1024];
///             loop {
///                 match conn.read(&mut buf) {
///                     Ok(0) => break,
///                     Ok(n) => { conn.write_all(&buf[..n])?; echoed += n; }
///                     Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///                     Err(e) => return Err(e),
///                 }
///             }
///         }
///     }
/// }
/// let mut reply = [0u8; 5];
/// client.read_exact(&mut reply)?;
/// assert_eq!(&reply, b"hello");
/// # Ok(())
/// # }
/// ```
pub struct Poll {
    registry: Registry,
}

impl Poll {
    /// Creates a new event queue (an epoll or kqueue instance).
    pub fn new() -> io::Result<Poll> {
        Ok(Poll {
            registry: Registry {
                selector: sys::Selector::new()?,
            },
        })
    }

    /// The registry for adding sources to this queue.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits for readiness events, filling `events` (its old contents are
    /// cleared). Returns when at least one event is ready, or the timeout
    /// has elapsed (then `events` is empty).
    ///
    /// ```
    /// use eddy_poll::{Events, Poll};
    /// use std::time::{Duration, Instant};
    /// let mut poll = Poll::new()?;
    /// let mut events = Events::with_capacity(8);
    /// let start = Instant::now();
    /// poll.poll(&mut events, Some(Duration::from_millis(5)))?;
    /// assert!(events.is_empty());
    /// assert!(start.elapsed() >= Duration::from_millis(5));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        self.registry.selector.select(events.sys(), timeout)
    }
}

impl fmt::Debug for Poll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poll")
            .field("fd", &self.registry.selector.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for Poll {
    fn as_raw_fd(&self) -> RawFd {
        self.registry.selector.as_raw_fd()
    }
}

/// Registers sources with a [`Poll`]. `Send + Sync`: one thread may
/// register while another is blocked in `poll`; the change takes effect for
/// the waiting poll.
pub struct Registry {
    selector: sys::Selector,
}

impl Registry {
    /// Registers `source` for `interest`; its events carry `token`.
    ///
    /// Registering a source that is already registered with this queue is an
    /// [`AlreadyExists`](io::ErrorKind::AlreadyExists) error (on epoll;
    /// kqueue cannot tell and updates the registration instead).
    ///
    /// ```
    /// use eddy_poll::{net::UdpSocket, Interest, Poll, Token};
    /// let poll = Poll::new()?;
    /// let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut socket, Token(1), Interest::READABLE)?;
    /// let again = poll.registry().register(&mut socket, Token(1), Interest::READABLE);
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register<S>(&self, source: &mut S, token: Token, interest: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        source.register(self, token, interest)
    }

    /// Changes the token and/or interest of a registered source. A source
    /// that is already ready is reported again by the next poll.
    pub fn reregister<S>(&self, source: &mut S, token: Token, interest: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        source.reregister(self, token, interest)
    }

    /// Removes a source. Deregistering a source that is not registered is an
    /// error (`NotFound` on epoll). Polls that start after this returns do
    /// not report the source.
    ///
    /// Dropping a source also removes it, once the last descriptor for the
    /// socket is closed: a `dup`ed descriptor (e.g. from `try_clone` of a
    /// `std` socket) keeps the registration alive, so deregister first when
    /// descriptors are shared.
    pub fn deregister<S>(&self, source: &mut S) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        source.deregister(self)
    }

    /// A second handle to the same queue (a duplicated descriptor).
    pub fn try_clone(&self) -> io::Result<Registry> {
        Ok(Registry {
            selector: self.selector.try_clone()?,
        })
    }

    pub(crate) fn selector(&self) -> &sys::Selector {
        &self.selector
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("fd", &self.selector.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for Registry {
    fn as_raw_fd(&self) -> RawFd {
        self.selector.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn registry_and_poll_are_send_sync() {
        assert_send_sync::<Registry>();
        assert_send_sync::<Poll>();
    }
}
