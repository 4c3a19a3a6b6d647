//! [`TimerHeap`]: the deadlines the event loop sleeps towards.
//!
//! Every connection has at most one *armed* deadline: the moment its next
//! response is due, its idle timeout, or the end of its lingering close. The
//! heap holds `(deadline, key)` entries, earliest first; the event loop
//! computes its `poll` timeout from [`TimerHeap::next_deadline`] and pops the
//! expired entries after each poll.
//!
//! Entries are never removed from the middle of the heap. When a connection
//! closes, or arms an earlier deadline than the one it had, its old entry
//! stays behind and becomes *stale*: the loop recognises it when it pops it
//! (the key's connection serial or armed deadline no longer match) and drops
//! it. The owner reports each entry it makes stale with
//! [`TimerHeap::note_stale`]; once stale entries outnumber live ones the
//! owner calls [`TimerHeap::compact`], so a flood of short-lived connections
//! asking for long delays cannot grow the heap without bound.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Below this many entries the heap is never compacted: scanning it would
/// cost more than the memory it frees.
const COMPACT_MIN_LEN: usize = 1024;

/// A min-heap of `(deadline, key)` timer entries that tolerates stale ones.
///
/// `K` identifies what to wake (the event loop uses a connection's token and
/// serial number); it only needs an order so that entries with the same
/// deadline compare consistently.
#[derive(Debug)]
pub(crate) struct TimerHeap<K: Ord> {
    heap: BinaryHeap<Reverse<(Instant, K)>>,
    /// How many entries in `heap` are known to be stale (an estimate from
    /// above: the owner's reports minus the stale entries popped since).
    stale: usize,
}

impl<K: Ord> TimerHeap<K> {
    /// An empty heap.
    pub(crate) fn new() -> TimerHeap<K> {
        TimerHeap {
            heap: BinaryHeap::new(),
            stale: 0,
        }
    }

    /// Adds an entry that expires at `deadline`.
    pub(crate) fn push(&mut self, deadline: Instant, key: K) {
        self.heap.push(Reverse((deadline, key)));
    }

    /// The earliest deadline in the heap (possibly a stale entry's).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.peek().map(|(deadline, _)| deadline)
    }

    /// The earliest entry, left in place.
    pub(crate) fn peek(&self) -> Option<(Instant, &K)> {
        self.heap
            .peek()
            .map(|Reverse((deadline, key))| (*deadline, key))
    }

    /// Removes and returns the earliest entry if it has expired by `now`.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<(Instant, K)> {
        match self.heap.peek() {
            Some(Reverse((deadline, _))) if *deadline <= now => {
                self.heap.pop().map(|Reverse(entry)| entry)
            }
            _ => None,
        }
    }

    /// Removes and returns the earliest entry whatever its deadline; the
    /// loop uses it to drop stale entries before computing its timeout.
    pub(crate) fn pop(&mut self) -> Option<(Instant, K)> {
        self.heap.pop().map(|Reverse(entry)| entry)
    }

    /// Records that `count` entries in the heap have just become stale.
    pub(crate) fn note_stale(&mut self, count: usize) {
        self.stale = self.stale.saturating_add(count);
    }

    /// Records that a stale entry was popped and dropped.
    pub(crate) fn stale_popped(&mut self) {
        self.stale = self.stale.saturating_sub(1);
    }

    /// Whether enough entries are stale that [`compact`](Self::compact) is
    /// worth its O(n) scan.
    pub(crate) fn should_compact(&self) -> bool {
        self.heap.len() >= COMPACT_MIN_LEN && self.stale > self.heap.len() / 2
    }

    /// Keeps only the entries for which `is_live` returns true.
    pub(crate) fn compact(&mut self, mut is_live: impl FnMut(Instant, &K) -> bool) {
        self.heap
            .retain(|Reverse((deadline, key))| is_live(*deadline, key));
        self.stale = 0;
    }

    /// The number of entries, live and stale.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

/// `now + after`, saturating at a far-off instant instead of overflowing
/// (an `Instant` cannot represent every `Duration` a user may configure).
pub(crate) fn deadline_after(now: Instant, after: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(after.min(FAR_FUTURE))
        .or_else(|| now.checked_add(Duration::from_secs(24 * 3600)))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_deadline_order_and_only_when_expired() {
        let t0 = Instant::now();
        let mut timers = TimerHeap::new();
        timers.push(t0 + Duration::from_millis(30), 3);
        timers.push(t0 + Duration::from_millis(10), 1);
        timers.push(t0 + Duration::from_millis(20), 2);
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(10)));
        assert_eq!(timers.pop_expired(t0), None);
        let now = t0 + Duration::from_millis(25);
        let keys: Vec<i32> = std::iter::from_fn(|| timers.pop_expired(now))
            .map(|(_, k)| k)
            .collect();
        assert_eq!(keys, [1, 2]);
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn equal_deadlines_all_pop() {
        let t0 = Instant::now();
        let mut timers = TimerHeap::new();
        for key in 0..5 {
            timers.push(t0, key);
        }
        let mut keys: Vec<i32> = std::iter::from_fn(|| timers.pop_expired(t0))
            .map(|(_, k)| k)
            .collect();
        keys.sort();
        assert_eq!(keys, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn compaction_drops_stale_entries_and_keeps_order() {
        let t0 = Instant::now();
        let mut timers = TimerHeap::new();
        for key in 0..2000u32 {
            timers.push(t0 + Duration::from_millis(u64::from(key)), key);
        }
        assert!(!timers.should_compact());
        timers.note_stale(1500);
        assert!(timers.should_compact());
        timers.compact(|_, key| key % 4 == 0);
        assert_eq!(timers.len(), 500);
        assert!(!timers.should_compact());
        let later = t0 + Duration::from_secs(10);
        let keys: Vec<u32> = std::iter::from_fn(|| timers.pop_expired(later))
            .map(|(_, k)| k)
            .collect();
        assert_eq!(keys, (0..2000).step_by(4).collect::<Vec<_>>());
    }

    #[test]
    fn small_heaps_are_not_compacted() {
        let mut timers = TimerHeap::new();
        timers.push(Instant::now(), 1);
        timers.note_stale(1);
        assert!(!timers.should_compact());
    }

    #[test]
    fn deadline_after_saturates() {
        let now = Instant::now();
        assert_eq!(
            deadline_after(now, Duration::from_millis(5)),
            now + Duration::from_millis(5)
        );
        assert!(deadline_after(now, Duration::MAX) > now);
    }
}
