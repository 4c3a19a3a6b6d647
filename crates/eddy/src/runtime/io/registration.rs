//! [`Registration`]: one source's slot in a runtime's reactor, and the
//! waiting operations on it.

use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use eddy_poll::event::Source;
use eddy_poll::{Interest, Token};

use super::driver::shutdown_error;
use super::scheduled_io::{SHUTDOWN, ScheduledIo};
use super::{Direction, ReadyEvent};
use crate::runtime::{Handle, coop};

/// A source registered with the reactor of one runtime. `Send + Sync`; the
/// slot is released when it drops (deregister the source first:
/// [`PollEvented`](super::PollEvented) does both).
#[derive(Debug)]
pub(crate) struct Registration {
    handle: Handle,
    shared: Arc<ScheduledIo>,
    token: Token,
}

#[allow(dead_code)]
impl Registration {
    /// Registers `source` with the reactor of the current runtime (an error
    /// with a clear message if there is none).
    pub(crate) fn new(source: &mut impl Source, interest: Interest) -> io::Result<Registration> {
        let handle = Handle::try_current().map_err(|_| {
            io::Error::other(
                "register an I/O resource: no eddy runtime is running on this thread \
                 (create it inside Runtime::block_on, a task, or after Runtime::enter)",
            )
        })?;
        Registration::new_with_handle(source, interest, &handle)
    }

    /// Registers `source` with the reactor of `handle`'s runtime.
    pub(crate) fn new_with_handle(
        source: &mut impl Source,
        interest: Interest,
        handle: &Handle,
    ) -> io::Result<Registration> {
        let (shared, token) = handle.io().add_source(source, interest)?;
        Ok(Registration {
            handle: handle.clone(),
            shared,
            token,
        })
    }

    /// `Pending` until the source is ready in `direction` (readable
    /// includes read-closed and error; writable includes write-closed and
    /// error). Consumes coop budget. Only the latest waker per direction is
    /// kept.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let coop = ready!(coop::poll_proceed(cx));
        let event = match self.shared.ready_for(direction) {
            Some(event) => event,
            None => match self.shared.register_waker(direction, cx) {
                Some(event) => event,
                None => return Poll::Pending,
            },
        };
        coop.made_progress();
        if event.ready & SHUTDOWN != 0 {
            return Poll::Ready(Err(shutdown_error()));
        }
        Poll::Ready(Ok(event))
    }

    /// The readiness satisfying `direction` right now, if any (no budget,
    /// no waker).
    #[inline]
    pub(crate) fn ready_for(&self, direction: Direction) -> Option<ReadyEvent> {
        self.shared.ready_for(direction)
    }

    /// Registers the task's waker for `direction`, then re-checks the
    /// readiness (`None`: the task will be woken when it arrives).
    #[inline]
    pub(crate) fn register_waker(
        &self,
        direction: Direction,
        cx: &Context<'_>,
    ) -> Option<ReadyEvent> {
        self.shared.register_waker(direction, cx)
    }

    /// Forgets the readiness seen in `event` (call after an operation
    /// returned `WouldBlock`); readiness that arrived after `event` is kept.
    #[inline]
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    /// Waits for readiness, runs `f`; on `WouldBlock` clears the readiness
    /// and waits again; otherwise returns `f`'s result.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => return Poll::Ready(result),
            }
        }
    }

    /// Without waiting: `WouldBlock` if the source is not known to be ready,
    /// else runs `f`, clearing the readiness if it returns `WouldBlock`.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(event) = self.shared.ready_for(direction) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        if event.ready & SHUTDOWN != 0 {
            return Err(shutdown_error());
        }
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(e)
            }
            result => result,
        }
    }

    /// Waits until the source is ready in `direction`. Any number of tasks
    /// may wait on the same direction at once (each is woken).
    pub(crate) async fn readiness(&self, direction: Direction) -> io::Result<ReadyEvent> {
        struct Waiter<'a> {
            shared: &'a ScheduledIo,
            id: Option<u64>,
        }
        impl Drop for Waiter<'_> {
            fn drop(&mut self) {
                if let Some(id) = self.id {
                    self.shared.remove_list_waiter(id);
                }
            }
        }
        let mut waiter = Waiter {
            shared: &self.shared,
            id: None,
        };
        poll_fn(|cx| {
            let coop = ready!(coop::poll_proceed(cx));
            let event = match waiter.shared.ready_for(direction) {
                Some(event) => event,
                None => {
                    let (id, event) =
                        waiter
                            .shared
                            .register_list_waiter(waiter.id, direction, cx.waker());
                    waiter.id = Some(id);
                    match event {
                        Some(event) => event,
                        None => return Poll::Pending,
                    }
                }
            };
            coop.made_progress();
            if event.ready & SHUTDOWN != 0 {
                return Poll::Ready(Err(shutdown_error()));
            }
            Poll::Ready(Ok(event))
        })
        .await
    }

    /// Removes `source` from the reactor. The slot is released when the
    /// `Registration` drops.
    pub(crate) fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.handle.io().deregister_source(source)
    }

    /// The runtime this registration belongs to.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.handle.io().release(self.token);
    }
}
