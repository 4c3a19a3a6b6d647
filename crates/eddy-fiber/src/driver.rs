//! The I/O driver: the eddy-poll event queue, the readiness of every
//! registered socket, and the queue of wake-ups coming from other threads.
//!
//! Sockets register once, edge-triggered, for both directions; their token
//! is their index in a slab of [`Readiness`]. Both flags start set (try the
//! syscall first). A fiber whose syscall returned `WouldBlock` (or moved
//! fewer bytes than asked) clears the matching flag and parks as a waiter of
//! that direction; an event sets the flag again and wakes the waiters.
//!
//! [`RemoteWakes`] carries wake-ups from `std::task::Waker`s (which may be
//! called from any thread) into the scheduler: a locked list plus an
//! eddy-poll [`Waker`](eddy_poll::Waker) that interrupts a blocked poll.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eddy_poll::event::Source;
use eddy_poll::{Events, Interest, Poll, Token};

use crate::fiber::{FiberId, Waiter};
use crate::slab::Slab;

/// The token of the cross-thread waker (never a slab index).
const WAKE_TOKEN: Token = Token(usize::MAX);

/// Readiness of one registered socket, and the fibers waiting on it.
#[derive(Debug, Default)]
pub(crate) struct Readiness {
    pub(crate) readable: Cell<bool>,
    pub(crate) writable: Cell<bool>,
    /// An event reported the read side closed (or an error): sticky, since
    /// no further edge will come for it.
    read_closed: Cell<bool>,
    /// An event reported the write side closed (or an error): sticky.
    write_closed: Cell<bool>,
    pub(crate) readers: RefCell<Vec<Waiter>>,
    pub(crate) writers: RefCell<Vec<Waiter>>,
}

/// A direction of readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Readiness {
    pub(crate) fn flag(&self, dir: Direction) -> &Cell<bool> {
        match dir {
            Direction::Read => &self.readable,
            Direction::Write => &self.writable,
        }
    }

    /// After a transfer that moved fewer bytes than asked: the socket's
    /// buffer was drained (or filled), so `dir` is not ready until the next
    /// edge, unless that side is closed, which no later edge reports.
    pub(crate) fn short_transfer(&self, dir: Direction) {
        let closed = match dir {
            Direction::Read => &self.read_closed,
            Direction::Write => &self.write_closed,
        };
        if !closed.get() {
            self.flag(dir).set(false);
        }
    }

    pub(crate) fn waiters(&self, dir: Direction) -> &RefCell<Vec<Waiter>> {
        match dir {
            Direction::Read => &self.readers,
            Direction::Write => &self.writers,
        }
    }

    /// Sets the flags an event reports and wakes the waiters.
    fn on_event(&self, event: &eddy_poll::event::Event) {
        let error = event.is_error();
        let read_closed = event.is_read_closed() || error;
        if event.is_readable() || read_closed {
            self.readable.set(true);
            self.read_closed.set(self.read_closed.get() | read_closed);
            wake_all(&self.readers);
        }
        let write_closed = event.is_write_closed() || error;
        if event.is_writable() || write_closed {
            self.writable.set(true);
            self.write_closed
                .set(self.write_closed.get() | write_closed);
            wake_all(&self.writers);
        }
    }
}

/// Wakes the waiters in `list`. Most events find no waiter in one of the
/// two directions (a reader's socket also reports it is writable), so the
/// empty check is inlined into [`Readiness::on_event`].
#[inline(always)]
fn wake_all(list: &RefCell<Vec<Waiter>>) {
    if !list.borrow().is_empty() {
        wake_waiters(list);
    }
}

/// [`wake_all`] for a list that had a waiter.
#[inline(never)]
fn wake_waiters(list: &RefCell<Vec<Waiter>>) {
    // No borrow is held while waking: a stale waiter's drop may free a
    // finished fiber, whose result's destructors could use this socket.
    // Usually there is no waiter or one: pop it, keeping the allocation.
    let one = {
        let mut waiters = list.borrow_mut();
        if waiters.len() > 1 {
            None
        } else {
            Some(waiters.pop())
        }
    };
    match one {
        Some(waiter) => {
            if let Some(waiter) = waiter {
                waiter.wake_owned();
            }
        }
        None => {
            let waiters = std::mem::take(&mut *list.borrow_mut());
            for waiter in waiters {
                waiter.wake_owned();
            }
        }
    }
}

type Sources = Rc<RefCell<Slab<Rc<Readiness>>>>;

/// A socket's registration; removes its slab entry on drop (closing the
/// descriptor removes it from the kernel queue).
#[derive(Debug)]
pub(crate) struct Registration {
    token: usize,
    pub(crate) readiness: Rc<Readiness>,
    sources: Sources,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let removed = self.sources.borrow_mut().remove(self.token);
        drop(removed);
    }
}

/// The event queue and the registered sockets.
#[derive(Debug)]
pub(crate) struct IoDriver {
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    sources: Sources,
}

impl IoDriver {
    pub(crate) fn new() -> io::Result<(IoDriver, eddy_poll::Waker)> {
        let poll = Poll::new().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("creating the fiber runtime's event queue: {e}"),
            )
        })?;
        let waker = eddy_poll::Waker::new(poll.registry(), WAKE_TOKEN)?;
        Ok((
            IoDriver {
                poll: RefCell::new(poll),
                events: RefCell::new(Events::with_capacity(1024)),
                sources: Rc::new(RefCell::new(Slab::new())),
            },
            waker,
        ))
    }

    /// Registers `source` for both directions, edge-triggered.
    pub(crate) fn register<S: Source + ?Sized>(&self, source: &mut S) -> io::Result<Registration> {
        // Unknown readiness counts as ready: the first operation tries its
        // syscall, and `WouldBlock` clears the flag.
        let readiness = Rc::new(Readiness {
            readable: Cell::new(true),
            writable: Cell::new(true),
            ..Readiness::default()
        });
        let token = self.sources.borrow_mut().insert(readiness.clone());
        let registered = self.poll.borrow().registry().register(
            source,
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        );
        if let Err(e) = registered {
            self.sources.borrow_mut().remove(token);
            return Err(e);
        }
        Ok(Registration {
            token,
            readiness,
            sources: self.sources.clone(),
        })
    }

    /// The event queue's descriptor (readable when events are pending), so
    /// a host event queue can watch it.
    pub(crate) fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.poll.borrow().as_raw_fd()
    }

    /// Whether any socket is registered.
    pub(crate) fn has_sources(&self) -> bool {
        !self.sources.borrow().is_empty()
    }

    /// Waits up to `timeout` for events and wakes the fibers they concern.
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut events = self.events.borrow_mut();
        self.poll.borrow_mut().poll(&mut events, timeout)?;
        for event in events.iter() {
            if event.token() == WAKE_TOKEN {
                continue;
            }
            let readiness = self.sources.borrow().get(event.token().0).cloned();
            if let Some(readiness) = readiness {
                readiness.on_event(event);
            }
        }
        Ok(())
    }
}

/// Identifies one wait of one fiber, from any thread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RemoteKey {
    pub(crate) slot: usize,
    pub(crate) id: FiberId,
    pub(crate) wait: u64,
}

/// Wake-ups sent from `std::task::Waker`s, possibly on other threads.
#[derive(Debug)]
pub(crate) struct RemoteWakes {
    queue: Mutex<Vec<RemoteKey>>,
    /// Set after pushing; cleared by the scheduler when it drains.
    pending: AtomicBool,
    /// Set while the scheduler is (about to be) blocked in `poll`.
    sleeping: AtomicBool,
    waker: eddy_poll::Waker,
}

impl RemoteWakes {
    pub(crate) fn new(waker: eddy_poll::Waker) -> RemoteWakes {
        RemoteWakes {
            queue: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            waker,
        }
    }

    /// Queues a wake-up and interrupts the poll if the scheduler sleeps.
    pub(crate) fn push(&self, key: RemoteKey) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
        self.pending.store(true, Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) {
            // A failed wake can only mean the eventfd is full, which already
            // means a wake-up is pending.
            let _ = self.waker.wake();
        }
    }

    /// Takes the queued wake-ups, if any.
    pub(crate) fn drain(&self) -> Vec<RemoteKey> {
        if !self.pending.swap(false, Ordering::SeqCst) {
            return Vec::new();
        }
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Announces a blocking poll; returns false if a wake-up is already
    /// pending (then poll without blocking).
    pub(crate) fn begin_sleep(&self) -> bool {
        self.sleeping.store(true, Ordering::SeqCst);
        !self.pending.load(Ordering::SeqCst)
    }

    pub(crate) fn end_sleep(&self) {
        self.sleeping.store(false, Ordering::SeqCst);
    }
}
