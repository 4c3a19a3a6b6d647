//! Tasks: spawning futures onto the runtime and waiting for them.
//!
//! * [`spawn`] runs a `Send` future on the current runtime
//!   and returns a [`JoinHandle`]; [`spawn_local`] does the same for a
//!   `!Send` future on the current thread (current-thread runtime or a
//!   [`LocalSet`]).
//! * [`JoinHandle`] awaits the output ([`JoinError`] if the task panicked or
//!   was cancelled) and can [`abort`](JoinHandle::abort) the task.
//! * [`JoinSet`] owns many tasks and yields their outputs as they finish.
//! * [`yield_now()`] lets other tasks run.
//! * [`spawn_blocking`] runs a blocking closure on the runtime's blocking
//!   pool and returns the same [`JoinHandle`].
//!
//! Inside: one allocation per task (`raw`), a state word with named bits
//! (`state`), and the `Schedule` trait that connects a task to whichever
//! scheduler runs it (`schedule`).

pub(crate) mod blocking;
mod error;
mod join;
mod join_set;
mod local;
pub(crate) mod raw;
mod schedule;
pub(crate) mod state;
mod yield_now;

#[cfg(loom)]
#[doc(hidden)]
pub mod loom_support;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub use blocking::spawn_blocking;
pub use error::JoinError;
pub use join::{AbortHandle, JoinHandle};
pub use join_set::JoinSet;
pub use local::{LocalSet, SpawnLocalError, spawn_local, try_spawn_local};
pub(crate) use schedule::{Notified, OwnedTasks, Schedule, Task, new_task};
pub use yield_now::yield_now;

use crate::runtime::context;

/// A task's id: unique among all tasks of the process, never reused.
///
/// ```
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let a = eddy::spawn(async { eddy::task::id() });
///     let b = eddy::spawn(async {});
///     assert_eq!(a.id(), a.await.unwrap());
///     assert_ne!(b.id(), eddy::spawn(async {}).id());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Relaxed);
        Id(NonZeroU64::new(id).expect("64-bit task ids do not wrap"))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// The id of the task being polled.
///
/// # Panics
///
/// Outside a task (use [`try_id`]).
#[track_caller]
pub fn id() -> Id {
    try_id().expect("eddy::task::id() called outside a task")
}

/// The id of the task being polled, if any.
pub fn try_id() -> Option<Id> {
    context::current_task()
}

/// Runs `f`, a blocking call (a synchronous library, heavy computation),
/// on the current worker thread without stalling the runtime's other
/// tasks: the worker's run queue and its share of the driver move to a new
/// thread first, and this thread leaves the pool once the current task's
/// poll returns. Outside a runtime, or on a thread blocked in `block_on`,
/// `f` simply runs.
///
/// # Panics
///
/// On a current-thread runtime (its only thread would block), with a
/// message saying so.
///
/// ```
/// let rt = eddy::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
/// let n = rt.block_on(async {
///     eddy::spawn(async {
///         eddy::task::block_in_place(|| {
///             std::thread::sleep(std::time::Duration::from_millis(5));
///             7
///         })
///     })
///     .await
///     .unwrap()
/// });
/// assert_eq!(n, 7);
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    crate::runtime::scheduler::block_in_place(f)
}

/// Spawns a `Send` future onto the current runtime and returns a handle to
/// its output. The task starts running when the runtime gets to it; it
/// keeps running if the handle is dropped.
///
/// The caller's location is recorded for the blocking detector
/// ([`Builder::warn_on_blocking`](crate::runtime::Builder::warn_on_blocking)).
///
/// # Panics
///
/// Outside a runtime (see [`Handle::current`](crate::runtime::Handle::current)).
///
/// ```
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let tasks: Vec<_> = (0..10).map(|i| eddy::spawn(async move { i * 2 })).collect();
///     let mut sum = 0;
///     for task in tasks {
///         sum += task.await.unwrap();
///     }
///     assert_eq!(sum, 90);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    let mut future = Some(future);
    match context::with_current(|handle| handle.spawn(future.take().expect("once"), location)) {
        Some(join) => join,
        None => panic!(
            "eddy::spawn called outside a runtime: {}",
            crate::runtime::Handle::try_current().unwrap_err()
        ),
    }
}
