//! The timer queue behind `set_timeout`/`set_interval` and the loop's timers
//! phase.
//!
//! Timers fire in `(deadline, start order)`, as libuv's timer heap: earlier
//! deadlines first, equal deadlines in the order they were started. They are
//! kept as Node keeps them, in one FIFO list per deadline (a hash map of
//! deadlines to queues, plus a min-heap of the distinct deadlines): starts
//! only append, so each list stays in order, and a million timers over a
//! thousand distinct deadlines cost O(1) each instead of a heap's O(log n).
//!
//! Memory per pending timer is what the benchmarks watch (Node spends
//! ~200 B): a 48-byte [`TimerSlot`] in one `Vec` (the callback inline in it
//! when it captures at most two words, see [`SmallFn`]), and an 8-byte
//! [`ListEntry`] in its deadline's list.
//!
//! Each slot carries two counters. `generation` changes when the slot's
//! timer is removed, so a stale [`Timeout`](super::Timeout) handle misses a
//! reused slot. `stamp` changes every time the timer is armed, re-armed or
//! removed, and each list entry records the stamp it was pushed with: an
//! entry whose stamp is no longer its slot's (the timer was cleared,
//! refreshed or re-armed since) is stale and skipped when popped.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::Location;

use crate::handle::{ACTIVE, HandleCount, REF};
use crate::r#loop::LoopInner;
use crate::slab::Key;
use crate::small_fn::SmallFn;

/// [`TimerEntry::kind`]: an interval, re-armed before each run.
pub(crate) const REPEAT: u8 = 1 << 0;
/// [`TimerEntry::kind`]: kept (inactive) after it fires so that
/// `refresh()` can run it again; cleared only by `clear_timeout` or the
/// loop's end. Without it (and without [`REPEAT`]) a timer is forgotten
/// just before its callback runs.
pub(crate) const KEEP: u8 = 1 << 1;

/// One timer: its callback and what re-arming it needs.
pub(crate) struct TimerEntry {
    /// `None` while the callback runs (taken out so it may re-enter the
    /// API). One-shot callbacks are wrapped to run at most once.
    pub(crate) callback: Option<SmallFn>,
    /// Where the timer was started (for uncaught-panic reports).
    pub(crate) site: &'static Location<'static>,
    /// The delay in ms (at most [`super::TIMEOUT_MAX`], which fits).
    pub(crate) delay: u32,
    /// [`REPEAT`] and [`KEEP`] bits.
    pub(crate) kind: u8,
    /// Handle flags (ACTIVE, REF), counted by the loop's `HandleCount`.
    pub(crate) flags: Cell<u8>,
}

/// A slot of the timer table (see the module docs for the counters).
struct TimerSlot {
    generation: u32,
    stamp: u32,
    entry: Option<TimerEntry>,
}

/// A timer's place in its deadline's list: the slot and the stamp it had
/// when pushed.
#[derive(Clone, Copy, Debug)]
struct ListEntry {
    index: u32,
    stamp: u32,
}

/// The loop's timers (phase 2).
#[derive(Default)]
pub(crate) struct TimerQueue {
    /// Deadline -> its timers in start order (stale entries included).
    lists: DeadlineLists,
    slots: Vec<TimerSlot>,
    /// Slots whose timer was removed, reused first.
    free: Vec<u32>,
}

/// The per-deadline FIFO lists: kept in an arena (an emptied list's buffer
/// is reused by a later deadline), found through a hash map, and ordered
/// by a min-heap of the distinct deadlines. The list pushed to last and
/// the earliest list are remembered: a burst of timers mostly shares one
/// deadline, and the timers phase drains the earliest list, so most pushes
/// and pops skip the hash lookup.
#[derive(Default)]
struct DeadlineLists {
    index: HashMap<u64, u32, BuildHasherDefault<DeadlineHasher>>,
    arena: Vec<VecDeque<ListEntry>>,
    /// Arena lists not in use (empty).
    spare: Vec<u32>,
    /// The deadlines that have a list, earliest on top (one entry each).
    heap: BinaryHeap<Reverse<u64>>,
    /// The list pushed to last: (deadline, arena index).
    recent: Option<(u64, u32)>,
    /// The earliest list, while it stays on top of the heap.
    first: Option<(u64, u32)>,
}

/// An emptied list keeps its buffer for reuse up to this many entries.
const KEPT_LIST_CAPACITY: usize = 1024;

impl DeadlineLists {
    fn next_deadline(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(deadline)| *deadline)
    }

    /// Appends `entry` to the list of `deadline`, making it if needed.
    fn push(&mut self, deadline: u64, entry: ListEntry) {
        let at = match self.recent {
            Some((d, at)) if d == deadline => at,
            _ => {
                let at = self.list_for(deadline);
                self.recent = Some((deadline, at));
                at
            }
        };
        self.arena[at as usize].push_back(entry);
    }

    fn list_for(&mut self, deadline: u64) -> u32 {
        if let Some(&at) = self.index.get(&deadline) {
            return at;
        }
        let at = self.spare.pop().unwrap_or_else(|| {
            self.arena.push(VecDeque::new());
            u32::try_from(self.arena.len() - 1).expect("fewer than 2^32 deadlines")
        });
        self.index.insert(deadline, at);
        self.heap.push(Reverse(deadline));
        self.first = None; // the new deadline may be the earliest
        at
    }

    /// The earliest list, if its deadline is at or before `limit`.
    fn earliest(&mut self, limit: u64) -> Option<(u64, u32)> {
        loop {
            let &Reverse(deadline) = self.heap.peek()?;
            if deadline > limit {
                return None;
            }
            if let Some((d, at)) = self.first
                && d == deadline
            {
                return Some((d, at));
            }
            if let Some(&at) = self.index.get(&deadline) {
                self.first = Some((deadline, at));
                return Some((deadline, at));
            }
            // Cannot happen (lists and heap entries come and go together);
            // skipping keeps the loop going if it ever did.
            self.heap.pop();
        }
    }

    /// Drops the earliest list (`deadline`, at arena index `at`).
    fn drop_earliest(&mut self, deadline: u64, at: u32) {
        self.index.remove(&deadline);
        self.heap.pop();
        let list = &mut self.arena[at as usize];
        if list.capacity() > KEPT_LIST_CAPACITY {
            *list = VecDeque::new();
        } else {
            list.clear();
        }
        self.spare.push(at);
        if self.recent.is_some_and(|(d, _)| d == deadline) {
            self.recent = None;
        }
        self.first = None;
    }

    fn clear(&mut self) {
        *self = DeadlineLists::default();
    }
}

/// Deadlines are small integers: one multiply spreads them well enough.
#[derive(Default)]
struct DeadlineHasher(u64);

impl Hasher for DeadlineHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl TimerQueue {
    /// The earliest deadline among armed timers (stale entries included:
    /// a too-early wake-up is harmless).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.lists.next_deadline()
    }

    /// The timer under `key`, if it is still there.
    pub(crate) fn get(&self, key: Key) -> Option<&TimerEntry> {
        let slot = self.slots.get(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        slot.entry.as_ref()
    }

    /// The timer under `key`, mutably, if it is still there.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut TimerEntry> {
        let slot = self.slots.get_mut(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        slot.entry.as_mut()
    }

    /// Appends slot `index` to the list of `deadline` with a new stamp.
    fn push(&mut self, index: u32, deadline: u64) {
        let slot = &mut self.slots[index as usize];
        slot.stamp = slot.stamp.wrapping_add(1);
        let entry = ListEntry {
            index,
            stamp: slot.stamp,
        };
        self.lists.push(deadline, entry);
    }

    /// Stores a new timer and arms it for `deadline`.
    pub(crate) fn insert(
        &mut self,
        entry: TimerEntry,
        deadline: u64,
        handles: &HandleCount,
    ) -> Key {
        handles.set(&entry.flags, REF | ACTIVE);
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index as usize].entry = Some(entry);
                index
            }
            None => {
                let index = u32::try_from(self.slots.len()).expect("fewer than 2^32 live timers");
                self.slots.push(TimerSlot {
                    generation: 0,
                    stamp: 0,
                    entry: Some(entry),
                });
                index
            }
        };
        self.push(index, deadline);
        Key {
            index,
            generation: self.slots[index as usize].generation,
        }
    }

    /// Re-arms an existing timer for `deadline` (interval, refresh): its
    /// older list entry, if any, goes stale.
    pub(crate) fn arm(&mut self, key: Key, deadline: u64, handles: &HandleCount) {
        let Some(entry) = self.get(key) else { return };
        handles.set(&entry.flags, entry.flags.get() | ACTIVE);
        self.push(key.index, deadline);
    }

    /// Removes a timer: its handle stops counting and its list entries go
    /// stale. Returns it (so its callback is dropped outside any borrow).
    pub(crate) fn remove(&mut self, key: Key, handles: &HandleCount) -> Option<TimerEntry> {
        let slot = self.slots.get_mut(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        let entry = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        slot.stamp = slot.stamp.wrapping_add(1);
        self.free.push(key.index);
        handles.set(&entry.flags, 0);
        Some(entry)
    }

    /// Removes a timer and drops the stale list heads it may leave, so an
    /// idle loop does not wake for dead timers.
    pub(crate) fn clear(&mut self, key: Key, handles: &HandleCount) -> Option<TimerEntry> {
        let entry = self.remove(key, handles);
        while let Some((deadline, at)) = self.lists.earliest(u64::MAX) {
            let list = &mut self.lists.arena[at as usize];
            while let Some(&head) = list.front() {
                if self.slots[head.index as usize].stamp == head.stamp {
                    return entry;
                }
                list.pop_front();
            }
            self.lists.drop_earliest(deadline, at);
        }
        entry
    }

    /// Removes and returns the first live timer due at `now` (stale list
    /// entries on the way are dropped).
    fn pop_due(&mut self, now: u64) -> Option<Key> {
        loop {
            let (deadline, at) = self.lists.earliest(now)?;
            let list = &mut self.lists.arena[at as usize];
            let head = list.pop_front();
            if list.is_empty() {
                self.lists.drop_earliest(deadline, at);
            }
            let Some(head) = head else { continue };
            let slot = &self.slots[head.index as usize];
            if slot.stamp == head.stamp && slot.entry.is_some() {
                return Some(Key {
                    index: head.index,
                    generation: slot.generation,
                });
            }
        }
    }

    /// Every timer's callback (used at loop end to break reference cycles).
    pub(crate) fn drain(&mut self) -> Vec<TimerEntry> {
        self.lists.clear();
        self.free.clear();
        std::mem::take(&mut self.slots)
            .into_iter()
            .filter_map(|slot| slot.entry)
            .collect()
    }
}

/// Phase 2: runs every timer whose deadline is at or before the loop time.
pub(crate) fn run_due_timers(lp: &LoopInner) {
    let now = lp.now();
    loop {
        let (key, mut callback, site, kind) = {
            let mut timers = lp.timers.borrow_mut();
            let Some(key) = timers.pop_due(now) else {
                return;
            };
            let Some(entry) = timers.get_mut(key) else {
                continue;
            };
            let Some(callback) = entry.callback.take() else {
                continue;
            };
            let (site, kind, delay) = (entry.site, entry.kind, entry.delay);
            if kind & REPEAT != 0 {
                lp.update_time();
                timers.arm(key, lp.now() + u64::from(delay), &lp.handles);
            } else if kind & KEEP != 0 {
                lp.handles.set(&entry.flags, entry.flags.get() & !ACTIVE);
            } else {
                // A one-shot timer is gone once it fires.
                timers.remove(key, &lp.handles);
            }
            (key, callback, site, kind)
        };
        lp.run_fn(site, || callback.call());
        if kind & (REPEAT | KEEP) != 0 {
            // Put the callback back unless the timer was cleared meanwhile.
            if let Some(entry) = lp.timers.borrow_mut().get_mut(key) {
                entry.callback = Some(callback);
            }
        } else {
            drop(callback);
        }
        if lp.stopped() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> TimerEntry {
        TimerEntry {
            callback: Some(SmallFn::new(|| {})),
            site: Location::caller(),
            delay: 1,
            kind: 0,
            flags: Cell::new(0),
        }
    }

    #[test]
    fn pops_by_deadline_then_start_order() {
        let handles = HandleCount::default();
        let mut q = TimerQueue::default();
        let a = q.insert(entry(), 20, &handles);
        let b = q.insert(entry(), 10, &handles);
        let c = q.insert(entry(), 20, &handles);
        assert_eq!(handles.get(), 3);
        assert_eq!(q.next_deadline(), Some(10));
        assert_eq!(q.pop_due(5), None);
        assert_eq!(q.pop_due(30), Some(b));
        assert_eq!(q.pop_due(30), Some(a));
        assert_eq!(q.pop_due(30), Some(c));
        assert_eq!(q.pop_due(30), None);
    }

    #[test]
    fn cleared_and_rearmed_entries_go_stale() {
        let handles = HandleCount::default();
        let mut q = TimerQueue::default();
        let a = q.insert(entry(), 10, &handles);
        let b = q.insert(entry(), 10, &handles);
        q.arm(a, 30, &handles);
        assert!(q.clear(b, &handles).is_some());
        assert!(q.clear(b, &handles).is_none(), "a second clear misses");
        assert_eq!(handles.get(), 1);
        // Slot of `b` reused: the old key must not reach the new timer.
        let c = q.insert(entry(), 40, &handles);
        assert_eq!(c.index, b.index);
        assert!(q.get(b).is_none());
        assert_eq!(q.pop_due(20), None, "a's first entry is stale");
        assert_eq!(q.pop_due(50), Some(a));
        assert_eq!(q.pop_due(50), Some(c));
    }

    #[test]
    fn emptied_lists_are_reused_in_deadline_order() {
        let handles = HandleCount::default();
        let mut q = TimerQueue::default();
        let a = q.insert(entry(), 10, &handles);
        assert_eq!(q.pop_due(10), Some(a));
        // The list of 10 is spare now; 30 then 20 reuse and extend the arena.
        let b = q.insert(entry(), 30, &handles);
        let c = q.insert(entry(), 20, &handles);
        let d = q.insert(entry(), 30, &handles);
        assert_eq!(q.next_deadline(), Some(20));
        assert_eq!(q.pop_due(100), Some(c));
        assert_eq!(q.pop_due(100), Some(b));
        assert_eq!(q.pop_due(100), Some(d));
        assert_eq!((q.pop_due(100), q.next_deadline()), (None, None));
    }

    #[test]
    fn slots_stay_small() {
        // The per-timer memory figure depends on this (see module docs).
        assert!(std::mem::size_of::<TimerSlot>() <= 48);
        assert_eq!(std::mem::size_of::<ListEntry>(), 8);
    }
}
