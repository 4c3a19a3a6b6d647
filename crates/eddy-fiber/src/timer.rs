//! [`TimerHeap`]: the deadlines fibers sleep until, as a binary min-heap.
//!
//! Each entry holds the [`Waiter`] of one wait. A wait that ends early (an
//! I/O timeout whose data arrived) leaves its entry behind as *stale*: it
//! wakes nobody when it fires (waiters check their wait number). So that a
//! busy server with long timeouts does not pile up stale entries, the heap
//! is compacted whenever stale entries outnumber live ones.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::fiber::Waiter;

struct Entry {
    deadline: Instant,
    /// Insertion order: equal deadlines fire first-in, first-out.
    seq: u64,
    waiter: Waiter,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so the `BinaryHeap` (a max-heap) pops the earliest first.
    fn cmp(&self, other: &Entry) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

/// Pending deadlines of one runtime.
#[derive(Default)]
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Entry>,
    seq: u64,
    /// Entries whose wait may still be in progress (inserted minus ended).
    live: usize,
}

impl TimerHeap {
    /// Wakes `waiter` at `deadline`.
    pub(crate) fn insert(&mut self, deadline: Instant, waiter: Waiter) {
        self.seq += 1;
        self.live += 1;
        self.heap.push(Entry {
            deadline,
            seq: self.seq,
            waiter,
        });
    }

    /// Notes that a wait with a timer ended (fired or not).
    pub(crate) fn wait_ended(&mut self) {
        self.live = self.live.saturating_sub(1);
        if self.heap.len() > 64 && self.heap.len() > 2 * self.live {
            self.heap.retain(|e| e.waiter.is_current());
            self.live = self.heap.len();
        }
    }

    /// The earliest deadline, if any.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.deadline)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Removes every entry due at `now` and returns its waiter.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Waiter> {
        if self.heap.peek()?.deadline <= now {
            self.heap.pop().map(|e| e.waiter)
        } else {
            None
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

impl std::fmt::Debug for TimerHeap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerHeap")
            .field("len", &self.heap.len())
            .field("next", &self.next_deadline())
            .finish()
    }
}
