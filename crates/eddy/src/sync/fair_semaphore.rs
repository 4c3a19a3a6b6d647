//! The FIFO-fair counting semaphore at the heart of `Semaphore`, `Mutex`,
//! `RwLock`, `OnceCell` and the bounded `mpsc` channel.
//!
//! # How it works
//!
//! One `AtomicUsize` holds the free permits (shifted left by [`PERMIT_SHIFT`])
//! and two flag bits, [`QUEUED`] and [`CLOSED`]. The waiter queue is a
//! [`WaiterList`] behind a `Mutex`.
//!
//! * **Fast paths are lock-free.** Acquiring while nobody waits is one CAS;
//!   releasing while nobody waits is one CAS. The lock is only taken when a
//!   task must wait or when waiters must be served.
//! * **Fairness.** A waiter at the head of the queue takes whatever permits are
//!   free when it queues, then receives released permits first. So while
//!   `QUEUED` is set the atomic holds no permits, and neither a fast-path
//!   acquire nor a `try_acquire` can overtake a queued waiter.
//! * **The flag protocol.** `QUEUED` is only set or cleared with the lock held,
//!   in the same CAS that moves permits. A lock-free release only adds permits
//!   when `QUEUED` is clear (its CAS fails otherwise and it takes the lock),
//!   so a permit can never sit in the atomic while a waiter that could use it
//!   is queued.
//! * **A granted waiter needs no lock.** Each waiter draws a ticket (1, 2,
//!   3, ...) when it queues. Only the front waiter is ever fully served, so
//!   waiters are fully granted in ticket order: the releaser frees the
//!   granted waiter's slot, then stores its ticket in `granted_through`
//!   (under the lock, a plain release store). A woken waiter whose ticket is
//!   `<= granted_through` owns its permits and returns at once, with one load
//!   and without taking the lock; otherwise it takes the lock, where that
//!   check is exact (the store only happens under the lock).
//! * **Grants survive cancellation.** Permits given to a waiter are recorded in
//!   its slot (partial grants) or by its ticket (full grants). If its future is
//!   dropped, whether still queued or already fully granted but not yet polled,
//!   the permits it holds are released again, which serves the next waiter.

use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::waiters::{WaiterKey, WaiterList, WakeList};

/// Set while at least one waiter is queued; only changed with the lock held.
const QUEUED: usize = 0b01;
/// Set once the semaphore is closed; never cleared.
const CLOSED: usize = 0b10;
/// The permit count sits above the two flag bits.
const PERMIT_SHIFT: usize = 2;

/// The largest number of permits a semaphore can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> (PERMIT_SHIFT + 1);

/// Why a permit could not be taken at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquireFailure {
    /// The semaphore is closed.
    Closed,
    /// Not enough free permits (or others are waiting first).
    NoPermits,
}

/// The permit count and waiter queue; see the module docs.
#[derive(Debug)]
pub(crate) struct FairSemaphore {
    state: AtomicUsize,
    waiters: Mutex<WaiterList<Need>>,
    /// The last ticket drawn; only changed with the lock held.
    tickets_drawn: AtomicUsize,
    /// The ticket of the last fully granted waiter (tickets are fully
    /// granted in increasing order); only stored with the lock held.
    granted_through: AtomicUsize,
}

/// What a queued waiter still needs, kept in its slot.
#[derive(Debug, Default, Clone, Copy)]
struct Need {
    /// Permits it asked for in total.
    wanted: usize,
    /// Permits still missing (more than 0 while the slot is queued).
    missing: usize,
    /// The waiter's ticket, published in `granted_through` once served.
    ticket: usize,
}

impl FairSemaphore {
    /// A semaphore holding `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`MAX_PERMITS`] (a programming error).
    pub(crate) fn new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most usize::MAX >> 3 permits"
        );
        FairSemaphore {
            state: AtomicUsize::new(permits << PERMIT_SHIFT),
            waiters: Mutex::new(WaiterList::new()),
            tickets_drawn: AtomicUsize::new(0),
            granted_through: AtomicUsize::new(0),
        }
    }

    /// `const` form of [`FairSemaphore::new`], for statics. Not under loom,
    /// whose types cannot be built in a `const` context.
    #[cfg(not(loom))]
    pub(crate) const fn const_new(permits: usize) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most usize::MAX >> 3 permits"
        );
        FairSemaphore {
            state: AtomicUsize::new(permits << PERMIT_SHIFT),
            waiters: Mutex::new(WaiterList::new()),
            tickets_drawn: AtomicUsize::new(0),
            granted_through: AtomicUsize::new(0),
        }
    }

    /// Free permits right now.
    pub(crate) fn available_permits(&self) -> usize {
        self.state.load(Ordering::Acquire) >> PERMIT_SHIFT
    }

    /// Whether [`FairSemaphore::close`] was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    fn lock(&self) -> MutexGuard<'_, WaiterList<Need>> {
        // The list is consistent at every unlock, so a poisoned lock (a panic
        // in a waker's clone) is safe to keep using.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes `n` permits now, or says why not. Never overtakes a waiter.
    pub(crate) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireFailure> {
        let wanted = n << PERMIT_SHIFT;
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            if current & CLOSED != 0 {
                return Err(TryAcquireFailure::Closed);
            }
            if n == 0 {
                return Ok(());
            }
            if current & QUEUED != 0 || current < wanted {
                return Err(TryAcquireFailure::NoPermits);
            }
            match self.state.compare_exchange_weak(
                current,
                current - wanted,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    /// A future that resolves once `n` permits are taken, or fails when the
    /// semaphore is closed.
    pub(crate) fn acquire(&self, n: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            wanted: n,
            key: None,
        }
    }

    /// Returns `n` permits, serving queued waiters first (FIFO).
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let added = n << PERMIT_SHIFT;
        let mut current = self.state.load(Ordering::Acquire);
        while current & QUEUED == 0 {
            assert!(
                (current >> PERMIT_SHIFT) + n <= MAX_PERMITS,
                "semaphore permit count overflow"
            );
            match self.state.compare_exchange_weak(
                current,
                current + added,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
        if n == 1 {
            self.release_one_locked(self.lock());
        } else {
            self.release_locked(self.lock(), n);
        }
    }

    /// [`release_locked`](Self::release_locked) for one permit (every mutex
    /// unlock, every bounded-channel receive): it completes at most one
    /// waiter, so one waker slot replaces the [`WakeList`].
    fn release_one_locked<'a>(&'a self, mut list: MutexGuard<'a, WaiterList<Need>>) {
        let mut waker = None;
        let mut left = 1;
        if let Some(key) = list.front() {
            let need = list.data_mut(key);
            need.missing -= 1;
            left = 0;
            if need.missing == 0 {
                waker = self.grant_locked(&mut list, key);
            }
        }
        if list.is_empty() {
            self.clear_queued_adding(left);
        }
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// With the lock held: the waiter `key` has all its permits. Frees its
    /// slot (the waiter no longer reads it: its ticket says it was served),
    /// publishes its ticket and returns its waker, to wake after unlocking.
    fn grant_locked(&self, list: &mut WaiterList<Need>, key: WaiterKey) -> Option<Waker> {
        let waker = list.take_waker(key);
        let need = list.remove(key);
        self.granted_through.store(need.ticket, Ordering::Release);
        waker
    }

    /// Whether the waiter holding `ticket` was fully granted. Exact with the
    /// lock held; without it, a `true` is final and a `false` may be stale.
    fn is_granted(&self, ticket: usize) -> bool {
        self.granted_through.load(Ordering::Acquire) >= ticket
    }

    /// With the lock held and the queue empty: clears `QUEUED` and stores `n`
    /// free permits, in one CAS.
    fn clear_queued_adding(&self, n: usize) {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let next = (current & !QUEUED) + (n << PERMIT_SHIFT);
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// With the lock held (and consumed): places `n` permits, waking served
    /// waiters after unlocking.
    fn release_locked<'a>(&'a self, mut list: MutexGuard<'a, WaiterList<Need>>, n: usize) {
        let mut wake = WakeList::new();
        let mut left = n;
        loop {
            left = self.serve_locked(&mut list, left, &mut wake);
            if left == 0 || !wake.is_full() {
                break;
            }
            drop(list);
            wake.wake_all();
            list = self.lock();
        }
        drop(list);
        wake.wake_all();
    }

    /// With the lock held: gives `n` permits to queued waiters in order,
    /// queuing their wakers in `wake`. When the queue empties, clears `QUEUED`
    /// and stores the rest. Returns permits not yet placed because `wake`
    /// filled up.
    fn serve_locked(
        &self,
        list: &mut WaiterList<Need>,
        mut n: usize,
        wake: &mut WakeList,
    ) -> usize {
        while n > 0 && !wake.is_full() {
            let Some(key) = list.front() else { break };
            let need = list.data_mut(key);
            let given = need.missing.min(n);
            need.missing -= given;
            n -= given;
            if need.missing == 0
                && let Some(waker) = self.grant_locked(list, key)
            {
                wake.push(waker);
            }
        }
        if list.is_empty() {
            self.clear_queued_adding(n);
            return 0;
        }
        if wake.is_full() { n } else { 0 }
    }

    /// Closes the semaphore: pending and future acquires fail; permits
    /// already held stay valid.
    pub(crate) fn close(&self) {
        let mut wake = WakeList::new();
        let mut list = self.lock();
        self.state.fetch_or(CLOSED, Ordering::AcqRel);
        while let Some(key) = list.pop_front() {
            if let Some(waker) = list.take_waker(key) {
                wake.push(waker);
            }
            if wake.is_full() {
                drop(list);
                wake.wake_all();
                list = self.lock();
            }
        }
        self.state.fetch_and(!QUEUED, Ordering::AcqRel);
        drop(list);
        wake.wake_all();
    }

    /// Forgets up to `n` free permits; returns how many were removed.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let taken = (current >> PERMIT_SHIFT).min(n);
            match self.state.compare_exchange_weak(
                current,
                current - (taken << PERMIT_SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return taken,
                Err(actual) => current = actual,
            }
        }
    }
}

/// Future returned by [`FairSemaphore::acquire`]. Cancel-safe: dropping it
/// releases any permits it was already given.
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    semaphore: &'a FairSemaphore,
    wanted: usize,
    /// Our slot in the waiter list and our ticket, once we had to queue.
    /// The slot is ours only until the ticket is granted (the releaser frees
    /// it then), so it is only touched with the lock held after checking.
    key: Option<(WaiterKey, usize)>,
}

impl Future for Acquire<'_> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let semaphore = this.semaphore;
        match this.key {
            None => {
                match semaphore.try_acquire(this.wanted) {
                    Ok(()) => return Poll::Ready(Ok(())),
                    Err(TryAcquireFailure::Closed) => return Poll::Ready(Err(())),
                    Err(TryAcquireFailure::NoPermits) => {}
                }
                let mut list = semaphore.lock();
                // Take what is free (if nobody queued before us), then queue for
                // the rest; both in one CAS so QUEUED and the count agree.
                let mut current = semaphore.state.load(Ordering::Acquire);
                loop {
                    if current & CLOSED != 0 {
                        return Poll::Ready(Err(()));
                    }
                    let free = current >> PERMIT_SHIFT;
                    if current & QUEUED == 0 && free >= this.wanted {
                        let next = current - (this.wanted << PERMIT_SHIFT);
                        match semaphore.state.compare_exchange_weak(
                            current,
                            next,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => return Poll::Ready(Ok(())),
                            Err(actual) => current = actual,
                        }
                        continue;
                    }
                    let taken = if current & QUEUED == 0 { free } else { 0 };
                    let next = (current - (taken << PERMIT_SHIFT)) | QUEUED;
                    // Others already queued (the state holds no permits then)
                    // and QUEUED only clears under the lock we hold: nothing
                    // to change, so no CAS.
                    let queued = if next == current {
                        Ok(current)
                    } else {
                        semaphore.state.compare_exchange_weak(
                            current,
                            next,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        )
                    };
                    match queued {
                        Ok(_) => {
                            // Only changed under the lock we hold: no RMW.
                            let ticket = semaphore.tickets_drawn.load(Ordering::Relaxed) + 1;
                            semaphore.tickets_drawn.store(ticket, Ordering::Relaxed);
                            let need = Need {
                                wanted: this.wanted,
                                missing: this.wanted - taken,
                                ticket,
                            };
                            let key = list.push_back(need, cx.waker().clone());
                            this.key = Some((key, ticket));
                            return Poll::Pending;
                        }
                        Err(actual) => current = actual,
                    }
                }
            }
            Some((key, ticket)) => {
                // The hand-off fast path: served while we slept, no lock.
                if semaphore.is_granted(ticket) {
                    this.key = None;
                    return Poll::Ready(Ok(()));
                }
                let mut list = semaphore.lock();
                if semaphore.is_granted(ticket) {
                    this.key = None;
                    return Poll::Ready(Ok(()));
                }
                if semaphore.state.load(Ordering::Acquire) & CLOSED != 0 {
                    let need = list.remove(key);
                    this.key = None;
                    semaphore.release_locked(list, need.wanted - need.missing);
                    return Poll::Ready(Err(()));
                }
                list.set_waker(key, cx.waker());
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some((key, ticket)) = self.key.take() else {
            return;
        };
        if self.semaphore.is_granted(ticket) {
            // Granted but never polled again: hand the permits on.
            self.semaphore.release(self.wanted);
            return;
        }
        let list = self.semaphore.lock();
        if self.semaphore.is_granted(ticket) {
            self.semaphore.release_locked(list, self.wanted);
            return;
        }
        let mut list = list;
        let need = list.remove(key);
        // Hand on whatever we were given, in full or in part; with nothing to
        // give this still clears QUEUED if we were the last waiter.
        self.semaphore
            .release_locked(list, need.wanted - need.missing);
    }
}
