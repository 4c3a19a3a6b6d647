//! [`spawn_blocking`]: runs a blocking closure on the runtime's blocking
//! pool (an elastic [`eddy_threadpool`] pool) and returns the same
//! [`JoinHandle`] as [`spawn`](crate::spawn).
//!
//! A blocking call is a task like any other: its future is a
//! `BlockingTask`, which runs the closure in its first and only poll, and
//! its scheduler (`BlockingSchedule`) is the pool: the one notification a
//! task gets at birth is the pool job. So the join handle, `JoinError`
//! (panics are caught by the task core), `abort` and the output hand-off
//! are the task machinery's own. `abort` before the job starts marks the
//! task cancelled and the closure never runs; once it runs it cannot be
//! stopped (as in tokio). At runtime shutdown, queued closures are dropped
//! unrun (their handles report cancelled) and running ones are waited for.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use eddy_threadpool::{Builder, ThreadPool};

use super::{Id, JoinHandle, Notified, Schedule, Task, new_task};
use crate::runtime::{context, scheduler};

/// The default cap on blocking threads ([`Builder::max_blocking_threads`](crate::runtime::Builder::max_blocking_threads)).
pub(crate) const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;
/// The default idle time before a blocking thread exits.
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The runtime's blocking pool, owned by the shared driver handle.
pub(crate) struct BlockingPool {
    pool: ThreadPool,
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, thread_name: &str) -> BlockingPool {
        let pool = Builder::elastic(max_threads)
            .keep_alive(keep_alive)
            .thread_name(format!("{thread_name}-blocking"))
            .on_spawn_error(|e| {
                log::warn!(
                    "eddy blocking pool: cannot start a thread ({e}); blocking work waits for \
                     a running thread"
                );
            })
            .build();
        BlockingPool { pool }
    }

    /// Queues `f` as a blocking task of the runtime `handle`.
    pub(crate) fn spawn<F, R>(&self, handle: &scheduler::Handle, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let task = BlockingTask {
            f: Some(f),
            handle: Some(handle.clone()),
        };
        let (owned, notified, join) = new_task(task, BlockingSchedule, Id::next());
        // No owned list: the pool queue is what keeps the task alive.
        drop(owned);
        let job = BlockingJob(Some(notified));
        // After shutdown the job comes back and is dropped at once: its
        // handle reports cancelled, like a task spawned onto a shut-down
        // runtime.
        let _ = self.pool.execute(move || job.run());
        join
    }

    /// Drops queued blocking tasks (cancelled) and waits up to `timeout`
    /// for running ones.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        self.pool.shutdown_timeout(timeout);
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pool.fmt(f)
    }
}

/// The pool job: the task's first notification. Dropped unrun (pool shut
/// down), it shuts the task down so the join handle reports cancelled.
struct BlockingJob(Option<Notified<BlockingSchedule>>);

impl BlockingJob {
    fn run(mut self) {
        if let Some(notified) = self.0.take() {
            notified.run();
        }
    }
}

impl Drop for BlockingJob {
    fn drop(&mut self) {
        if let Some(notified) = self.0.take() {
            notified.0.shutdown();
        }
    }
}

/// A future that runs its closure in its first poll.
struct BlockingTask<F> {
    f: Option<F>,
    /// The runtime made current while the closure runs (so `Handle::current`
    /// and `eddy::spawn` work inside it); dropped with the closure.
    handle: Option<scheduler::Handle>,
}

// The closure is never pinned: it is moved out before it runs.
impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self
            .f
            .take()
            .expect("a blocking task is polled once: it never returns Pending");
        let handle = self.handle.take();
        let _current = handle.as_ref().map(context::set_current);
        // A pool thread runs no tasks: the closure may block, including on
        // `eddy::sync`'s `blocking_*` methods.
        let _may_block = context::allow_blocking();
        Poll::Ready(f())
    }
}

/// The "scheduler" of blocking tasks: they are never woken (their only poll
/// completes them) and belong to no owned list.
#[derive(Debug, Clone, Copy)]
struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        None
    }

    fn schedule(&self, task: Notified<Self>) {
        // Unreachable in practice (a blocking task is NOTIFIED from birth
        // until its one poll completes it); polling it is always correct.
        task.run();
    }
}

/// Runs `f`, a blocking call (file I/O, a synchronous library, heavy
/// computation), on the runtime's blocking pool and returns a handle to its
/// result. The pool starts threads on demand up to
/// [`Builder::max_blocking_threads`](crate::runtime::Builder::max_blocking_threads)
/// (default 512); calls beyond that wait in a FIFO queue; idle threads exit
/// after [`Builder::thread_keep_alive`](crate::runtime::Builder::thread_keep_alive)
/// (default 10 s).
///
/// A panic in `f` becomes a [`JoinError`](super::JoinError) with
/// `is_panic()`. [`JoinHandle::abort`] cancels the call if it has not
/// started; a running call cannot be interrupted and finishes on its own.
/// Inside `f` the runtime is current (`Handle::current()` works).
///
/// # Panics
///
/// Outside a runtime.
///
/// ```
/// use eddy::runtime::Runtime;
///
/// let rt = Runtime::new()?;
/// let len = rt.block_on(async {
///     eddy::task::spawn_blocking(|| std::fs::read_dir("/").map(|d| d.count()))
///         .await
///         .unwrap()
/// })?;
/// assert!(len > 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let mut f = Some(f);
    match context::with_current(|handle| {
        let f = f.take().expect("once");
        handle.driver().blocking.spawn(handle, f)
    }) {
        Some(join) => join,
        None => panic!(
            "eddy::task::spawn_blocking called outside a runtime: {}",
            crate::runtime::Handle::try_current().unwrap_err()
        ),
    }
}
