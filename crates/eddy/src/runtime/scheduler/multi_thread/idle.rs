//! Who is idle: the counts of *searching* workers (looking for work to
//! steal) and *unparked* workers, and the list of parked workers a waker
//! picks from. See the protocol in `worker.rs` for how these are used.
//!
//! The counts live in one `AtomicUsize` (`unparked << UNPARKED_SHIFT |
//! searching`) so a notifier reads both in one load; the list of sleepers
//! is behind a mutex, and every change of the unparked count happens under
//! that mutex, so "unparked < workers" there means "somebody is in the
//! list".

use std::fmt;

use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

const UNPARKED_SHIFT: usize = 16;
const SEARCHING_MASK: usize = (1 << UNPARKED_SHIFT) - 1;
const ONE_UNPARKED: usize = 1 << UNPARKED_SHIFT;
const ONE_SEARCHING: usize = 1;

/// The idle bookkeeping of one runtime.
pub(crate) struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    /// Indexes of parked workers.
    sleepers: Mutex<Vec<usize>>,
}

fn searching(state: usize) -> usize {
    state & SEARCHING_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARKED_SHIFT
}

impl Idle {
    /// All `num_workers` start unparked and not searching.
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(
            num_workers < SEARCHING_MASK,
            "worker count checked by the builder"
        );
        Idle {
            state: AtomicUsize::new(num_workers << UNPARKED_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    fn lock(&self) -> crate::loom::sync::MutexGuard<'_, Vec<usize>> {
        self.sleepers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// New work is queued: the index of a parked worker to unpark, if one
    /// should be (nobody is searching and somebody is parked). The chosen
    /// worker counts as unparked and searching from here on.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.lock();
        if !self.should_notify() {
            return None;
        }
        let index = sleepers.pop()?;
        self.state.fetch_add(ONE_UNPARKED | ONE_SEARCHING, SeqCst);
        Some(index)
    }

    fn should_notify(&self) -> bool {
        // A read-modify-write, not a load: it reads the latest count in the
        // modification order, so it pairs with the parking worker's
        // decrement (store-then-load on both sides, worker.rs point 9)
        // under any memory model, loom's included.
        let state = self.state.fetch_add(0, SeqCst);
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// A worker wants to search for work to steal. At most half of the
    /// workers search at once (the rest would only contend); false means
    /// "do not search".
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(ONE_SEARCHING, SeqCst);
        true
    }

    /// A searching worker found work; true if it was the last searcher
    /// (then it must wake another worker, so queued work keeps spreading).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(ONE_SEARCHING, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// Worker `index` parks. Returns true if it was the last searcher: it
    /// must then look at every queue once more before sleeping.
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = self.lock();
        let dec = ONE_UNPARKED + if is_searching { ONE_SEARCHING } else { 0 };
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(index);
        is_searching && searching(prev) == 1
    }

    /// Worker `index` woke by itself (e.g. I/O gave it work): removes it
    /// from the sleepers. Returns false if a notifier had already taken it
    /// out (it then counts as searching).
    pub(crate) fn unpark_worker_by_id(&self, index: usize) -> bool {
        let mut sleepers = self.lock();
        match sleepers.iter().position(|&i| i == index) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(ONE_UNPARKED, SeqCst);
                true
            }
            None => false,
        }
    }

    /// Whether worker `index` is in the sleepers list.
    pub(crate) fn is_parked(&self, index: usize) -> bool {
        self.lock().contains(&index)
    }

    /// Searching workers now (for tests and diagnostics).
    #[allow(dead_code)]
    pub(crate) fn num_searching(&self) -> usize {
        searching(self.state.load(SeqCst))
    }

    /// Unparked workers now (for tests and diagnostics).
    #[allow(dead_code)]
    pub(crate) fn num_unparked(&self) -> usize {
        unparked(self.state.load(SeqCst))
    }
}

impl fmt::Debug for Idle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(SeqCst);
        f.debug_struct("Idle")
            .field("workers", &self.num_workers)
            .field("searching", &searching(state))
            .field("unparked", &unparked(state))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn notify_wakes_one_parked_worker_only_when_nobody_searches() {
        let idle = Idle::new(3);
        assert_eq!(idle.worker_to_notify(), None, "everyone is awake");
        assert!(!idle.transition_worker_to_parked(0, false));
        assert!(!idle.transition_worker_to_parked(1, false));
        assert_eq!(idle.worker_to_notify(), Some(1));
        assert_eq!(idle.num_searching(), 1);
        assert_eq!(
            idle.worker_to_notify(),
            None,
            "a searcher will find the work"
        );
        assert!(idle.transition_worker_from_searching());
        assert_eq!(idle.worker_to_notify(), Some(0));
        assert!(!idle.is_parked(0));
    }

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_from_searching());
        assert!(
            idle.transition_worker_to_parked(3, true),
            "the last searcher parks"
        );
        assert!(idle.is_parked(3));
        assert!(idle.unpark_worker_by_id(3));
        assert!(!idle.unpark_worker_by_id(3));
        assert_eq!(idle.num_unparked(), 4);
    }
}
