//! A fixed-size pool of threads for blocking work, libuv's policy: N threads
//! (default 4, `EDDY_THREADPOOL_SIZE` overrides it like `UV_THREADPOOL_SIZE`)
//! started on first use, one FIFO queue, work beyond N waits in the queue.
//!
//! The pool knows nothing about the loop: it runs `FnOnce() + Send` jobs
//! and a job that panics is caught (the thread lives on and keeps serving
//! the queue). The loop's `queue_work` wraps each job so that its result
//! (or its panic, turned into an [`Error`]) is handed back to the loop
//! thread; any other runtime that wants a fixed-size blocking pool can use
//! [`ThreadPool`] directly.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};

use crate::Error;

/// The default number of threads, as libuv.
pub const DEFAULT_SIZE: usize = 4;
/// The largest size `EDDY_THREADPOOL_SIZE` may ask for, as libuv.
pub const MAX_SIZE: usize = 1024;
/// The environment variable that sets the pool size.
pub const SIZE_ENV: &str = "EDDY_THREADPOOL_SIZE";

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Reads the pool size from [`SIZE_ENV`]: unset means [`DEFAULT_SIZE`], and
/// anything but an integer in `1..=1024` is an error naming the variable.
pub fn size_from_env() -> Result<usize, Error> {
    match std::env::var(SIZE_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_SIZE),
        Err(std::env::VarError::NotUnicode(_)) => Err(bad_size("(not unicode)")),
        Ok(value) => parse_size(&value),
    }
}

/// Parses a pool size as [`size_from_env`] does.
pub fn parse_size(value: &str) -> Result<usize, Error> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_SIZE).contains(&n) => Ok(n),
        _ => Err(bad_size(value)),
    }
}

fn bad_size(value: &str) -> Error {
    Error::new(
        "ERR_INVALID_ARG_VALUE",
        format!("{SIZE_ENV} must be an integer in 1..={MAX_SIZE}, got {value:?}"),
    )
}

/// A fixed-size thread pool with one FIFO queue; threads start lazily.
///
/// ```
/// use std::sync::mpsc;
/// let pool = eddy_node::threadpool::ThreadPool::new(2, "doc-pool");
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
    size: usize,
    name: String,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

struct Shared {
    state: Mutex<QueueState>,
    work_ready: Condvar,
}

struct QueueState {
    jobs: VecDeque<Job>,
    shutting_down: bool,
}

impl ThreadPool {
    /// A pool of `size` threads (clamped to `1..=MAX_SIZE`) named `name-N`.
    pub fn new(size: usize, name: &str) -> ThreadPool {
        ThreadPool {
            shared: Arc::new(Shared {
                state: Mutex::new(QueueState {
                    jobs: VecDeque::new(),
                    shutting_down: false,
                }),
                work_ready: Condvar::new(),
            }),
            size: size.clamp(1, MAX_SIZE),
            name: name.to_owned(),
            threads: Mutex::new(Vec::new()),
        }
    }

    /// The number of threads the pool runs (once started).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Queues `job`; a free thread runs it. A panic inside `job` is caught
    /// and the thread keeps serving. Fails only if a thread cannot be
    /// started and none is running yet.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Error> {
        self.start_threads()?;
        let mut state = self
            .shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.jobs.push_back(Box::new(job));
        drop(state);
        self.shared.work_ready.notify_one();
        Ok(())
    }

    fn start_threads(&self) -> Result<(), Error> {
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        while threads.len() < self.size {
            let shared = Arc::clone(&self.shared);
            let spawned = thread::Builder::new()
                .name(format!("{}-{}", self.name, threads.len()))
                .spawn(move || worker(&shared));
            match spawned {
                Ok(handle) => threads.push(handle),
                // Some threads run: the queue is served, just by fewer.
                Err(_) if !threads.is_empty() => break,
                Err(err) => return Err(Error::from_io(err, "pthread_create", None)),
            }
        }
        Ok(())
    }
}

/// The body of each pool thread: take jobs in order until shutdown.
fn worker(shared: &Shared) {
    loop {
        let job = {
            let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    break job;
                }
                if state.shutting_down {
                    return;
                }
                state = shared
                    .work_ready
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        // A job that wants its panic reported catches it itself (the loop's
        // wrapper does); this only keeps the thread alive.
        let _ = panic::catch_unwind(AssertUnwindSafe(job));
    }
}

impl Drop for ThreadPool {
    /// Lets the threads finish the queued jobs, then joins them.
    fn drop(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .shutting_down = true;
        self.shared.work_ready.notify_all();
        let threads =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner));
        for handle in threads {
            let _ = handle.join();
        }
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn sizes_outside_the_range_are_errors() {
        assert_eq!(parse_size("1").unwrap(), 1);
        assert_eq!(parse_size(" 1024 ").unwrap(), 1024);
        for bad in ["0", "1025", "-3", "four", ""] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.to_string().contains(SIZE_ENV), "{err}");
        }
    }

    #[test]
    fn survives_a_panicking_job() {
        let pool = ThreadPool::new(1, "t-panic");
        let (tx, rx) = mpsc::channel();
        pool.execute(|| std::panic::resume_unwind(Box::new("boom")))
            .unwrap();
        pool.execute(move || tx.send(42).unwrap()).unwrap();
        assert_eq!(rx.recv().unwrap(), 42);
    }

    #[test]
    fn queues_beyond_the_size_in_fifo_order() {
        let pool = ThreadPool::new(1, "t-fifo");
        let (tx, rx) = mpsc::channel();
        for i in 0..50 {
            let tx = tx.clone();
            pool.execute(move || tx.send(i).unwrap()).unwrap();
        }
        let got: Vec<i32> = rx.iter().take(50).collect();
        assert_eq!(got, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn drop_finishes_queued_work() {
        let (tx, rx) = mpsc::channel();
        {
            let pool = ThreadPool::new(2, "t-drop");
            for i in 0..10 {
                let tx = tx.clone();
                pool.execute(move || tx.send(i).unwrap()).unwrap();
            }
        }
        drop(tx);
        assert_eq!(rx.iter().count(), 10);
    }
}
