//! The I/O driver: owns the `eddy_poll::Poll`, turns its events into
//! readiness on [`ScheduledIo`] slots and wakes the waiting tasks.
//!
//! [`IoHandle`] is the shared half (inside the runtime `Handle`): it adds and
//! removes registrations from any thread and wakes a parked driver.
//! [`IoDriver`] is the half the scheduler owns and parks.
//!
//! Tokens are `generation << 32 | slot index`, so an event for a slot that
//! was freed and reused is recognised and ignored.

use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;

use eddy_poll::event::Source;
use eddy_poll::{Events, Interest, Poll, Registry, Token};

use super::scheduled_io::{ERROR, READ_CLOSED, READABLE, ScheduledIo, WRITABLE, WRITE_CLOSED};

/// The token of the driver's own `eddy_poll::Waker`.
const WAKER_TOKEN: Token = Token(usize::MAX);

/// Events read per `epoll_wait`.
const EVENTS_CAPACITY: usize = 1024;

/// The driver half owned (and parked) by the scheduler.
#[derive(Debug)]
pub(crate) struct IoDriver {
    poll: Poll,
    events: Events,
    tick: u16,
    /// Reused buffer of wakers to wake after the registration lock drops.
    wakers: Vec<Waker>,
}

/// The shared half: registrations and the unpark waker.
#[derive(Debug)]
pub(crate) struct IoHandle {
    registry: Registry,
    waker: eddy_poll::Waker,
    slots: Mutex<Slots>,
    is_shutdown: AtomicBool,
}

#[derive(Debug, Default)]
struct Slots {
    entries: Vec<Slot>,
    free: Vec<u32>,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    io: Option<Arc<ScheduledIo>>,
}

impl IoDriver {
    pub(crate) fn new() -> io::Result<(IoDriver, IoHandle)> {
        let poll =
            Poll::new().map_err(|e| annotate(e, "create the event queue (epoll_create1)"))?;
        let registry = poll
            .registry()
            .try_clone()
            .map_err(|e| annotate(e, "duplicate the event queue descriptor"))?;
        let waker = eddy_poll::Waker::new(poll.registry(), WAKER_TOKEN)
            .map_err(|e| annotate(e, "create the reactor's waker (eventfd)"))?;
        let driver = IoDriver {
            poll,
            events: Events::with_capacity(EVENTS_CAPACITY),
            tick: 0,
            wakers: Vec::new(),
        };
        let handle = IoHandle {
            registry,
            waker,
            slots: Mutex::new(Slots::default()),
            is_shutdown: AtomicBool::new(false),
        };
        Ok((driver, handle))
    }

    /// Waits up to `timeout` (`None`: until an event) and dispatches events.
    pub(crate) fn turn(&mut self, handle: &IoHandle, timeout: Option<Duration>) {
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            // epoll_wait fails only on programming errors (EBADF, EINVAL);
            // report it and carry on rather than bring the runtime down.
            log::error!("eddy: epoll_wait failed: {e}");
            return;
        }
        if self.events.is_empty() {
            return;
        }
        self.tick = self.tick.wrapping_add(1);
        {
            let slots = handle.slots.lock().unwrap_or_else(|e| e.into_inner());
            for event in self.events.iter() {
                let token = event.token();
                if token == WAKER_TOKEN {
                    continue;
                }
                let index = token.0 as u32 as usize;
                let generation = (token.0 >> 32) as u32;
                let Some(io) = slots
                    .entries
                    .get(index)
                    .filter(|s| s.generation == generation)
                    .and_then(|s| s.io.as_ref())
                else {
                    continue;
                };
                let mut ready = 0;
                if event.is_readable() {
                    ready |= READABLE;
                }
                if event.is_writable() {
                    ready |= WRITABLE;
                }
                if event.is_read_closed() {
                    ready |= READ_CLOSED;
                }
                if event.is_write_closed() {
                    ready |= WRITE_CLOSED;
                }
                if event.is_error() {
                    ready |= ERROR;
                }
                io.dispatch(self.tick, ready, &mut self.wakers);
            }
        }
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
    }

    /// Fails every registration (their waits return an error) and wakes
    /// their tasks; later registrations are refused.
    pub(crate) fn shutdown(&mut self, handle: &IoHandle) {
        handle.is_shutdown.store(true, Release);
        {
            let slots = handle.slots.lock().unwrap_or_else(|e| e.into_inner());
            for io in slots.entries.iter().filter_map(|s| s.io.as_ref()) {
                io.shutdown(&mut self.wakers);
            }
        }
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
    }
}

impl IoHandle {
    /// Wakes the driver if it is blocked in `epoll_wait`.
    pub(crate) fn unpark(&self) {
        if let Err(e) = self.waker.wake() {
            log::error!("eddy: waking the reactor failed: {e}");
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(Acquire)
    }

    /// Registers `source` and returns its readiness slot and token.
    pub(crate) fn add_source(
        &self,
        source: &mut (impl Source + ?Sized),
        interest: Interest,
    ) -> io::Result<(Arc<ScheduledIo>, Token)> {
        if self.is_shutdown() {
            return Err(shutdown_error());
        }
        let io = Arc::new(ScheduledIo::default());
        let token = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let index = match slots.free.pop() {
                Some(index) => index as usize,
                None => {
                    if slots.entries.len() >= u32::MAX as usize {
                        return Err(io::Error::other(
                            "register an I/O source: the reactor has 4 billion registrations",
                        ));
                    }
                    slots.entries.push(Slot::default());
                    slots.entries.len() - 1
                }
            };
            let slot = &mut slots.entries[index];
            slot.io = Some(io.clone());
            Token((slot.generation as usize) << 32 | index)
        };
        if let Err(e) = self.registry.register(source, token, interest) {
            self.release(token);
            return Err(annotate(
                e,
                "register an I/O source with the reactor (epoll_ctl ADD)",
            ));
        }
        Ok((io, token))
    }

    /// Removes `source` from the event queue (the slot stays until
    /// [`release`](Self::release)).
    pub(crate) fn deregister_source(&self, source: &mut (impl Source + ?Sized)) -> io::Result<()> {
        self.registry.deregister(source).map_err(|e| {
            annotate(
                e,
                "deregister an I/O source from the reactor (epoll_ctl DEL)",
            )
        })
    }

    /// Frees the slot of `token`; events still in flight for it are ignored.
    pub(crate) fn release(&self, token: Token) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let index = token.0 as u32 as usize;
        if let Some(slot) = slots.entries.get_mut(index)
            && slot.generation == (token.0 >> 32) as u32
        {
            slot.io = None;
            slot.generation = slot.generation.wrapping_add(1);
            slots.free.push(index as u32);
        }
    }

    /// How many sources are registered (for tests and diagnostics).
    #[allow(dead_code)]
    pub(crate) fn registration_count(&self) -> usize {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entries.len() - slots.free.len()
    }
}

/// The error every wait returns once the runtime is gone.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the runtime has shut down: the I/O resource can no longer be used")
}

fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
