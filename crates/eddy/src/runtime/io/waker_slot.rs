//! [`WakerSlot`]: room for one task's waker, filled by the task that waits
//! and emptied by the reactor that wakes it, without a lock.
//!
//! Each [`ScheduledIo`](super::scheduled_io::ScheduledIo) has one slot per
//! direction (the task in `poll_read`, the task in `poll_write`). The slot
//! is the hot path of every I/O wait, so it avoids the mutex a general
//! waiter list needs: registering is two compare-exchanges (plus a waker
//! clone only when the stored waker would wake a different task), taking
//! is a `fetch_or` and a `fetch_and`.
//!
//! # Protocol
//!
//! The `state` word says who may touch the waker cell:
//!
//! * `IDLE`: nobody; the first to set a bit owns the cell.
//! * `REGISTERING`: [`register`](WakerSlot::register) owns the cell and is
//!   storing a waker.
//! * `WAKING`: [`take`](WakerSlot::take) wants the waker. If it set the bit
//!   on `IDLE` it owns the cell and empties it; if a registration was in
//!   progress the bit stays as a message, and the registration, failing to
//!   return to `IDLE`, takes the waker it just stored and wakes it itself.
//!
//! So a wake is never lost: a `take` either finds the registered waker or
//! leaves the `WAKING` bit for the registration to find. A registration that
//! finds a `take` in progress (`WAKING` set) wakes its own waker at once: the
//! task is polled again and re-checks readiness. Every access to `state` is
//! a read-modify-write, so they are totally ordered and each side sees the
//! other's writes to the readiness word made before its own access (the
//! caller re-checks readiness after registering).
//!
//! Only the latest registration is kept: two tasks waiting in the same
//! direction at once is a misuse the slot tolerates (one of them is woken),
//! as tokio's and smol's do; `readable()`-style waits with any number of
//! waiters use the waiter list instead.

use std::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire, Release};

/// Nobody is using the waker cell.
const IDLE: usize = 0;
/// A registration owns the cell (set and cleared by [`WakerSlot::register`]).
const REGISTERING: usize = 0b01;
/// A take is in progress or pending (set by [`WakerSlot::take`], cleared by
/// whichever side empties the cell).
const WAKING: usize = 0b10;

/// One waiting task's waker, shared by that task and the reactor.
pub(crate) struct WakerSlot {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waker cell is only accessed by the side that owns it per the
// protocol above (it moved from IDLE with an acquiring read-modify-write and
// releases it with a releasing one), and `Waker` is `Send + Sync`.
unsafe impl Send for WakerSlot {}
// SAFETY: as above.
unsafe impl Sync for WakerSlot {}

impl Default for WakerSlot {
    fn default() -> WakerSlot {
        WakerSlot::new()
    }
}

impl WakerSlot {
    /// An empty slot.
    pub(crate) fn new() -> WakerSlot {
        WakerSlot {
            state: AtomicUsize::new(IDLE),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` (cloning it only if the stored one would wake another
    /// task). If a [`take`](Self::take) runs at the same time, `waker` is
    /// woken instead, so the caller is polled again.
    #[inline]
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                self.waker.with_mut(|cell| {
                    // SAFETY: REGISTERING gives this call the cell.
                    let cell = unsafe { &mut *cell };
                    match cell {
                        Some(stored) if stored.will_wake(waker) => {}
                        _ => *cell = Some(waker.clone()),
                    }
                });
                if let Err(actual) = self
                    .state
                    .compare_exchange(REGISTERING, IDLE, AcqRel, Acquire)
                {
                    // A take came while we held the cell: it left WAKING for
                    // us. Empty the cell and wake what we stored.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    // SAFETY: we still own the cell: take backs off while
                    // REGISTERING is set.
                    let stored = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                    self.state.swap(IDLE, AcqRel);
                    if let Some(stored) = stored {
                        stored.wake();
                    }
                }
            }
            Err(WAKING) => {
                // A take is emptying the cell right now: it may have missed
                // the readiness our caller is waiting for. Poll again.
                waker.wake_by_ref();
            }
            Err(_) => {
                // Another registration holds the cell (two tasks waiting in
                // one direction): it wins, ours is dropped. Nothing can be
                // lost for the winner; wake ours so it polls and registers
                // again rather than wait on a slot that does not hold it.
                waker.wake_by_ref();
            }
        }
    }

    /// Takes the stored waker to wake it. `None` if the slot is empty or a
    /// registration is in progress (it then wakes its own waker).
    #[inline]
    pub(crate) fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, AcqRel) {
            IDLE => {
                // SAFETY: we moved the state from IDLE, so the cell is ours.
                let waker = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                self.state.fetch_and(!WAKING, Release);
                waker
            }
            // REGISTERING: the registration finds WAKING and wakes itself.
            // WAKING: another take owns the cell.
            _ => None,
        }
    }
}

impl std::fmt::Debug for WakerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WakerSlot")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst};
    use std::task::Wake;

    struct Count(StdAtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn counting_waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(StdAtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn take_returns_the_registered_waker_once() {
        let slot = WakerSlot::new();
        let (count, waker) = counting_waker();
        assert!(slot.take().is_none());
        slot.register(&waker);
        slot.take().expect("registered").wake();
        assert!(slot.take().is_none());
        assert_eq!(count.0.load(SeqCst), 1);
    }

    #[test]
    fn registering_the_same_task_twice_does_not_clone() {
        let slot = WakerSlot::new();
        let (count, waker) = counting_waker();
        slot.register(&waker);
        slot.register(&waker);
        // The waker itself, the one in the slot, and our `count`.
        assert_eq!(Arc::strong_count(&count), 3);
    }

    #[test]
    fn a_new_task_replaces_the_old_one() {
        let slot = WakerSlot::new();
        let (first, a) = counting_waker();
        let (second, b) = counting_waker();
        slot.register(&a);
        slot.register(&b);
        slot.take().expect("registered").wake();
        assert_eq!(first.0.load(SeqCst), 0);
        assert_eq!(second.0.load(SeqCst), 1);
        assert_eq!(Arc::strong_count(&first), 2);
    }

    #[test]
    fn register_during_a_take_wakes_at_once() {
        let slot = WakerSlot::new();
        let (count, waker) = counting_waker();
        // A take in progress, as seen by a registration.
        slot.state.store(WAKING, SeqCst);
        slot.register(&waker);
        assert_eq!(count.0.load(SeqCst), 1);
    }
}
