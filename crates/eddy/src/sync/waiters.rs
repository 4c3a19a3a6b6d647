//! A FIFO queue of parked tasks, shared by every primitive in `eddy::sync`.
//!
//! [`WaiterList`] is a doubly linked list threaded through a slab (a `Vec` of
//! slots addressed by index), so a waiter is queued, found and removed in O(1)
//! without pointers or `unsafe`. It is not synchronised: each primitive keeps
//! its list inside its own `Mutex` and only touches it with that lock held.
//!
//! # Slot life cycle
//!
//! A future that must wait calls [`WaiterList::push_back`] and keeps the
//! returned [`WaiterKey`]. The slot belongs to that future until the future
//! calls [`WaiterList::remove`] (when it completes or is dropped); nobody else
//! frees it, so a key is never reused while its owner still holds it.
//!
//! A primitive that grants something to a waiter (a permit, a notification)
//! calls [`WaiterList::pop_front`] or [`WaiterList::unlink`]: the slot leaves
//! the queue but stays allocated, holding the grant in its `data`, until its
//! owner reads it. This is how a future dropped after being granted, but before
//! being polled again, still hands its grant on instead of losing it.
//!
//! Wakers taken from the list are woken *after* the lock is released, through
//! a [`WakeList`], so a waker that re-enters the primitive cannot deadlock.

use std::mem::ManuallyDrop;
use std::task::Waker;

/// Index used for "no slot" in the links.
const NIL: usize = usize::MAX;

/// Names one waiter's slot in a [`WaiterList`]; held by the waiting future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterKey(usize);

/// One slot of the slab.
#[derive(Debug)]
struct Slot<T> {
    /// Previous slot in the queue, or `NIL`.
    prev: usize,
    /// Next slot in the queue (or the next free slot when vacant), or `NIL`.
    next: usize,
    /// Whether the slot is currently in the queue.
    linked: bool,
    /// Whether the slot is owned by a waiter (false: on the free list).
    occupied: bool,
    /// The waker to call when the waiter is granted what it waits for.
    waker: Option<Waker>,
    /// Primitive-specific state (permits still needed, notification kind...).
    data: T,
}

/// A FIFO queue of waiters with O(1) push, pop and removal by key.
#[derive(Debug)]
pub(crate) struct WaiterList<T> {
    slots: Vec<Slot<T>>,
    /// Oldest queued slot, or `NIL`.
    head: usize,
    /// Newest queued slot, or `NIL`.
    tail: usize,
    /// First vacant slot, or `NIL`; vacant slots chain through `next`.
    free: usize,
    /// Number of queued (linked) slots.
    queued: usize,
    /// Number of occupied slots (queued or granted-but-unread).
    live: usize,
}

impl<T> WaiterList<T> {
    /// An empty list; allocates nothing until the first waiter.
    pub(crate) const fn new() -> Self {
        WaiterList {
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            queued: 0,
            live: 0,
        }
    }

    /// Whether no waiter is queued (granted-but-unread slots do not count).
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Number of queued waiters.
    #[allow(dead_code)] // used by tests and some primitives only
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// Queues a new waiter at the back and returns its key.
    pub(crate) fn push_back(&mut self, data: T, waker: Waker) -> WaiterKey {
        let slot = Slot {
            prev: self.tail,
            next: NIL,
            linked: true,
            occupied: true,
            waker: Some(waker),
            data,
        };
        let index = if self.free != NIL {
            let index = self.free;
            self.free = self.slots[index].next;
            self.slots[index] = slot;
            index
        } else {
            self.slots.push(slot);
            self.slots.len() - 1
        };
        if self.tail == NIL {
            self.head = index;
        } else {
            self.slots[self.tail].next = index;
        }
        self.tail = index;
        self.queued += 1;
        self.live += 1;
        WaiterKey(index)
    }

    /// The oldest queued waiter, if any.
    pub(crate) fn front(&self) -> Option<WaiterKey> {
        (self.head != NIL).then_some(WaiterKey(self.head))
    }

    /// Takes the oldest waiter out of the queue (its slot stays allocated for
    /// its owner to read) and returns its key.
    pub(crate) fn pop_front(&mut self) -> Option<WaiterKey> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// Takes a waiter out of the queue without freeing its slot. Does nothing
    /// if it is not queued.
    pub(crate) fn unlink(&mut self, key: WaiterKey) {
        let slot = &mut self.slots[key.0];
        if !slot.linked {
            return;
        }
        slot.linked = false;
        let (prev, next) = (slot.prev, slot.next);
        slot.prev = NIL;
        slot.next = NIL;
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next].prev = prev;
        }
        self.queued -= 1;
    }

    /// Whether the waiter is still queued (false once granted).
    #[cfg(test)]
    pub(crate) fn is_linked(&self, key: WaiterKey) -> bool {
        self.slots[key.0].linked
    }

    /// The waiter's primitive-specific state.
    pub(crate) fn data(&self, key: WaiterKey) -> &T {
        &self.slots[key.0].data
    }

    /// The waiter's primitive-specific state, mutably.
    pub(crate) fn data_mut(&mut self, key: WaiterKey) -> &mut T {
        &mut self.slots[key.0].data
    }

    /// Stores `waker` for the waiter unless the stored one would wake the
    /// same task (avoids a clone on every re-poll).
    pub(crate) fn set_waker(&mut self, key: WaiterKey, waker: &Waker) {
        let slot = &mut self.slots[key.0];
        match &slot.waker {
            Some(old) if old.will_wake(waker) => {}
            _ => slot.waker = Some(waker.clone()),
        }
    }

    /// Takes the waiter's waker, to wake it once the lock is released.
    pub(crate) fn take_waker(&mut self, key: WaiterKey) -> Option<Waker> {
        self.slots[key.0].waker.take()
    }

    /// Frees the waiter's slot (unlinking it first if queued) and returns its
    /// data. Only the future owning `key` calls this.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> T
    where
        T: Default,
    {
        self.unlink(key);
        let slot = &mut self.slots[key.0];
        debug_assert!(slot.occupied, "waiter slot freed twice");
        slot.occupied = false;
        slot.waker = None;
        slot.next = self.free;
        self.free = key.0;
        self.live -= 1;
        let data = std::mem::take(&mut slot.data);
        if self.live == 0 && self.slots.len() > 64 {
            // Give memory back after a burst of waiters.
            self.slots = Vec::new();
            self.free = NIL;
        }
        data
    }
}

/// How many wakers a [`WakeList`] holds before it must be flushed.
const WAKE_LIST_CAPACITY: usize = 16;

/// Wakers collected under a lock and woken after it is released.
///
/// Fixed-size so that waking one waiter (the common case) never allocates;
/// callers that may wake more check [`WakeList::is_full`], release the lock,
/// call [`WakeList::wake_all`] and carry on.
///
/// Slots at `len` and beyond are always `None`, so the array needs no drop
/// glue of its own (`ManuallyDrop`): dropping the list wakes (and so drops)
/// the first `len` wakers and never walks the 16 slots, which an uncontended
/// mutex hand-off would otherwise pay on every unlock.
#[derive(Debug)]
pub(crate) struct WakeList {
    wakers: ManuallyDrop<[Option<Waker>; WAKE_LIST_CAPACITY]>,
    len: usize,
}

impl WakeList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        WakeList {
            wakers: ManuallyDrop::new([const { None }; WAKE_LIST_CAPACITY]),
            len: 0,
        }
    }

    /// Whether no more wakers fit.
    pub(crate) fn is_full(&self) -> bool {
        self.len == WAKE_LIST_CAPACITY
    }

    /// Adds a waker; the caller checks [`WakeList::is_full`] first.
    pub(crate) fn push(&mut self, waker: Waker) {
        debug_assert!(!self.is_full());
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    /// Wakes and clears every collected waker.
    pub(crate) fn wake_all(&mut self) {
        let len = std::mem::take(&mut self.len);
        for slot in &mut self.wakers[..len] {
            if let Some(waker) = slot.take() {
                waker.wake();
            }
        }
    }
}

impl Drop for WakeList {
    fn drop(&mut self) {
        self.wake_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list_keys(list: &mut WaiterList<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        while let Some(key) = list.pop_front() {
            out.push(*list.data(key));
            list.remove(key);
        }
        out
    }

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut list = WaiterList::new();
        let keys: Vec<_> = (0..5)
            .map(|i| list.push_back(i, Waker::noop().clone()))
            .collect();
        assert_eq!(list.remove(keys[2]), 2);
        assert_eq!(list.remove(keys[0]), 0);
        assert_eq!(list.len(), 3);
        let again = list.push_back(9, Waker::noop().clone());
        assert_ne!(again, keys[1]);
        assert_eq!(list_keys(&mut list), vec![1, 3, 4, 9]);
        assert!(list.is_empty());
    }

    #[test]
    fn unlinked_slot_keeps_its_data_until_removed() {
        let mut list = WaiterList::new();
        let a = list.push_back(7, Waker::noop().clone());
        let b = list.push_back(8, Waker::noop().clone());
        assert_eq!(list.pop_front(), Some(a));
        assert!(!list.is_linked(a));
        assert!(list.is_linked(b));
        *list.data_mut(a) = 70;
        assert_eq!(list.remove(a), 70);
        assert_eq!(list.front(), Some(b));
    }
}
