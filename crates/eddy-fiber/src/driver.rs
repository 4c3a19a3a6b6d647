//! The I/O driver: the eddy-poll event queue, the readiness of every
//! registered socket, and the queue of wake-ups coming from other threads.
//!
//! Sockets register once, edge-triggered, for both directions; their token
//! is their index in a slab of [`Readiness`]. A fiber whose syscall returned
//! `WouldBlock` clears the matching flag and parks as a waiter of that
//! direction; an event sets the flag again and wakes the waiters.
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

    pub(crate) fn waiters(&self, dir: Direction) -> &RefCell<Vec<Waiter>> {
        match dir {
            Direction::Read => &self.readers,
            Direction::Write => &self.writers,
        }
    }

    /// Sets the flags an event reports and wakes the waiters.
    fn on_event(&self, event: &eddy_poll::event::Event) {
        let closed_or_error = event.is_error();
        if event.is_readable() || event.is_read_closed() || closed_or_error {
            self.readable.set(true);
            wake_all(&self.readers);
        }
        if event.is_writable() || event.is_write_closed() || closed_or_error {
            self.writable.set(true);
            wake_all(&self.writers);
        }
    }
}

fn wake_all(list: &RefCell<Vec<Waiter>>) {
    let waiters = std::mem::take(&mut *list.borrow_mut());
    for waiter in &waiters {
        waiter.wake();
    }
    // Give the (now empty) allocation back for the next waits.
    let mut list = list.borrow_mut();
    if list.is_empty() {
        let mut waiters = waiters;
        waiters.clear();
        *list = waiters;
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
        let readiness = Rc::new(Readiness::default());
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
