//! [`Runtime`]: owns a scheduler and its drivers.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::time::Duration;

use super::{Builder, EnterGuard, Handle};
use crate::task::JoinHandle;

/// An Eddy runtime: a scheduler, an I/O reactor and timers.
///
/// Dropping it shuts it down: every task's future is dropped (on the
/// dropping thread), I/O resources start failing with an error and timers
/// fire.
///
/// ```
/// use eddy::runtime::Runtime;
/// use std::time::Duration;
///
/// let rt = Runtime::new()?;
/// let out = rt.block_on(async {
///     let task = eddy::spawn(async {
///         eddy::time::sleep(Duration::from_millis(1)).await;
///         "slept"
///     });
///     task.await.unwrap()
/// });
/// assert_eq!(out, "slept");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Runtime {
    handle: Handle,
}

impl Runtime {
    /// A runtime with default settings: the multi-thread flavor (as in
    /// tokio), with one worker per CPU unless `EDDY_WORKER_THREADS` says
    /// otherwise (see [`Builder::new_multi_thread`]).
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    pub(crate) fn from_handle(handle: Handle) -> Runtime {
        Runtime { handle }
    }

    /// Runs `future` to completion on this thread, running spawned tasks,
    /// I/O and timers while it waits. Returns its output.
    ///
    /// # Panics
    ///
    /// If called inside a runtime (from a task or another `block_on`): that
    /// would block the thread the outer runtime needs. The message says so;
    /// use `.await` there instead. A panic in `future` itself propagates.
    ///
    /// ```
    /// let rt = eddy::runtime::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { 40 + 2 }), 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task; it runs while this runtime is driven (`block_on`).
    ///
    /// ```
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let task = rt.spawn(async { 5 });
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.inner.spawn(future, Location::caller())
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `timeout` for work that cannot be
    /// cancelled. Tasks are cancelled at once (their futures dropped); the
    /// current-thread runtime starts no threads, so there is nothing to
    /// wait for and this returns as soon as the tasks are dropped. A
    /// multi-thread runtime waits up to `timeout` for workers still inside
    /// a task poll (or a `block_in_place` call); past it, their threads are
    /// left to finish on their own and their tasks' futures are dropped by
    /// whoever holds them.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = eddy::runtime::Runtime::new()?;
    /// rt.spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(Duration::from_secs(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.handle.inner.shutdown_timeout(Some(timeout));
        drop(self);
    }

    /// Shuts down without waiting (as `shutdown_timeout(0)`).
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.handle.inner.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}
