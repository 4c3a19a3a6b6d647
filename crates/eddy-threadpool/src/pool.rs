//! [`ThreadPool`]: the shared queue, the thread accounting and the worker
//! loop.
//!
//! # Protocol
//!
//! All state sits behind one mutex ([`State`]); jobs run outside it.
//!
//! 1. `execute` pushes the job. If a thread is waiting (`idle > 0`) it takes
//!    one waiter for it (`idle -= 1`, `wakeups += 1`) and signals the
//!    condition variable; otherwise, below the cap, it starts a thread.
//!    Counting wakeups keeps two quick submits from both relying on the same
//!    idle thread.
//! 2. A worker pops jobs until the queue is empty, then waits. It only
//!    leaves the wait by consuming a wakeup, by shutdown, or (elastic) when
//!    the keep-alive passes with no wakeup, in which case it exits, unless
//!    it is the last thread and jobs are queued.
//! 3. A thread that fails to start leaves the job queued; after each job a
//!    worker checks whether queued jobs outnumber idle threads and retries.
//! 4. Shutdown sets `shutdown`, takes the queue out (dropped outside the
//!    lock), wakes everyone and waits for `threads == 0` up to the timeout.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle as ThreadHandle};
use std::time::{Duration, Instant};

use crate::builder::Builder;
use crate::job::{self, JobError, JobHandle};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool of threads running blocking jobs (see the [crate docs](crate)).
///
/// ```
/// use std::sync::mpsc;
///
/// let pool = eddy_threadpool::Builder::fixed(2).build();
/// let (tx, rx) = mpsc::channel();
/// for i in 0..4 {
///     let tx = tx.clone();
///     pool.execute(move || tx.send(i * i).unwrap()).unwrap();
/// }
/// let mut got: Vec<i32> = rx.iter().take(4).collect();
/// got.sort();
/// assert_eq!(got, [0, 1, 4, 9]);
/// ```
pub struct ThreadPool {
    shared: Arc<Shared>,
}

/// The pool was shut down; the job was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolShutDown;

impl fmt::Display for PoolShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the thread pool is shut down")
    }
}

impl std::error::Error for PoolShutDown {}

impl From<PoolShutDown> for io::Error {
    fn from(e: PoolShutDown) -> io::Error {
        io::Error::other(e)
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled for wakeups and shutdown.
    work_ready: Condvar,
    /// Signalled when a thread exits (shutdown waits on it).
    thread_exited: Condvar,
    config: Builder,
}

struct State {
    queue: VecDeque<Job>,
    /// Threads alive (started and not yet returned).
    threads: usize,
    /// Threads waiting for work that no submitter has claimed yet.
    idle: usize,
    /// Wakeups signalled and not yet consumed by a waiting thread.
    wakeups: usize,
    shutdown: bool,
    /// The last thread start failed and the hook was told; cleared by the
    /// next successful start.
    spawn_failing: bool,
    /// Handles of live threads, joined at shutdown.
    handles: Vec<ThreadHandle<()>>,
    next_id: usize,
}

impl ThreadPool {
    pub(crate) fn new(config: Builder) -> ThreadPool {
        ThreadPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    wakeups: 0,
                    shutdown: false,
                    spawn_failing: false,
                    handles: Vec::new(),
                    next_id: 0,
                }),
                work_ready: Condvar::new(),
                thread_exited: Condvar::new(),
                config,
            }),
        }
    }

    /// Queues `job`; a pool thread runs it. A panic in it is caught (and
    /// dropped: use [`submit`](Self::submit) to see it).
    pub fn execute<F>(&self, job: F) -> Result<(), PoolShutDown>
    where
        F: FnOnce() + Send + 'static,
    {
        self.push(Box::new(job)).map_err(|_| PoolShutDown)
    }

    /// Queues `job` and returns the handle its result (or panic) arrives on.
    ///
    /// ```
    /// let pool = eddy_threadpool::Builder::elastic(2).build();
    /// let job = pool.submit(|| std::fs::metadata("/").is_ok()).unwrap();
    /// assert!(job.join().unwrap());
    /// ```
    pub fn submit<F, T>(&self, job: F) -> Result<JobHandle<T>, PoolShutDown>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (sender, handle) = job::channel();
        self.execute(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(job)).map_err(JobError::Panicked);
            sender.send(result);
        })?;
        Ok(handle)
    }

    fn push(&self, job: Job) -> Result<(), Job> {
        let shared = &self.shared;
        let mut state = shared.lock();
        if state.shutdown {
            return Err(job);
        }
        state.queue.push_back(job);
        if state.idle > 0 {
            state.idle -= 1;
            state.wakeups += 1;
            // Signal after unlocking, so the woken thread does not wake
            // straight into a held mutex.
            drop(state);
            shared.work_ready.notify_one();
        } else if state.threads < shared.config.max_threads {
            shared.spawn_thread(&mut state);
        }
        Ok(())
    }

    /// Threads currently alive.
    pub fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    /// Jobs waiting for a thread.
    pub fn queued(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Stops accepting jobs, drops the queued ones (on this thread, so a
    /// job's destructor can tell its submitter it will never run) and waits
    /// up to `timeout` (`None`: as long as it takes) for running jobs to
    /// finish. Returns whether every thread exited. Threads still running at
    /// the timeout are left to finish on their own. Called from a pool
    /// thread, it does not wait for that thread. Idempotent.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = eddy_threadpool::Builder::fixed(1).build();
    /// pool.execute(|| {}).unwrap();
    /// assert!(pool.shutdown_timeout(Some(Duration::from_secs(10))));
    /// assert!(pool.execute(|| {}).is_err());
    /// ```
    pub fn shutdown_timeout(&self, timeout: Option<Duration>) -> bool {
        self.shutdown(false, timeout)
    }

    /// Stops accepting jobs, lets the threads run every job already queued,
    /// then waits up to `timeout` (`None`: as long as it takes) for them to
    /// exit. Returns whether every thread exited.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let pool = eddy_threadpool::Builder::fixed(1).build();
    /// let ran = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..10 {
    ///     let ran = ran.clone();
    ///     pool.execute(move || { ran.fetch_add(1, Ordering::SeqCst); }).unwrap();
    /// }
    /// assert!(pool.shutdown_drain(None));
    /// assert_eq!(ran.load(Ordering::SeqCst), 10);
    /// ```
    pub fn shutdown_drain(&self, timeout: Option<Duration>) -> bool {
        self.shutdown(true, timeout)
    }

    fn shutdown(&self, drain: bool, timeout: Option<Duration>) -> bool {
        let shared = &self.shared;
        let mut state = shared.lock();
        state.shutdown = true;
        let queued = if drain {
            // Queued jobs with no thread to run them (every start failed):
            // try once more.
            if state.threads == 0 && !state.queue.is_empty() {
                shared.spawn_thread(&mut state);
            }
            VecDeque::new()
        } else {
            std::mem::take(&mut state.queue)
        };
        shared.work_ready.notify_all();
        drop(state);
        drop(queued);

        let me = thread::current().id();
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = shared.lock();
        let own = usize::from(state.handles.iter().any(|h| h.thread().id() == me));
        while state.threads > own {
            state = match deadline {
                None => shared
                    .thread_exited
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    shared
                        .thread_exited
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        let all_exited = state.threads <= own;
        let handles = std::mem::take(&mut state.handles);
        drop(state);
        for handle in handles {
            if handle.is_finished() && handle.thread().id() != me {
                // The thread has returned: this join does not block. Its job
                // panics were caught, so it cannot have panicked.
                let _ = handle.join();
            }
        }
        all_exited
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        if self.shared.config.drain_on_drop {
            self.shutdown_drain(None);
        } else {
            self.shutdown_timeout(Some(Duration::ZERO));
        }
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("ThreadPool")
            .field("max_threads", &self.shared.config.max_threads)
            .field("keep_alive", &self.shared.config.keep_alive)
            .field("threads", &state.threads)
            .field("idle", &state.idle)
            .field("queued", &state.queue.len())
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts one thread; on failure the queued jobs wait for a later try.
    fn spawn_thread(self: &Arc<Self>, state: &mut State) {
        let id = state.next_id;
        let mut builder = thread::Builder::new().name((self.config.thread_name)(id));
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        let shared = self.clone();
        match builder.spawn(move || shared.run_worker()) {
            Ok(handle) => {
                state.next_id += 1;
                state.threads += 1;
                state.spawn_failing = false;
                state.handles.retain(|h| !h.is_finished());
                state.handles.push(handle);
            }
            Err(e) => {
                if !state.spawn_failing {
                    state.spawn_failing = true;
                    if let Some(hook) = &self.config.on_spawn_error {
                        hook(&e);
                    }
                }
            }
        }
    }

    fn run_worker(self: Arc<Self>) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                // A panicking job must not take the thread down; `submit`
                // wraps its job to hand the payload back, bare `execute`
                // jobs lose it by contract.
                let _ = panic::catch_unwind(AssertUnwindSafe(job));
                state = self.lock();
                self.retry_spawn(&mut state);
                continue;
            }
            if state.shutdown {
                break;
            }
            let (guard, keep_going) = self.wait_for_work(state);
            state = guard;
            if !keep_going {
                break;
            }
        }
        state.threads -= 1;
        drop(state);
        self.thread_exited.notify_all();
    }

    /// After a spawn failure, more queued jobs than waiting threads: try
    /// again to start a thread.
    fn retry_spawn(self: &Arc<Self>, state: &mut MutexGuard<'_, State>) {
        if state.spawn_failing
            && !state.shutdown
            && state.queue.len() > state.idle
            && state.threads < self.config.max_threads
        {
            self.spawn_thread(state);
        }
    }

    /// Waits for a wakeup. False: exit (shutdown, or idle past the
    /// keep-alive).
    fn wait_for_work<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
    ) -> (MutexGuard<'a, State>, bool) {
        state.idle += 1;
        let deadline = self.config.keep_alive.map(|d| Instant::now() + d);
        loop {
            if state.wakeups > 0 {
                state.wakeups -= 1;
                return (state, true);
            }
            if state.shutdown {
                // Draining: queued jobs still run.
                state.idle -= 1;
                let drain = !state.queue.is_empty();
                return (state, drain);
            }
            state = match deadline {
                None => self
                    .work_ready
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        // Keep-alive over. The last thread stays while jobs
                        // are queued (possible after spawn failures).
                        state.idle -= 1;
                        let stay = state.threads == 1 && !state.queue.is_empty();
                        return (state, stay);
                    }
                    self.work_ready
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<ThreadPool>();
    }
}
