//! The per-thread runtime context: which runtime's [`Handle`](super::Handle)
//! is current (for `Handle::current`, `eddy::spawn`, I/O and timers),
//! whether a `block_on` is running on this thread (nesting one is a bug we
//! report), whether the thread may block (so the `blocking_*` methods of
//! `eddy::sync` know when to refuse), the cooperative budget and the id of
//! the task being polled.

use std::cell::{Cell, RefCell};

use super::coop::Budget;
use super::scheduler;
use crate::task::Id;

struct Context {
    /// The runtime entered on this thread, if any.
    handle: RefCell<Option<scheduler::Handle>>,
    /// A `block_on` is running on this thread.
    in_block_on: Cell<bool>,
    /// Blocking is allowed here even though a runtime is current: a
    /// blocking-pool thread running a `spawn_blocking` closure, or the
    /// closure of `block_in_place`.
    may_block: Cell<bool>,
}

/// The per-poll state, read several times per task poll: kept apart from
/// [`Context`] because nothing in it needs dropping, so the thread-local
/// needs no destructor registration and each access is a plain load or
/// store (no "is it initialised / being destroyed" check).
struct PollContext {
    budget: Cell<Budget>,
    current_task: Cell<Option<Id>>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            in_block_on: Cell::new(false),
            may_block: Cell::new(false),
        }
    };
    static POLL: PollContext = const {
        PollContext {
            budget: Cell::new(Budget::unconstrained()),
            current_task: Cell::new(None),
        }
    };
}

/// Runs `f` with the current runtime's scheduler handle; `None` if there is
/// no runtime (or the thread is exiting).
pub(crate) fn with_current<R>(f: impl FnOnce(&scheduler::Handle) -> R) -> Option<R> {
    CONTEXT
        .try_with(|c| c.handle.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Makes `handle` the current runtime until the guard drops (which restores
/// the previous one).
pub(crate) fn set_current(handle: &scheduler::Handle) -> SetCurrentGuard {
    let prev = CONTEXT.with(|c| c.handle.replace(Some(handle.clone())));
    SetCurrentGuard { prev: Some(prev) }
}

/// Restores the previously current runtime on drop.
#[derive(Debug)]
pub(crate) struct SetCurrentGuard {
    prev: Option<Option<scheduler::Handle>>,
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        if let Some(prev) = self.prev.take() {
            // Drop the replaced handle outside the borrow.
            let _replaced = CONTEXT.try_with(|c| c.handle.replace(prev));
        }
    }
}

/// Marks this thread as running a `block_on` until the guard drops.
///
/// # Panics
///
/// If a `block_on` is already running on this thread (that would deadlock
/// or starve the outer runtime).
#[track_caller]
pub(crate) fn enter_block_on() -> BlockOnGuard {
    let nested = CONTEXT.with(|c| c.in_block_on.replace(true));
    if nested {
        panic!(
            "Cannot block_on inside an eddy runtime: this thread is already running \
             `block_on` (the caller is a task or future driven by a runtime). Blocking here \
             would stall every task on this thread. Use `.await` instead, or spawn the work \
             and await its JoinHandle."
        );
    }
    BlockOnGuard { _private: () }
}

/// Clears the `block_on` mark on drop.
#[derive(Debug)]
pub(crate) struct BlockOnGuard {
    _private: (),
}

impl Drop for BlockOnGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.in_block_on.set(false));
    }
}

/// Clears the `block_on` mark until the guard drops (which restores it):
/// a multi-thread worker that handed its duties away in
/// `task::block_in_place` may block on a runtime again.
pub(crate) fn exit_block_on() -> ExitBlockOnGuard {
    let prev = CONTEXT
        .try_with(|c| c.in_block_on.replace(false))
        .unwrap_or(false);
    ExitBlockOnGuard { prev }
}

/// Restores the `block_on` mark on drop.
#[derive(Debug)]
pub(crate) struct ExitBlockOnGuard {
    prev: bool,
}

impl Drop for ExitBlockOnGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.in_block_on.set(self.prev));
    }
}

/// Whether the calling thread may block (park, wait on a lock): true on a
/// thread with no runtime current, and where [`allow_blocking`] says so
/// (blocking-pool threads, `block_in_place`); false on a thread that runs
/// tasks or a `block_on`, where blocking would stall the runtime.
pub(crate) fn may_block() -> bool {
    CONTEXT
        .try_with(|c| c.may_block.get() || c.handle.borrow().is_none())
        .unwrap_or(true)
}

/// Marks this thread as allowed to block until the guard drops (which
/// restores the previous mark).
pub(crate) fn allow_blocking() -> AllowBlockingGuard {
    let prev = CONTEXT
        .try_with(|c| c.may_block.replace(true))
        .unwrap_or(false);
    AllowBlockingGuard { prev }
}

/// Restores the "may block" mark on drop.
#[derive(Debug)]
pub(crate) struct AllowBlockingGuard {
    prev: bool,
}

impl Drop for AllowBlockingGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.may_block.set(self.prev));
    }
}

/// The current budget; `None` if the thread-local is gone.
#[inline]
pub(crate) fn budget() -> Option<Budget> {
    POLL.try_with(|c| c.budget.get()).ok()
}

#[inline]
pub(crate) fn set_budget(budget: Budget) {
    let _ = POLL.try_with(|c| c.budget.set(budget));
}

/// Sets the budget, returning the previous one (`None` if the thread-local
/// is gone).
pub(crate) fn replace_budget(budget: Budget) -> Option<Budget> {
    POLL.try_with(|c| c.budget.replace(budget)).ok()
}

/// What [`enter_task_poll`] replaced: the budget and the current task.
pub(crate) type PollState = (Budget, Option<Id>);

/// Starts one task poll in a single thread-local access: `budget` and `id`
/// become current; returns what they replace (`None` if the thread-local
/// is gone), for [`exit_task_poll`].
#[inline]
pub(crate) fn enter_task_poll(id: Id, budget: Budget) -> Option<PollState> {
    POLL.try_with(|c| (c.budget.replace(budget), c.current_task.replace(Some(id))))
        .ok()
}

/// Ends a task poll: restores what [`enter_task_poll`] replaced.
#[inline]
pub(crate) fn exit_task_poll(prev: PollState) {
    let _ = POLL.try_with(|c| {
        c.budget.set(prev.0);
        c.current_task.set(prev.1);
    });
}

/// The id of the task being polled on this thread.
pub(crate) fn current_task() -> Option<Id> {
    POLL.try_with(|c| c.current_task.get()).ok().flatten()
}

/// Sets the task being polled, returning the previous one.
pub(crate) fn set_current_task(id: Option<Id>) -> Option<Id> {
    POLL.try_with(|c| c.current_task.replace(id)).ok().flatten()
}
