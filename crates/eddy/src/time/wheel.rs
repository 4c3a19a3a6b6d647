//! [`TimerWheel`]: a hierarchical timing wheel with millisecond ticks.
//!
//! Six levels of 64 slots. Level `n` slot covers `64^n` ms, so level 0 is
//! the next 64 ms one slot per ms, level 1 the next ~4 s, … level 5 about
//! 2.2 years. An entry goes into the level of the highest 6-bit digit in
//! which its deadline differs from the wheel's current time; when that slot
//! comes due, its entries either fire or drop to a lower level ("cascade").
//! Deadlines beyond the top level's range go into the top level too and are
//! re-cascaded every rotation until they are near.
//!
//! Entries live in a slab (`Vec`) and are linked into their slot with
//! `u32` indices in a doubly linked list, so insert and cancel are O(1) and
//! a pending timer costs one 40-byte slab entry. Each level keeps a 64-bit
//! occupancy mask, so finding the next deadline is a few bit operations per
//! level.

use std::task::Waker;

const LEVELS: usize = 6;
const SLOTS: usize = 64;
const SLOT_BITS: u32 = 6;
/// The largest distance from now that a level can tell apart.
const MAX_SPAN: u64 = 1 << (SLOT_BITS as u64 * LEVELS as u64);
const NIL: u32 = u32::MAX;

/// Identifies one timer in the wheel: slab index and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    generation: u32,
}

/// Where an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryState {
    /// Unused slab entry (on the free list through `next`).
    Free,
    /// Linked into level/slot `position` (`level * 64 + slot`).
    Pending { position: u16 },
    /// Its deadline passed; waiting for its owner to notice and remove it.
    Fired,
}

#[derive(Debug)]
struct Entry {
    when: u64,
    prev: u32,
    next: u32,
    generation: u32,
    state: EntryState,
    waker: Option<Waker>,
}

#[derive(Debug)]
struct Level {
    /// Bit `i` set: slot `i` has entries.
    occupied: u64,
    /// Head of each slot's list.
    heads: [u32; SLOTS],
}

/// When a slot next comes due.
#[derive(Debug, Clone, Copy)]
struct Expiration {
    level: usize,
    slot: usize,
    deadline: u64,
}

/// The wheel: all pending timers of one runtime. Not synchronised (the
/// time driver keeps it behind a mutex).
#[derive(Debug)]
pub(crate) struct TimerWheel {
    /// The time (ms) up to which the wheel has been processed.
    elapsed: u64,
    levels: Box<[Level; LEVELS]>,
    entries: Vec<Entry>,
    free_head: u32,
    pending: usize,
}

impl TimerWheel {
    pub(crate) fn new() -> TimerWheel {
        TimerWheel {
            elapsed: 0,
            levels: Box::new(std::array::from_fn(|_| Level {
                occupied: 0,
                heads: [NIL; SLOTS],
            })),
            entries: Vec::new(),
            free_head: NIL,
            pending: 0,
        }
    }

    /// The wheel's current time in ms.
    #[cfg(test)]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// How many timers are pending (not yet fired).
    pub(crate) fn pending(&self) -> usize {
        self.pending
    }

    /// Adds a timer for `when` (ms). Returns `None` (and stores nothing) if
    /// `when` is already due.
    pub(crate) fn insert(&mut self, when: u64, waker: Waker) -> Option<TimerKey> {
        if when <= self.elapsed {
            return None;
        }
        let index = match self.free_head {
            NIL => {
                let index = u32::try_from(self.entries.len()).expect("fewer than 4 billion timers");
                self.entries.push(Entry {
                    when,
                    prev: NIL,
                    next: NIL,
                    generation: 0,
                    state: EntryState::Free,
                    waker: Some(waker),
                });
                index
            }
            index => {
                let entry = &mut self.entries[index as usize];
                self.free_head = entry.next;
                entry.when = when;
                entry.waker = Some(waker);
                index
            }
        };
        self.link(index);
        self.pending += 1;
        Some(TimerKey {
            index,
            generation: self.entries[index as usize].generation,
        })
    }

    /// Whether the timer has fired (or the key is stale).
    pub(crate) fn is_fired(&self, key: TimerKey) -> bool {
        self.entry(key)
            .is_none_or(|e| !matches!(e.state, EntryState::Pending { .. }))
    }

    /// Replaces a pending timer's waker unless it would wake the same task.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: &Waker) {
        if let Some(entry) = self.entry_mut(key)
            && !entry.waker.as_ref().is_some_and(|w| w.will_wake(waker))
        {
            entry.waker = Some(waker.clone());
        }
    }

    /// Removes a timer (pending or fired) and frees its entry. Stale keys
    /// are ignored.
    pub(crate) fn remove(&mut self, key: TimerKey) {
        let Some(entry) = self.entry(key) else { return };
        match entry.state {
            EntryState::Pending { .. } => {
                self.unlink(key.index);
                self.pending -= 1;
            }
            EntryState::Fired => {}
            EntryState::Free => return,
        }
        let free_head = self.free_head;
        let entry = &mut self.entries[key.index as usize];
        entry.state = EntryState::Free;
        entry.generation = entry.generation.wrapping_add(1);
        entry.waker = None;
        entry.next = free_head;
        self.free_head = key.index;
    }

    /// The earliest deadline among pending timers, in ms (a lower bound
    /// rounded to its slot: the wheel may wake, cascade and sleep again).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.next_expiration().map(|e| e.deadline)
    }

    /// Fires every timer due at `now` (ms), moving their wakers into `out`,
    /// and advances the wheel to `now`.
    pub(crate) fn process(&mut self, now: u64, out: &mut Vec<Waker>) {
        while let Some(exp) = self.next_expiration() {
            if exp.deadline > now {
                break;
            }
            self.elapsed = exp.deadline;
            let level = &mut self.levels[exp.level];
            let mut index = std::mem::replace(&mut level.heads[exp.slot], NIL);
            level.occupied &= !(1 << exp.slot);
            while index != NIL {
                let entry = &mut self.entries[index as usize];
                let next = entry.next;
                if entry.when <= exp.deadline {
                    entry.state = EntryState::Fired;
                    if let Some(waker) = entry.waker.take() {
                        out.push(waker);
                    }
                    self.pending -= 1;
                } else {
                    self.link(index);
                }
                index = next;
            }
        }
        self.elapsed = self.elapsed.max(now);
    }

    /// Fires everything (shutdown), moving all wakers into `out`.
    pub(crate) fn fire_all(&mut self, out: &mut Vec<Waker>) {
        for entry in &mut self.entries {
            if let EntryState::Pending { .. } = entry.state {
                entry.state = EntryState::Fired;
                out.extend(entry.waker.take());
            }
        }
        for level in self.levels.iter_mut() {
            level.occupied = 0;
            level.heads = [NIL; SLOTS];
        }
        self.pending = 0;
    }

    fn entry(&self, key: TimerKey) -> Option<&Entry> {
        self.entries
            .get(key.index as usize)
            .filter(|e| e.generation == key.generation && e.state != EntryState::Free)
    }

    fn entry_mut(&mut self, key: TimerKey) -> Option<&mut Entry> {
        self.entries
            .get_mut(key.index as usize)
            .filter(|e| e.generation == key.generation && e.state != EntryState::Free)
    }

    /// Links entry `index` at the head of the slot its deadline belongs to.
    fn link(&mut self, index: u32) {
        let when = self.entries[index as usize].when;
        let level = level_for(self.elapsed, when);
        let slot = ((when >> (level as u32 * SLOT_BITS)) as usize) & (SLOTS - 1);
        let lvl = &mut self.levels[level];
        let head = lvl.heads[slot];
        lvl.heads[slot] = index;
        lvl.occupied |= 1 << slot;
        if head != NIL {
            self.entries[head as usize].prev = index;
        }
        let entry = &mut self.entries[index as usize];
        entry.prev = NIL;
        entry.next = head;
        entry.state = EntryState::Pending {
            position: (level * SLOTS + slot) as u16,
        };
    }

    /// Unlinks a pending entry from its slot.
    fn unlink(&mut self, index: u32) {
        let entry = &self.entries[index as usize];
        let EntryState::Pending { position } = entry.state else {
            return;
        };
        let (prev, next) = (entry.prev, entry.next);
        let (level, slot) = (position as usize / SLOTS, position as usize % SLOTS);
        if prev == NIL {
            let lvl = &mut self.levels[level];
            lvl.heads[slot] = next;
            if next == NIL {
                lvl.occupied &= !(1 << slot);
            }
        } else {
            self.entries[prev as usize].next = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
    }

    fn next_expiration(&self) -> Option<Expiration> {
        for (level, lvl) in self.levels.iter().enumerate() {
            if lvl.occupied == 0 {
                continue;
            }
            let slot_span = 1u64 << (level as u32 * SLOT_BITS);
            let level_span = slot_span << SLOT_BITS;
            let now_slot = ((self.elapsed / slot_span) % SLOTS as u64) as u32;
            let rotated = lvl.occupied.rotate_right(now_slot);
            let slot = (rotated.trailing_zeros() + now_slot) as usize % SLOTS;
            let level_start = self.elapsed & !(level_span - 1);
            let mut deadline = level_start + slot as u64 * slot_span;
            if deadline <= self.elapsed && level > 0 {
                // Only the top level wraps (deadlines beyond its span): the
                // slot is in the next rotation.
                deadline += level_span;
            }
            return Some(Expiration {
                level,
                slot,
                deadline: deadline.max(self.elapsed),
            });
        }
        None
    }
}

/// The level for a deadline `when` seen from time `elapsed`.
fn level_for(elapsed: u64, when: u64) -> usize {
    let masked = ((elapsed ^ when) | (SLOTS as u64 - 1)).min(MAX_SPAN - 1);
    let significant = 63 - masked.leading_zeros();
    significant as usize / SLOT_BITS as usize
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn noop() -> Waker {
        Waker::noop().clone()
    }

    /// Processes the wheel ms by ms (or by jumps) and returns when each
    /// key fired.
    fn fire_times(wheel: &mut TimerWheel, keys: &[TimerKey], until: u64, step: u64) -> Vec<u64> {
        let mut fired = vec![u64::MAX; keys.len()];
        let mut now = wheel.elapsed();
        let mut out = Vec::new();
        while now < until {
            now = (now + step).min(until);
            wheel.process(now, &mut out);
            for (i, key) in keys.iter().enumerate() {
                if fired[i] == u64::MAX && wheel.is_fired(*key) {
                    fired[i] = now;
                }
            }
        }
        fired
    }

    #[test]
    fn level_boundaries() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, MAX_SPAN - 1), 5);
        assert_eq!(level_for(0, u64::MAX / 2), 5);
    }

    #[test]
    fn fires_exactly_at_deadline_on_every_level() {
        let mut wheel = TimerWheel::new();
        let whens = [1, 5, 63, 64, 65, 1000, 4095, 4096, 5000, 300_000];
        let keys: Vec<_> = whens
            .iter()
            .map(|&w| wheel.insert(w, noop()).unwrap())
            .collect();
        let fired = fire_times(&mut wheel, &keys, 300_001, 1);
        assert_eq!(fired, whens.to_vec());
        assert_eq!(wheel.pending(), 0);
    }

    #[test]
    fn big_jumps_fire_everything_due_and_nothing_else() {
        let mut wheel = TimerWheel::new();
        let a = wheel.insert(10, noop()).unwrap();
        let b = wheel.insert(100_000, noop()).unwrap();
        let mut out = Vec::new();
        wheel.process(99_999, &mut out);
        assert!(wheel.is_fired(a) && !wheel.is_fired(b));
        wheel.process(100_000, &mut out);
        assert!(wheel.is_fired(b));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn next_deadline_is_never_later_than_the_earliest_timer() {
        let mut wheel = TimerWheel::new();
        let mut out = Vec::new();
        wheel.process(1234, &mut out);
        for when in [1300, 5000, 70_000, 10_000_000] {
            wheel.insert(when, noop()).unwrap();
        }
        assert!(wheel.next_deadline().unwrap() <= 1300);
    }

    #[test]
    fn far_future_timers_recascade() {
        let mut wheel = TimerWheel::new();
        let ten_years = 10 * 365 * 24 * 3600 * 1000u64;
        let key = wheel.insert(ten_years, noop()).unwrap();
        let mut out = Vec::new();
        let mut now = 0;
        let mut wakeups = 0;
        while !wheel.is_fired(key) {
            let next = wheel.next_deadline().unwrap();
            assert!(next > now && next <= ten_years, "next {next} now {now}");
            now = next;
            wheel.process(now, &mut out);
            wakeups += 1;
            assert!(wakeups < 1000, "too many wakeups");
        }
        assert_eq!(now, ten_years);
    }

    #[test]
    fn remove_cancels_and_reuses_the_entry() {
        let mut wheel = TimerWheel::new();
        let a = wheel.insert(50, noop()).unwrap();
        let b = wheel.insert(50, noop()).unwrap();
        wheel.remove(a);
        assert_eq!(wheel.pending(), 1);
        let c = wheel.insert(70, noop()).unwrap();
        assert_eq!(c.index, a.index);
        assert_ne!(c.generation, a.generation);
        wheel.remove(a); // stale: ignored
        let mut out = Vec::new();
        wheel.process(60, &mut out);
        assert_eq!(out.len(), 1);
        assert!(wheel.is_fired(b) && !wheel.is_fired(c));
    }

    #[test]
    fn past_deadline_is_not_stored() {
        let mut wheel = TimerWheel::new();
        let mut out = Vec::new();
        wheel.process(100, &mut out);
        assert!(wheel.insert(100, noop()).is_none());
        assert!(wheel.insert(3, noop()).is_none());
        assert_eq!(wheel.pending(), 0);
    }

    #[test]
    fn many_random_timers_fire_in_order() {
        let mut wheel = TimerWheel::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut whens = Vec::new();
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            whens.push(1 + seed % 200_000);
        }
        let keys: Vec<_> = whens
            .iter()
            .map(|&w| wheel.insert(w, noop()).unwrap())
            .collect();
        let fired = fire_times(&mut wheel, &keys, 200_001, 7);
        for (when, fired) in whens.iter().zip(fired) {
            assert!(
                fired >= *when && fired < when + 7,
                "{when} fired at {fired}"
            );
        }
    }
}
