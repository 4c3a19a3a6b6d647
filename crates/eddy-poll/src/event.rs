//! Readiness events: [`Event`], the buffer [`Events`] that `Poll::poll`
//! fills, and the [`Source`] trait every registrable type implements.

use std::{fmt, io};

use crate::{Interest, Registry, Token, sys};

/// One readiness event, as read from [`Events`].
///
/// Events are hints: a source reported readable may still return
/// `WouldBlock`, and spurious events are possible. Because registration is
/// edge-triggered, the caller must drain the source (read or write until
/// `WouldBlock`) before the next event for it can be expected.
#[repr(transparent)]
pub struct Event {
    inner: sys::Event,
}

impl Event {
    fn from_sys(inner: &sys::Event) -> &Event {
        // SAFETY: `Event` is `repr(transparent)` over `sys::Event`.
        unsafe { &*(inner as *const sys::Event as *const Event) }
    }

    /// The token the source was registered with.
    pub fn token(&self) -> Token {
        sys::token(&self.inner)
    }

    /// The source is readable (or has priority data).
    pub fn is_readable(&self) -> bool {
        sys::is_readable(&self.inner)
    }

    /// The source is writable.
    pub fn is_writable(&self) -> bool {
        sys::is_writable(&self.inner)
    }

    /// An error is pending on the source (read it with `take_error`).
    pub fn is_error(&self) -> bool {
        sys::is_error(&self.inner)
    }

    /// The read side is closed: the peer shut down its writing half or the
    /// connection is gone. Reads return 0 or an error from now on.
    pub fn is_read_closed(&self) -> bool {
        sys::is_read_closed(&self.inner)
    }

    /// The write side is closed: writes will fail.
    pub fn is_write_closed(&self) -> bool {
        sys::is_write_closed(&self.inner)
    }

    /// Priority (out-of-band) data is available. Always false on kqueue.
    pub fn is_priority(&self) -> bool {
        sys::is_priority(&self.inner)
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("token", &self.token())
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("priority", &self.is_priority())
            .finish()
    }
}

/// A buffer of events filled by [`Poll::poll`](crate::Poll::poll).
///
/// ```
/// use eddy_poll::Events;
/// let events = Events::with_capacity(128);
/// assert!(events.is_empty());
/// assert_eq!(events.capacity(), 128);
/// ```
pub struct Events {
    inner: sys::Events,
}

impl Events {
    /// A buffer holding at most `capacity` events per poll (at least one).
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            inner: Vec::with_capacity(capacity.max(1)),
        }
    }

    /// How many events one poll can return.
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// Whether the last poll returned no events.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The events of the last poll.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.inner.iter(),
        }
    }

    /// Forgets the events of the last poll.
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    pub(crate) fn sys(&mut self) -> &mut sys::Events {
        &mut self.inner
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over [`Events`].
#[derive(Debug)]
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, sys::Event>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Event;
    fn next(&mut self) -> Option<&'a Event> {
        self.inner.next().map(Event::from_sys)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
    fn count(self) -> usize {
        self.inner.len()
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Something that can be registered with a [`Registry`]: every net type in
/// this crate, and [`SourceFd`](crate::unix::SourceFd) for any descriptor.
///
/// Implement it for a wrapper type by delegating to the inner source:
///
/// ```
/// use eddy_poll::{event::Source, Interest, Registry, Token};
/// use eddy_poll::net::TcpStream;
/// use std::io;
///
/// struct Conn { stream: TcpStream }
///
/// impl Source for Conn {
///     fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
///         self.stream.register(r, t, i)
///     }
///     fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
///         self.stream.reregister(r, t, i)
///     }
///     fn deregister(&mut self, r: &Registry) -> io::Result<()> {
///         self.stream.deregister(r)
///     }
/// }
/// ```
pub trait Source {
    /// Registers `self` for `interest` under `token`. Prefer
    /// [`Registry::register`], which calls this.
    fn register(&mut self, registry: &Registry, token: Token, interest: Interest)
    -> io::Result<()>;
    /// Changes the token or interest of an existing registration.
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()>;
    /// Removes the registration; no events for it are returned by polls
    /// that start after this returns.
    fn deregister(&mut self, registry: &Registry) -> io::Result<()>;
}

impl<T: Source + ?Sized> Source for &mut T {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        (**self).register(registry, token, interest)
    }
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        (**self).reregister(registry, token, interest)
    }
    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        (**self).deregister(registry)
    }
}

impl<T: Source + ?Sized> Source for Box<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        (**self).register(registry, token, interest)
    }
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        (**self).reregister(registry, token, interest)
    }
    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        (**self).deregister(registry)
    }
}
