//! The task state word: lifecycle bits and the reference count in one
//! `AtomicUsize`, so every transition is a single atomic operation.
//!
//! # Who holds a reference
//!
//! Each of these owns one count: the scheduler's list of owned tasks, the
//! [`JoinHandle`](super::JoinHandle) (while it lives), every `Waker`, and the
//! single `Notified` sitting in a run queue (or the poller that popped it).
//! The allocation is freed when the count reaches zero.
//!
//! # Rules
//!
//! 1. Only the holder of [`RUNNING`] touches the future (polls or drops it).
//! 2. At most one `Notified` exists at a time: [`NOTIFIED`] is set by the
//!    waker that creates it and cleared by the poller that consumes it. (A
//!    wake by value may also set it on a running task, for the poller to
//!    reschedule, or on a completed one, where nothing reads it.)
//! 3. Once [`COMPLETE`] is set the future is gone and the output (if any) is
//!    stored; the runtime never touches the output again unless the
//!    [`JoinHandle`](super::JoinHandle) was already dropped.
//! 4. The join waker slot belongs to the `JoinHandle` while [`JOIN_WAKER`] is
//!    clear, and to the runtime while it is set.

use std::fmt;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};

/// The future is being polled (or dropped) by the thread that set this bit.
/// Set by the poller in [`State::transition_to_running`] or by shutdown;
/// cleared when the poll returns `Pending`, or replaced by [`COMPLETE`].
pub(crate) const RUNNING: usize = 1 << 0;

/// The future has finished (or was cancelled) and the output slot is
/// filled. Set once, by the holder of [`RUNNING`]; never cleared.
pub(crate) const COMPLETE: usize = 1 << 1;

/// A `Notified` for this task exists (queued or being popped). Set by a
/// wake; cleared by the poller when it starts polling.
pub(crate) const NOTIFIED: usize = 1 << 2;

/// The task was aborted or its runtime shut down: the next poller drops the
/// future instead of polling it. Set by `abort` and shutdown; never cleared.
pub(crate) const CANCELLED: usize = 1 << 3;

/// The `JoinHandle` is alive and wants the output. Cleared when it drops.
pub(crate) const JOIN_INTEREST: usize = 1 << 4;

/// The join waker slot holds a waker and belongs to the runtime (rule 4).
/// Set and cleared by the `JoinHandle`; cleared by the runtime after it has
/// woken the waker on completion.
pub(crate) const JOIN_WAKER: usize = 1 << 5;

/// The blocking detector has already reported this task. Set once, by the
/// poller; only read by the poller.
pub(crate) const BLOCKING_REPORTED: usize = 1 << 6;

/// The bits that are not the reference count.
#[cfg(test)]
const LIFECYCLE_MASK: usize = (1 << REF_SHIFT) - 1;

/// Where the reference count starts.
const REF_SHIFT: usize = 7;

/// One reference.
pub(crate) const REF_ONE: usize = 1 << REF_SHIFT;

/// A fresh task: referenced by the owned list, the `JoinHandle` and the first
/// `Notified`; notified and join-interested.
const INITIAL: usize = (3 * REF_ONE) | JOIN_INTEREST | NOTIFIED;

/// The task state word.
pub(crate) struct State {
    value: AtomicUsize,
}

/// A copy of the state word at one moment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(pub(crate) usize);

impl Snapshot {
    pub(crate) fn is(self, bit: usize) -> bool {
        self.0 & bit != 0
    }
    /// Neither running nor complete: nobody holds the future.
    pub(crate) fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is(RUNNING))
            .field("complete", &self.is(COMPLETE))
            .field("notified", &self.is(NOTIFIED))
            .field("cancelled", &self.is(CANCELLED))
            .field("join_interest", &self.is(JOIN_INTEREST))
            .field("join_waker", &self.is(JOIN_WAKER))
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// What the poller does after [`State::transition_to_running`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// Poll the future.
    Success,
    /// Drop the future: the task was cancelled.
    Cancelled,
    /// Someone else holds the future or it is done; our reference is gone.
    Failed,
    /// As `Failed`, and ours was the last reference: free the task.
    Dealloc,
}

/// What the poller does after [`State::transition_to_idle`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Idle; the poller's reference was released.
    Ok,
    /// Idle and the last reference was the poller's: free the task.
    OkDealloc,
    /// Woken during the poll: the poller's reference becomes a new `Notified`.
    OkNotified,
    /// Aborted during the poll: the poller still holds `RUNNING`; cancel.
    Cancelled,
}

/// What a wake does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    /// Nothing to submit.
    DoNothing,
    /// Submit a `Notified` to the scheduler (it owns one reference).
    Submit,
    /// Nothing to submit and the last reference is gone: free the task.
    Dealloc,
}

/// What dropping the `JoinHandle` must clean up.
#[derive(Debug)]
pub(crate) struct JoinDropped {
    /// The output is stored and nobody else will drop it.
    pub(crate) drop_output: bool,
    /// The join waker slot is ours to clear.
    pub(crate) drop_waker: bool,
}

impl State {
    pub(crate) fn new() -> State {
        State {
            value: AtomicUsize::new(INITIAL),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.value.load(Acquire))
    }

    /// Runs `f` on the current value until the compare-exchange succeeds.
    /// `f` returns the result and the new value (`None`: leave unchanged).
    #[inline]
    fn update<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.value.load(Acquire);
        loop {
            let (out, next) = f(Snapshot(curr));
            let Some(next) = next else { return out };
            match self
                .value
                .compare_exchange_weak(curr, next.0, AcqRel, Acquire)
            {
                Ok(_) => return out,
                Err(actual) => curr = actual,
            }
        }
    }

    /// The poller popped a `Notified`: take `RUNNING` if the task is idle.
    #[inline]
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|s| {
            debug_assert!(s.is(NOTIFIED), "popped a task that is not notified");
            if !s.is_idle() {
                let next = s.0 - REF_ONE;
                let action = if Snapshot(next).ref_count() == 0 {
                    ToRunning::Dealloc
                } else {
                    ToRunning::Failed
                };
                return (action, Some(Snapshot(next)));
            }
            let next = (s.0 | RUNNING) & !NOTIFIED;
            let action = if s.is(CANCELLED) {
                ToRunning::Cancelled
            } else {
                ToRunning::Success
            };
            (action, Some(Snapshot(next)))
        })
    }

    /// A poll returned `Pending`: release `RUNNING`.
    ///
    /// A plain compare-exchange loop rather than [`update`](Self::update):
    /// the early return (cancelled) made the closure's `Option` go through
    /// memory on every poll.
    #[inline]
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        let mut curr = self.value.load(Acquire);
        loop {
            debug_assert!(curr & RUNNING != 0);
            if curr & CANCELLED != 0 {
                return ToIdle::Cancelled;
            }
            let mut next = curr & !RUNNING;
            let action = if curr & NOTIFIED != 0 {
                // Our reference becomes the new Notified's.
                ToIdle::OkNotified
            } else {
                next -= REF_ONE;
                if Snapshot(next).ref_count() == 0 {
                    ToIdle::OkDealloc
                } else {
                    ToIdle::Ok
                }
            };
            match self
                .value
                .compare_exchange_weak(curr, next, AcqRel, Acquire)
            {
                Ok(_) => return action,
                Err(actual) => curr = actual,
            }
        }
    }

    /// The future finished or was dropped: swap `RUNNING` for `COMPLETE`.
    /// Returns the new state.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.value.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is(RUNNING) && !prev.is(COMPLETE));
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Drops `count` references at the end of completion; true if the task
    /// must be freed.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.value.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "reference count underflow");
        prev.ref_count() == count
    }

    /// A waker consumed by value: its reference becomes the `Notified`'s on
    /// `Submit`, and is dropped otherwise.
    ///
    /// One `fetch_or` on the common path (the reactor waking an idle task):
    /// NOTIFIED is set whatever the state. On a running task that is what
    /// tells the poller to reschedule; on a notified one it is already set;
    /// on a completed one nothing reads it again. Only then is the waker's
    /// reference dropped, in a second operation.
    #[inline]
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        let prev = Snapshot(self.value.fetch_or(NOTIFIED, AcqRel));
        if prev.is_idle() && !prev.is(NOTIFIED) {
            // Nobody holds or will run the future: submit it; the waker's
            // reference is the new `Notified`'s.
            return ToNotified::Submit;
        }
        if self.ref_dec() {
            ToNotified::Dealloc
        } else {
            ToNotified::DoNothing
        }
    }

    /// A waker used by reference: on `Submit` a new reference was taken for
    /// the `Notified`.
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.update(|s| {
            if s.is(COMPLETE) || s.is(NOTIFIED) {
                (ToNotified::DoNothing, None)
            } else if s.is(RUNNING) {
                (ToNotified::DoNothing, Some(Snapshot(s.0 | NOTIFIED)))
            } else {
                let next = (s.0 | NOTIFIED) + REF_ONE;
                (ToNotified::Submit, Some(Snapshot(next)))
            }
        })
    }

    /// `abort()`: mark cancelled; true if the caller must submit a new
    /// `Notified` (a reference was taken for it) so a poller drops the future.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|s| {
            if s.is(CANCELLED) || s.is(COMPLETE) {
                (false, None)
            } else if s.is(RUNNING) || s.is(NOTIFIED) {
                // The poller (current or next) sees CANCELLED.
                (false, Some(Snapshot(s.0 | CANCELLED | NOTIFIED)))
            } else {
                let next = (s.0 | CANCELLED | NOTIFIED) + REF_ONE;
                (true, Some(Snapshot(next)))
            }
        })
    }

    /// Runtime shutdown: take `RUNNING` if idle (true: the caller drops the
    /// future), and mark cancelled either way.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            let next = if s.is_idle() {
                s.0 | RUNNING | CANCELLED
            } else {
                s.0 | CANCELLED
            };
            (s.is_idle(), Some(Snapshot(next)))
        })
    }

    /// The `JoinHandle` drops: clear `JOIN_INTEREST` (and `JOIN_WAKER` if not
    /// complete, taking the waker slot back).
    pub(crate) fn transition_to_join_handle_dropped(&self) -> JoinDropped {
        self.update(|s| {
            debug_assert!(s.is(JOIN_INTEREST));
            let mut next = s.0 & !JOIN_INTEREST;
            let complete = s.is(COMPLETE);
            if !complete {
                next &= !JOIN_WAKER;
            }
            let out = JoinDropped {
                drop_output: complete,
                drop_waker: next & JOIN_WAKER == 0,
            };
            (out, Some(Snapshot(next)))
        })
    }

    /// Hands the (just written) join waker slot to the runtime. `Err` with
    /// the state if the task completed meanwhile.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            debug_assert!(s.is(JOIN_INTEREST) && !s.is(JOIN_WAKER));
            if s.is(COMPLETE) {
                (Err(s), None)
            } else {
                let next = Snapshot(s.0 | JOIN_WAKER);
                (Ok(next), Some(next))
            }
        })
    }

    /// Takes the join waker slot back from the runtime to replace the
    /// waker. `Err` with the state if the task completed meanwhile.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            debug_assert!(s.is(JOIN_INTEREST) && s.is(JOIN_WAKER));
            if s.is(COMPLETE) {
                (Err(s), None)
            } else {
                let next = Snapshot(s.0 & !JOIN_WAKER);
                (Ok(next), Some(next))
            }
        })
    }

    /// The runtime has woken the join waker after completion and gives the
    /// slot back. Returns the new state.
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.value.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is(COMPLETE) && prev.is(JOIN_WAKER));
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    /// Marks the task as reported by the blocking detector; true the first
    /// time.
    pub(crate) fn mark_blocking_reported(&self) -> bool {
        self.value.fetch_or(BLOCKING_REPORTED, AcqRel) & BLOCKING_REPORTED == 0
    }

    /// Takes one more reference (a waker clone).
    pub(crate) fn ref_inc(&self) {
        let prev = self
            .value
            .fetch_add(REF_ONE, crate::loom::sync::atomic::Ordering::Relaxed);
        // Guard against overflow into nothing (as `Arc` does).
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one reference; true if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.value.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1, "reference count underflow");
        prev.ref_count() == 1
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_bits_do_not_overlap_the_count() {
        let all = RUNNING | COMPLETE | NOTIFIED | CANCELLED | JOIN_INTEREST | JOIN_WAKER;
        assert_eq!(all | BLOCKING_REPORTED, LIFECYCLE_MASK);
        assert_eq!(REF_ONE & LIFECYCLE_MASK, 0);
    }

    #[test]
    fn fresh_task_runs_then_idles() {
        let state = State::new();
        assert_eq!(state.load().ref_count(), 3);
        assert_eq!(state.transition_to_running(), ToRunning::Success);
        assert_eq!(state.transition_to_idle(), ToIdle::Ok);
        assert_eq!(state.load().ref_count(), 2);
        assert!(state.load().is_idle());
    }

    #[test]
    fn wake_while_running_reschedules_after_poll() {
        let state = State::new();
        state.transition_to_running();
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::DoNothing);
        assert_eq!(state.transition_to_idle(), ToIdle::OkNotified);
        assert_eq!(state.load().ref_count(), 3);
    }

    #[test]
    fn waking_twice_submits_once() {
        let state = State::new();
        state.transition_to_running();
        state.transition_to_idle();
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::Submit);
        assert_eq!(state.transition_to_notified_by_ref(), ToNotified::DoNothing);
    }

    #[test]
    fn wake_by_value_submits_an_idle_task_with_the_wakers_reference() {
        let state = State::new();
        state.transition_to_running();
        state.transition_to_idle();
        state.ref_inc(); // a waker
        let refs = state.load().ref_count();
        assert_eq!(state.transition_to_notified_by_val(), ToNotified::Submit);
        assert_eq!(state.load().ref_count(), refs, "the reference moved");
        assert!(state.load().is(NOTIFIED));
    }

    #[test]
    fn wake_by_value_while_running_drops_the_wakers_reference() {
        let state = State::new();
        state.transition_to_running();
        state.ref_inc(); // a waker
        let refs = state.load().ref_count();
        assert_eq!(state.transition_to_notified_by_val(), ToNotified::DoNothing);
        assert_eq!(state.load().ref_count(), refs - 1);
        assert_eq!(state.transition_to_idle(), ToIdle::OkNotified);
    }

    #[test]
    fn wake_by_value_of_a_finished_task_can_free_it() {
        let state = State::new();
        state.transition_to_running();
        state.transition_to_complete();
        // Everyone but one waker lets go.
        assert!(!state.transition_to_terminal(2));
        assert_eq!(state.transition_to_notified_by_val(), ToNotified::Dealloc);
    }

    #[test]
    fn abort_of_idle_task_submits() {
        let state = State::new();
        state.transition_to_running();
        state.transition_to_idle();
        assert!(state.transition_to_notified_and_cancel());
        assert!(!state.transition_to_notified_and_cancel());
        assert_eq!(state.transition_to_running(), ToRunning::Cancelled);
    }

    #[test]
    fn join_handle_drop_after_complete_owns_output() {
        let state = State::new();
        state.transition_to_running();
        state.transition_to_complete();
        let dropped = state.transition_to_join_handle_dropped();
        assert!(dropped.drop_output && dropped.drop_waker);
    }
}
