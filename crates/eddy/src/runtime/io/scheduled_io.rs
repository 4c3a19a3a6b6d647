//! [`ScheduledIo`]: the readiness slot of one registered source, shared by
//! the reactor (which sets readiness from events) and the resource (which
//! waits for it and clears it after `WouldBlock`).
//!
//! The readiness word packs the ready bits and the reactor *tick* (a counter
//! of reactor turns) at which they were last set, so `clear_readiness` only
//! forgets what the caller actually observed.
//!
//! # Waiters
//!
//! The task in `poll_read` and the task in `poll_write` each have a
//! lock-free [`WakerSlot`]: that is every I/O wait on the hot path. Waits
//! that any number of tasks may share (`readable()`, `writable()`) go on a
//! list behind a mutex, which the reactor only locks when `list_len` says
//! the list is not empty.
//!
//! A waiter stores its waker, then reads the readiness again; the reactor
//! sets the readiness, then takes the wakers. For the slots the slot's own
//! protocol orders the two sides. For the list, the waiter re-reads the
//! readiness with a read-modify-write (`fetch_add(0)`) after raising
//! `list_len`: either that read comes after the reactor's update in the
//! readiness word's modification order (and sees it), or the reactor's
//! update reads from it and so sees the raised `list_len`.

use std::task::{Context, Waker};

use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use crate::loom::sync::{Mutex, MutexGuard};

use super::waker_slot::WakerSlot;
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
    pub(crate) const fn mask(self) -> u8 {
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
    /// The task in `poll_ready(Read)` (only the latest is kept).
    reader: WakerSlot,
    /// The task in `poll_ready(Write)`.
    writer: WakerSlot,
    /// How many waiters `list` holds; changed under its lock, read without.
    list_len: AtomicUsize,
    /// `readiness()` futures; any number per direction.
    list: Mutex<WaiterList>,
}

#[derive(Debug, Default)]
struct WaiterList {
    waiters: Vec<ListWaiter>,
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
    #[inline]
    pub(crate) fn ready_event(&self) -> ReadyEvent {
        let word = self.readiness.load(Acquire);
        ReadyEvent {
            ready: word as u8,
            tick: (word >> TICK_SHIFT) as u16,
        }
    }

    /// Adds readiness seen by the reactor at `tick`; returns the ready bits
    /// that were set before.
    #[inline]
    pub(crate) fn set_readiness(&self, tick: u16, ready: u8) -> u8 {
        let mut curr = self.readiness.load(Acquire);
        loop {
            let next = ((curr as u8 | ready) as usize) | (tick as usize) << TICK_SHIFT;
            match self
                .readiness
                .compare_exchange_weak(curr, next, AcqRel, Acquire)
            {
                Ok(_) => return curr as u8,
                Err(actual) => curr = actual,
            }
        }
    }

    /// The reactor's side of one event: adds `ready` (seen at `tick`) and
    /// moves into `out` the wakers of the directions it made ready.
    ///
    /// A direction that was already ready before this event is skipped (an
    /// edge-triggered queue reports writable with every readable event, so
    /// this spares the idle writer slot on almost every event). No waiter
    /// can be lost by that: a waiter only sleeps after re-reading the
    /// readiness (after registering) and finding the direction not ready,
    /// and every change to the readiness word is a read-modify-write. If
    /// the direction was ready before this event, the update that last made
    /// it ready came after that re-read in the word's modification order
    /// (nothing but a clear makes it unready again, and a clear after it
    /// would have been followed by another such update), and that update
    /// took the wakers: it either found the waiter's waker or synchronised
    /// with the waiter's registration, so the waiter's re-read would have
    /// seen it. `tests/loom_io.rs` models it
    /// (`edge_skip_never_loses_a_wake`).
    #[inline]
    pub(crate) fn dispatch(&self, tick: u16, ready: u8, out: &mut Vec<Waker>) {
        const READ: u8 = Direction::Read.mask() | SHUTDOWN;
        const WRITE: u8 = Direction::Write.mask() | SHUTDOWN;
        let before = self.set_readiness(tick, ready);
        let mut fresh = 0;
        if before & READ == 0 && ready & READ != 0 {
            fresh |= ready & READ;
            if let Some(w) = self.reader.take() {
                out.push(w);
            }
        }
        if before & WRITE == 0 && ready & WRITE != 0 {
            fresh |= ready & WRITE;
            if let Some(w) = self.writer.take() {
                out.push(w);
            }
        }
        if fresh != 0 {
            self.take_list_wakers(fresh, out);
        }
    }

    /// Forgets the readiness in `event`, unless newer readiness arrived
    /// since (a different tick). Closes and shutdown are kept.
    #[inline]
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
    #[inline]
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
    #[inline]
    pub(crate) fn register_waker(
        &self,
        direction: Direction,
        cx: &Context<'_>,
    ) -> Option<ReadyEvent> {
        match direction {
            Direction::Read => self.reader.register(cx.waker()),
            Direction::Write => self.writer.register(cx.waker()),
        }
        self.ready_for(direction)
    }

    /// Adds or refreshes a `readiness()` waiter, then checks readiness again
    /// (see the module docs for why this cannot miss an event). Returns the
    /// waiter's id and the readiness, if any.
    pub(crate) fn register_list_waiter(
        &self,
        id: Option<u64>,
        direction: Direction,
        waker: &Waker,
    ) -> (u64, Option<ReadyEvent>) {
        let id = self.add_list_waiter(id, direction, waker);
        // A read-modify-write, not a load: see the module docs.
        let word = self.readiness.fetch_add(0, AcqRel);
        (id, ready_in(word, direction))
    }

    fn add_list_waiter(&self, id: Option<u64>, direction: Direction, waker: &Waker) -> u64 {
        let mut list = self.lock_list();
        if let Some(id) = id
            && let Some(w) = list.waiters.iter_mut().find(|w| w.id == id)
        {
            if !w.waker.will_wake(waker) {
                w.waker = waker.clone();
            }
            return id;
        }
        let id = list.next_id;
        list.next_id += 1;
        list.waiters.push(ListWaiter {
            id,
            direction,
            waker: waker.clone(),
        });
        self.list_len.store(list.waiters.len(), Relaxed);
        id
    }

    /// Removes a `readiness()` waiter (its future was dropped or finished).
    pub(crate) fn remove_list_waiter(&self, id: u64) {
        let mut list = self.lock_list();
        if let Some(pos) = list.waiters.iter().position(|w| w.id == id) {
            list.waiters.swap_remove(pos);
            self.list_len.store(list.waiters.len(), Relaxed);
        }
    }

    fn lock_list(&self) -> MutexGuard<'_, WaiterList> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the wakers interested in `ready` into `out` (woken by the
    /// caller after it releases its locks). Call after
    /// [`set_readiness`](Self::set_readiness).
    #[inline]
    pub(crate) fn take_wakers(&self, ready: u8, out: &mut Vec<Waker>) {
        if ready & (Direction::Read.mask() | SHUTDOWN) != 0
            && let Some(w) = self.reader.take()
        {
            out.push(w);
        }
        if ready & (Direction::Write.mask() | SHUTDOWN) != 0
            && let Some(w) = self.writer.take()
        {
            out.push(w);
        }
        self.take_list_wakers(ready, out);
    }

    /// The waiter-list half of [`take_wakers`](Self::take_wakers).
    #[inline]
    fn take_list_wakers(&self, ready: u8, out: &mut Vec<Waker>) {
        // Acquire: pairs with the waiter's fetch_add on the readiness word
        // (see the module docs); the set_readiness before this read it.
        if self.list_len.load(Acquire) == 0 {
            return;
        }
        let mut list = self.lock_list();
        let mut i = 0;
        while i < list.waiters.len() {
            if ready & (list.waiters[i].direction.mask() | SHUTDOWN) != 0 {
                out.push(list.waiters.swap_remove(i).waker);
            } else {
                i += 1;
            }
        }
        self.list_len.store(list.waiters.len(), Relaxed);
    }

    /// Runtime shutdown: mark and return every waker.
    pub(crate) fn shutdown(&self, out: &mut Vec<Waker>) {
        self.set_readiness(0, SHUTDOWN);
        self.take_wakers(SHUTDOWN, out);
    }
}

/// The readiness in `word` satisfying `direction`, if any.
fn ready_in(word: usize, direction: Direction) -> Option<ReadyEvent> {
    let ready = word as u8 & (direction.mask() | SHUTDOWN);
    (ready != 0).then_some(ReadyEvent {
        ready,
        tick: (word >> TICK_SHIFT) as u16,
    })
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
    fn an_event_wakes_only_the_directions_it_made_ready() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize as Count, Ordering::SeqCst};
        use std::task::Wake;
        struct Counter(Count);
        impl Wake for Counter {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        let io = ScheduledIo::default();
        let writer = Arc::new(Counter(Count::new(0)));
        let waker = Waker::from(writer.clone());
        let cx = Context::from_waker(&waker);
        let mut out = Vec::new();
        // Writable already: the writer's stale registration is left alone.
        io.dispatch(1, WRITABLE, &mut out);
        assert!(out.is_empty());
        assert!(io.register_waker(Direction::Write, &cx).is_some());
        io.dispatch(2, READABLE | WRITABLE, &mut out);
        assert!(out.is_empty(), "writable was already set: nobody to wake");
        // The writer filled the socket and waits: the next edge wakes it.
        io.clear_readiness(io.ready_for(Direction::Write).unwrap());
        assert!(io.register_waker(Direction::Write, &cx).is_none());
        io.dispatch(3, READABLE | WRITABLE, &mut out);
        assert_eq!(out.len(), 1);
        out.drain(..).for_each(Waker::wake);
        assert_eq!(writer.0.load(SeqCst), 1);
    }

    #[test]
    fn write_readiness_does_not_satisfy_readers() {
        let io = ScheduledIo::default();
        io.set_readiness(1, WRITABLE);
        assert!(io.ready_for(Direction::Read).is_none());
        assert!(io.ready_for(Direction::Write).is_some());
    }
}
