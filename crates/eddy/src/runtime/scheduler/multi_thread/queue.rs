//! A worker's local run queue: a bounded lock-free ring with one producer
//! (the worker that owns it) and any number of stealers.
//!
//! # Positions
//!
//! The ring has [`CAPACITY`] slots. Three wrapping `u32` positions index it:
//!
//! * `tail`: where the owner pushes next. Written by the owner only.
//! * `real` (the low half of `head`): the next slot the owner pops.
//! * `steal` (the high half of `head`): equal to `real` when nobody is
//!   stealing; while a stealer copies tasks out it stays at the first slot
//!   of the stealer's range, so the owner does not overwrite those slots.
//!
//! `head` packs both into one `AtomicU64` so a pop or the claim of a steal
//! is one compare-exchange.
//!
//! # Operations
//!
//! 1. **push** (owner): if `tail - steal < CAPACITY`, write the slot, then
//!    publish it with a `Release` store of `tail`. Otherwise the queue is
//!    full: move half of it (and the new task) to the injection queue in one
//!    batch, claimed with a compare-exchange of `head`; if a stealer is
//!    active the new task alone goes there.
//! 2. **pop** (owner): compare-exchange `real` one forward (and `steal` with
//!    it when they were equal). The slot is the owner's once that succeeds.
//! 3. **steal** (any thread): claim half of the tasks (rounded up) by moving
//!    `real` forward while leaving `steal` behind, copy them into the
//!    stealer's own queue, then set `steal = real`. Only one steal at a time
//!    per queue (a second stealer sees `steal != real` and gives up).

use std::fmt;
use std::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{
    AtomicU32, AtomicU64,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};

/// Slots in a local queue. Small under loom so overflow is explored.
#[cfg(not(loom))]
pub(crate) const CAPACITY: usize = 256;
#[cfg(loom)]
pub(crate) const CAPACITY: usize = 4;

const MASK: usize = CAPACITY - 1;

/// Where a full local queue sends its overflow (the injection queue).
pub(crate) trait Overflow<T> {
    /// Takes a batch of tasks.
    fn push_batch(&self, tasks: impl Iterator<Item = T>);
}

struct Inner<T> {
    /// `steal << 32 | real`.
    head: AtomicU64,
    /// Written only by the owner.
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: slots are handed between threads only through the position
// protocol above (a slot is written by the owner before a `Release` of
// `tail`, read by whoever claimed it with an `AcqRel` compare-exchange of
// `head`), so each value is accessed by one thread at a time; `T: Send`
// lets it move.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Inner<T> {}

/// The owner's end: push and pop. Not `Clone`: there is one owner.
pub(crate) struct Local<T: 'static> {
    inner: Arc<Inner<T>>,
}

/// A stealer's end: cloneable, shared with every other worker.
pub(crate) struct Steal<T: 'static>(Arc<Inner<T>>);

/// A new, empty queue.
pub(crate) fn local<T: 'static>() -> (Steal<T>, Local<T>) {
    let buffer = (0..CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect::<Vec<_>>()
        .into_boxed_slice();
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        buffer,
    });
    (Steal(inner.clone()), Local { inner })
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

impl<T> Inner<T> {
    /// Writes `value` into the slot at `pos`.
    ///
    /// # Safety
    ///
    /// The caller owns the slot: it is outside `[steal, tail)` of its queue
    /// and only the caller writes it.
    unsafe fn write(&self, pos: u32, value: T) {
        self.buffer[pos as usize & MASK].with_mut(|slot| {
            // SAFETY: the caller owns the slot (see the contract).
            unsafe { (*slot).write(value) };
        });
    }

    /// Moves the value out of the slot at `pos`.
    ///
    /// # Safety
    ///
    /// The caller claimed the slot (pop or steal) and it holds a value
    /// written before the `tail` it observed.
    unsafe fn take(&self, pos: u32) -> T {
        self.buffer[pos as usize & MASK].with(|slot| {
            // SAFETY: the caller claimed an initialised slot; it is read once.
            unsafe { (*slot).assume_init_read() }
        })
    }

    fn len(&self) -> u32 {
        let (_, real) = unpack(self.head.load(Acquire));
        self.tail.load(Acquire).wrapping_sub(real)
    }
}

impl<T: 'static> Local<T> {
    /// Tasks in the queue (exact for the owner, up to concurrent steals).
    pub(crate) fn len(&self) -> usize {
        self.inner.len() as usize
    }

    /// Whether the queue holds any task.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots (at least; steals only add room).
    pub(crate) fn remaining(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        let tail = self.inner.tail.load(Relaxed);
        CAPACITY - tail.wrapping_sub(steal) as usize
    }

    /// Pushes to the back; when full, moves half of the queue and `task`
    /// to `overflow`.
    pub(crate) fn push_back_or_overflow(&mut self, mut task: T, overflow: &impl Overflow<T>) {
        loop {
            let (steal, real) = unpack(self.inner.head.load(Acquire));
            let tail = self.inner.tail.load(Relaxed);
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                // SAFETY: `tail` is outside `[steal, tail)` and in bounds of
                // the ring: no stealer or pop reaches it until we publish it.
                unsafe { self.inner.write(tail, task) };
                self.inner.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                // A stealer is copying out and will make room; do not wait.
                overflow.push_batch(std::iter::once(task));
                return;
            }
            match self.push_overflow(task, real, tail, overflow) {
                Ok(()) => return,
                // A stealer took tasks meanwhile: there is room now.
                Err(back) => task = back,
            }
        }
    }

    /// Moves the older half of a full queue plus `task` to `overflow`.
    fn push_overflow(
        &mut self,
        task: T,
        head: u32,
        tail: u32,
        overflow: &impl Overflow<T>,
    ) -> Result<(), T> {
        const HALF: u32 = (CAPACITY / 2) as u32;
        debug_assert_eq!(tail.wrapping_sub(head), CAPACITY as u32);
        let claimed = pack(head.wrapping_add(HALF), head.wrapping_add(HALF));
        if self
            .inner
            .head
            .compare_exchange(pack(head, head), claimed, AcqRel, Acquire)
            .is_err()
        {
            return Err(task);
        }
        let inner = &self.inner;
        let taken = (0..HALF).map(|i| {
            // SAFETY: the compare-exchange moved `head` past these slots, so
            // no pop or steal can claim them, and `tail` has not reached
            // them again: they are ours, each read once.
            unsafe { inner.take(head.wrapping_add(i)) }
        });
        overflow.push_batch(taken.chain(std::iter::once(task)));
        Ok(())
    }

    /// Pops from the front.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let mut head = self.inner.head.load(Acquire);
        let pos = loop {
            let (steal, real) = unpack(head);
            let tail = self.inner.tail.load(Relaxed);
            if real == tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                debug_assert_ne!(steal, next_real);
                pack(steal, next_real)
            };
            match self
                .inner
                .head
                .compare_exchange(head, next, AcqRel, Acquire)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the compare-exchange claimed slot `pos`, written by us
        // before we advanced `tail` past it.
        Some(unsafe { self.inner.take(pos) })
    }
}

impl<T: 'static> Drop for Local<T> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

impl<T: 'static> Steal<T> {
    /// Whether the queue looks empty (a hint: it may change at once).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Steals half of the tasks (rounded up) into `dst`, returning one of
    /// them to run at once; `None` if there was nothing to steal, another
    /// steal is in progress, or `dst` lacks room for half a queue.
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        let dst_tail = dst.inner.tail.load(Relaxed);
        if dst.remaining() < CAPACITY / 2 {
            return None;
        }
        let n = self.steal_into_inner(dst, dst_tail);
        if n == 0 {
            return None;
        }
        let last = dst_tail.wrapping_add(n - 1);
        // SAFETY: `steal_into_inner` wrote `n` values at `dst_tail..` of our
        // own queue, not yet published; the last one is returned instead.
        let task = unsafe { dst.inner.take(last) };
        if n > 1 {
            dst.inner.tail.store(last, Release);
        }
        Some(task)
    }

    /// Claims and copies tasks into `dst` at `dst_tail`; returns how many.
    fn steal_into_inner(&self, dst: &mut Local<T>, dst_tail: u32) -> u32 {
        let src = &self.0;
        let mut prev = src.head.load(Acquire);
        let (first, n) = loop {
            let (steal, real) = unpack(prev);
            if steal != real {
                return 0;
            }
            let tail = src.tail.load(Acquire);
            let available = tail.wrapping_sub(real);
            let n = available - available / 2;
            if n == 0 {
                return 0;
            }
            let next = pack(steal, real.wrapping_add(n));
            match src.head.compare_exchange(prev, next, AcqRel, Acquire) {
                Ok(_) => break (real, n),
                Err(actual) => prev = actual,
            }
        };
        debug_assert!(n as usize <= CAPACITY / 2);
        for i in 0..n {
            // SAFETY: the compare-exchange claimed `[first, first + n)` of
            // the source (the owner will not pop or overwrite them while
            // `steal` stays at `first`); the destination slots are free in
            // our own queue (checked by `steal_into`) and unpublished.
            unsafe {
                let task = src.take(first.wrapping_add(i));
                dst.inner.write(dst_tail.wrapping_add(i), task);
            }
        }
        // Release the claim: `steal` catches up with `real`.
        let mut prev = pack(first, first.wrapping_add(n));
        loop {
            let (_, real) = unpack(prev);
            match src
                .head
                .compare_exchange(prev, pack(real, real), AcqRel, Acquire)
            {
                Ok(_) => return n,
                Err(actual) => {
                    debug_assert_ne!(unpack(actual).0, unpack(actual).1);
                    prev = actual;
                }
            }
        }
    }
}

impl<T: 'static> Clone for Steal<T> {
    fn clone(&self) -> Self {
        Steal(self.0.clone())
    }
}

impl<T: 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalQueue")
            .field("len", &self.len())
            .finish()
    }
}

impl<T: 'static> fmt::Debug for Steal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StealQueue")
            .field("len", &self.0.len())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::RefCell;

    struct Sink(RefCell<Vec<usize>>);

    impl Overflow<usize> for Sink {
        fn push_batch(&self, tasks: impl Iterator<Item = usize>) {
            self.0.borrow_mut().extend(tasks);
        }
    }

    #[test]
    fn push_pop_is_fifo() {
        let (_steal, mut local) = local();
        let sink = Sink(RefCell::new(Vec::new()));
        for i in 0..10 {
            local.push_back_or_overflow(i, &sink);
        }
        assert_eq!(local.len(), 10);
        assert_eq!(
            (0..10).map(|_| local.pop().unwrap()).collect::<Vec<_>>(),
            (0..10).collect::<Vec<_>>()
        );
        assert!(local.pop().is_none());
    }

    #[test]
    fn full_queue_moves_half_to_overflow() {
        let (_steal, mut local) = local();
        let sink = Sink(RefCell::new(Vec::new()));
        for i in 0..=CAPACITY {
            local.push_back_or_overflow(i, &sink);
        }
        let moved = sink.0.borrow().clone();
        assert_eq!(moved.len(), CAPACITY / 2 + 1);
        assert_eq!(
            moved[..CAPACITY / 2],
            (0..CAPACITY / 2).collect::<Vec<_>>()[..]
        );
        assert_eq!(*moved.last().unwrap(), CAPACITY);
        assert_eq!(local.len(), CAPACITY / 2);
        assert_eq!(local.pop(), Some(CAPACITY / 2));
    }

    #[test]
    fn steal_takes_half_rounded_up() {
        let (steal, mut local) = local();
        let (_, mut thief) = super::local();
        let sink = Sink(RefCell::new(Vec::new()));
        for i in 0..5 {
            local.push_back_or_overflow(i, &sink);
        }
        assert_eq!(steal.steal_into(&mut thief), Some(2));
        assert_eq!(thief.pop(), Some(0));
        assert_eq!(thief.pop(), Some(1));
        assert!(thief.pop().is_none());
        assert_eq!(local.pop(), Some(3));
        assert_eq!(local.pop(), Some(4));
        assert!(steal.steal_into(&mut thief).is_none());
    }

    #[test]
    fn wraps_around_many_times() {
        let (steal, mut local) = local();
        let (_, mut thief) = super::local();
        let sink = Sink(RefCell::new(Vec::new()));
        let mut seen = 0usize;
        for round in 0..1000usize {
            for i in 0..7 {
                local.push_back_or_overflow(round * 7 + i, &sink);
            }
            if round % 3 == 0 && steal.steal_into(&mut thief).is_some() {
                seen += 1;
            }
            while local.pop().is_some() {
                seen += 1;
            }
            while thief.pop().is_some() {
                seen += 1;
            }
        }
        assert_eq!(seen + sink.0.borrow().len(), 7000);
    }

    #[test]
    fn dropping_the_queue_drops_its_tasks() {
        let counter = std::sync::Arc::new(());
        {
            let (_steal, mut local) = local();
            struct NoOverflow;
            impl Overflow<std::sync::Arc<()>> for NoOverflow {
                fn push_batch(&self, _: impl Iterator<Item = std::sync::Arc<()>>) {
                    unreachable!()
                }
            }
            for _ in 0..10 {
                local.push_back_or_overflow(counter.clone(), &NoOverflow);
            }
        }
        assert_eq!(std::sync::Arc::strong_count(&counter), 1);
    }
}
