//! Cooperative scheduling budget: each task poll may do a bounded number of
//! I/O and timer operations before they start returning `Pending`, so one
//! task that is always ready cannot starve the others, the reactor or the
//! timers.
//!
//! The scheduler wraps every task poll in [`budget`]. Leaf futures
//! (readiness checks, timers, `JoinHandle`s) call [`poll_proceed`] first: it
//! takes one unit, or, when the budget is spent, wakes the task and returns
//! `Pending` so the task goes to the back of the run queue. Outside a
//! scheduler (e.g. a future polled by another executor) the budget is
//! unconstrained.

use std::cell::Cell;
use std::task::{Context, Poll};

use super::context;
use crate::task::Id;

/// Operations one task poll may perform (as tokio).
pub(crate) const INITIAL_BUDGET: u8 = 128;

/// The units left in the current poll; `None` means unconstrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget(Option<u8>);

impl Budget {
    pub(crate) const fn initial() -> Budget {
        Budget(Some(INITIAL_BUDGET))
    }

    pub(crate) const fn unconstrained() -> Budget {
        Budget(None)
    }

    #[inline]
    fn decrement(&mut self) -> bool {
        match &mut self.0 {
            Some(0) => false,
            Some(n) => {
                *n -= 1;
                true
            }
            None => true,
        }
    }
}

/// Runs `f` (one task poll) with a fresh budget.
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::initial(), f)
}

/// Runs `f` (one poll of task `id`) with a fresh budget and `id` as the
/// current task, both restored afterwards (also if `f` unwinds): the
/// scheduler's per-poll setup in one thread-local access each way.
#[inline]
pub(crate) fn task_poll<R>(id: Id, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<context::PollState>);
    impl Drop for Reset {
        #[inline]
        fn drop(&mut self) {
            if let Some(prev) = self.0 {
                context::exit_task_poll(prev);
            }
        }
    }
    let _reset = Reset(context::enter_task_poll(id, Budget::initial()));
    f()
}

/// Runs `f` without a budget.
#[cfg(test)]
pub(crate) fn with_unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Budget::unconstrained(), f)
}

fn with_budget<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Budget>);
    impl Drop for Reset {
        fn drop(&mut self) {
            if let Some(prev) = self.0 {
                context::set_budget(prev);
            }
        }
    }
    let _reset = Reset(context::replace_budget(budget));
    f()
}

/// Whether the current poll still has budget left.
#[inline]
pub(crate) fn has_budget_remaining() -> bool {
    context::budget().is_none_or(|b| b.0 != Some(0))
}

/// Takes one unit of budget, or wakes the task and returns `Pending` if it
/// is spent. Hold the returned guard across the operation and call
/// [`RestoreOnPending::made_progress`] if it completed; if the operation
/// ends up `Pending` anyway, dropping the guard gives the unit back.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    let Some(mut budget) = context::budget() else {
        // The thread-local is gone (thread exit): do not constrain.
        return Poll::Ready(RestoreOnPending(Cell::new(Budget::unconstrained())));
    };
    let before = budget;
    if budget.decrement() {
        context::set_budget(budget);
        Poll::Ready(RestoreOnPending(Cell::new(before)))
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A lighter [`poll_proceed`] for a leaf operation that completes or
/// gives up within one call, with no other budgeted operation in between
/// (the stream read/write path): checks that the poll has budget left
/// (otherwise wakes the task and returns `Pending`, as `poll_proceed`) but
/// takes nothing; call [`consume_unit`] once the operation completed.
/// Spares the guard's take-then-give-back when the operation is `Pending`.
#[inline]
pub(crate) fn poll_has_budget(cx: &mut Context<'_>) -> Poll<()> {
    if has_budget_remaining() {
        Poll::Ready(())
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Spends one unit of the current poll's budget (after
/// [`poll_has_budget`] and a completed operation).
#[inline]
pub(crate) fn consume_unit() {
    if let Some(mut budget) = context::budget()
        && budget.decrement()
    {
        context::set_budget(budget);
    }
}

/// Gives a unit of budget back unless [`made_progress`](Self::made_progress)
/// was called.
#[derive(Debug)]
pub(crate) struct RestoreOnPending(Cell<Budget>);

impl RestoreOnPending {
    /// The operation completed: keep the unit spent.
    #[inline]
    pub(crate) fn made_progress(&self) {
        self.0.set(Budget::unconstrained());
    }
}

impl Drop for RestoreOnPending {
    #[inline]
    fn drop(&mut self) {
        let before = self.0.get();
        if before.0.is_some() {
            context::set_budget(before);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn budget_runs_out_then_restores_per_poll() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            for _ in 0..INITIAL_BUDGET {
                let guard = poll_proceed(&mut cx);
                let Poll::Ready(guard) = guard else {
                    panic!("budget spent too early")
                };
                guard.made_progress();
            }
            assert!(poll_proceed(&mut cx).is_pending());
            assert!(!has_budget_remaining());
        });
        budget(|| assert!(has_budget_remaining()));
    }

    #[test]
    fn pending_operation_gives_the_unit_back() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            for _ in 0..1000 {
                let Poll::Ready(guard) = poll_proceed(&mut cx) else {
                    panic!()
                };
                drop(guard);
            }
            assert!(has_budget_remaining());
        });
    }

    #[test]
    fn check_then_consume_spends_only_completed_operations() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            for _ in 0..1000 {
                assert!(
                    poll_has_budget(&mut cx).is_ready(),
                    "checking spends nothing"
                );
            }
            for _ in 0..INITIAL_BUDGET {
                assert!(poll_has_budget(&mut cx).is_ready());
                consume_unit();
            }
            assert!(poll_has_budget(&mut cx).is_pending());
            assert!(poll_proceed(&mut cx).is_pending());
        });
        with_unconstrained(|| {
            for _ in 0..1000 {
                consume_unit();
            }
            assert!(poll_has_budget(&mut cx).is_ready());
        });
    }

    #[test]
    fn unconstrained_outside_a_scheduler() {
        let mut cx = Context::from_waker(Waker::noop());
        with_unconstrained(|| {
            for _ in 0..1000 {
                assert!(poll_proceed(&mut cx).is_ready());
            }
        });
    }
}
