//! [`Waker`]: makes a thread blocked in [`Poll::poll`](crate::Poll::poll)
//! return, from any thread.

use std::io;

use crate::{Registry, Token, sys};

/// Wakes a [`Poll`](crate::Poll) from another thread.
///
/// Backed by an `eventfd` on Linux (`EVFILT_USER` on kqueue). The poll
/// reports a readable event with the waker's token. Several wakes before the
/// next poll coalesce into one event. Only one `Waker` should be registered
/// per `Poll`; keep it alive as long as you want to wake.
///
/// ```
/// use eddy_poll::{Events, Poll, Token, Waker};
/// use std::sync::Arc;
///
/// let mut poll = Poll::new()?;
/// let waker = Arc::new(Waker::new(poll.registry(), Token(10))?);
/// let w = waker.clone();
/// let thread = std::thread::spawn(move || w.wake().unwrap());
///
/// let mut events = Events::with_capacity(4);
/// poll.poll(&mut events, None)?;
/// assert_eq!(events.iter().next().unwrap().token(), Token(10));
/// thread.join().unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Waker {
    inner: sys::WakerInner,
}

impl Waker {
    /// Creates a waker registered with `registry` under `token`.
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            inner: sys::WakerInner::new(registry.selector(), token)?,
        })
    }

    /// Wakes the poll: it returns with an event for this waker's token.
    pub fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
