//! [`ScheduledIo`]: the readiness slot of one registered source, shared by
//! the reactor (which sets readiness from events) and the resource (which
//! waits for it and clears it after `WouldBlock`).
//!
//! The readiness word packs the ready bits and the reactor *tick* (a counter
//! of reactor turns) at which they were last set, so `clear_readiness` only
//! forgets what the caller actually observed.

use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::{Context, Waker};

use super::{Direction, ReadyEvent};

/// Data to read, a connection to accept, or a peer's close.
pub(crate) const READABLE: u8 = 1 << 0;
/// Room to write, or a finished connect.
pub(crate) const WRITABLE: u8 = 1 << 1;
/// The peer will send no more; reads return 0 or an error.
pub(crate) const READ_CLOSED: u8 = 1 << 2;
/// Writes will fail.
pub(crate) const WRITE_CLOSED: u8 = 1 << 3;
/// An error is pending on the socket.
pub(crate) const ERROR: u8 = 1 << 4;
/// The runtime shut down: every wait fails from now on. Set once; never
/// cleared.
pub(crate) const SHUTDOWN: u8 = 1 << 5;

/// Readiness that stays once seen: closes are final.
const FINAL: u8 = READ_CLOSED | WRITE_CLOSED;

const TICK_SHIFT: usize = 8;

impl Direction {
    /// The readiness bits that satisfy a waiter in this direction.
    pub(crate) fn mask(self) -> u8 {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// One registration's readiness and waiters.
#[derive(Debug, Default)]
pub(crate) struct ScheduledIo {
    /// Ready bits (low byte) and the tick they were set at (the 16 bits
    /// above): a stale clear is recognised unless 65 536 reactor turns pass
    /// between observing readiness and clearing it.
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    /// The task in `poll_ready(Read)` (only the latest is kept).
    reader: Option<Waker>,
    /// The task in `poll_ready(Write)`.
    writer: Option<Waker>,
    /// `readiness()` futures; any number per direction.
    list: Vec<ListWaiter>,
    next_id: u64,
}

#[derive(Debug)]
struct ListWaiter {
    id: u64,
    direction: Direction,
    waker: Waker,
}

impl ScheduledIo {
    /// The current readiness as an event.
    pub(crate) fn ready_event(&self) -> ReadyEvent {
        let word = self.readiness.load(Acquire);
        ReadyEvent {
            ready: word as u8,
            tick: (word >> TICK_SHIFT) as u16,
        }
    }

    /// Adds readiness seen by the reactor at `tick`.
    pub(crate) fn set_readiness(&self, tick: u16, ready: u8) {
        let mut curr = self.readiness.load(Acquire);
        loop {
            let next = ((curr as u8 | ready) as usize) | (tick as usize) << TICK_SHIFT;
            match self
                .readiness
                .compare_exchange_weak(curr, next, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Forgets the readiness in `event`, unless newer readiness arrived
    /// since (a different tick). Closes and shutdown are kept.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let forget = event.ready & !(FINAL | SHUTDOWN);
        let mut curr = self.readiness.load(Acquire);
        loop {
            if (curr >> TICK_SHIFT) as u16 != event.tick {
                return;
            }
            let next = curr & !(forget as usize);
            match self
                .readiness
                .compare_exchange_weak(curr, next, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Readiness satisfying `direction` right now, if any.
    pub(crate) fn ready_for(&self, direction: Direction) -> Option<ReadyEvent> {
        let event = self.ready_event();
        let ready = event.ready & (direction.mask() | SHUTDOWN);
        (ready != 0).then_some(ReadyEvent {
            ready,
            tick: event.tick,
        })
    }

    /// Stores the waker of the task in `poll_ready(direction)`, then checks
    /// readiness again (it may have arrived meanwhile).
    pub(crate) fn register_waker(
        &self,
        direction: Direction,
        cx: &Context<'_>,
    ) -> Option<ReadyEvent> {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        let slot = match direction {
            Direction::Read => &mut waiters.reader,
            Direction::Write => &mut waiters.writer,
        };
        match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        drop(waiters);
        self.ready_for(direction)
    }

    /// Adds or refreshes a `readiness()` waiter; returns its id.
    pub(crate) fn register_list_waiter(
        &self,
        id: Option<u64>,
        direction: Direction,
        waker: &Waker,
    ) -> u64 {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = id
            && let Some(w) = waiters.list.iter_mut().find(|w| w.id == id)
        {
            if !w.waker.will_wake(waker) {
                w.waker = waker.clone();
            }
            return id;
        }
        let id = waiters.next_id;
        waiters.next_id += 1;
        waiters.list.push(ListWaiter {
            id,
            direction,
            waker: waker.clone(),
        });
        id
    }

    /// Removes a `readiness()` waiter (its future was dropped or finished).
    pub(crate) fn remove_list_waiter(&self, id: u64) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pos) = waiters.list.iter().position(|w| w.id == id) {
            waiters.list.swap_remove(pos);
        }
    }

    /// Moves the wakers interested in `ready` into `out` (woken by the
    /// caller after it releases its locks).
    pub(crate) fn take_wakers(&self, ready: u8, out: &mut Vec<Waker>) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        if ready & (Direction::Read.mask() | SHUTDOWN) != 0
            && let Some(w) = waiters.reader.take()
        {
            out.push(w);
        }
        if ready & (Direction::Write.mask() | SHUTDOWN) != 0
            && let Some(w) = waiters.writer.take()
        {
            out.push(w);
        }
        if !waiters.list.is_empty() {
            let mut i = 0;
            while i < waiters.list.len() {
                if ready & (waiters.list[i].direction.mask() | SHUTDOWN) != 0 {
                    out.push(waiters.list.swap_remove(i).waker);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Runtime shutdown: mark and return every waker.
    pub(crate) fn shutdown(&self, out: &mut Vec<Waker>) {
        self.set_readiness(0, SHUTDOWN);
        self.take_wakers(SHUTDOWN, out);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn clear_keeps_newer_readiness() {
        let io = ScheduledIo::default();
        io.set_readiness(1, READABLE);
        let seen = io.ready_for(Direction::Read).unwrap();
        io.set_readiness(2, READABLE);
        io.clear_readiness(seen);
        assert!(io.ready_for(Direction::Read).is_some());
        let seen = io.ready_for(Direction::Read).unwrap();
        io.clear_readiness(seen);
        assert!(io.ready_for(Direction::Read).is_none());
    }

    #[test]
    fn closes_are_final() {
        let io = ScheduledIo::default();
        io.set_readiness(1, READABLE | READ_CLOSED);
        io.clear_readiness(io.ready_for(Direction::Read).unwrap());
        let left = io.ready_for(Direction::Read).unwrap();
        assert_eq!(left.ready, READ_CLOSED);
    }

    #[test]
    fn write_readiness_does_not_satisfy_readers() {
        let io = ScheduledIo::default();
        io.set_readiness(1, WRITABLE);
        assert!(io.ready_for(Direction::Read).is_none());
        assert!(io.ready_for(Direction::Write).is_some());
    }
}
