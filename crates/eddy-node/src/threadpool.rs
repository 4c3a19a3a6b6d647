//! A fixed-size pool of threads for blocking work, libuv's policy: N threads
//! (default 4, `EDDY_THREADPOOL_SIZE` overrides it like `UV_THREADPOOL_SIZE`)
//! started as work first needs them, one FIFO queue, work beyond N waits in
//! the queue.
//!
//! The pool itself is `eddy_threadpool`'s fixed policy (shared with `eddy`'s
//! `spawn_blocking`); this module adds the libuv sizing rules and Node-style
//! errors. A job that panics is caught (the thread lives on and keeps
//! serving the queue). The loop's `queue_work` wraps each job so that its
//! result (or its panic, turned into an [`Error`]) is handed back to the loop
//! thread. Dropping the pool runs the jobs still queued, then joins the
//! threads.

use std::fmt;

use crate::Error;

/// The default number of threads, as libuv.
pub const DEFAULT_SIZE: usize = 4;
/// The largest size `EDDY_THREADPOOL_SIZE` may ask for, as libuv.
pub const MAX_SIZE: usize = 1024;
/// The environment variable that sets the pool size.
pub const SIZE_ENV: &str = "EDDY_THREADPOOL_SIZE";

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
    pool: eddy_threadpool::ThreadPool,
    size: usize,
    name: String,
}

impl ThreadPool {
    /// A pool of `size` threads (clamped to `1..=MAX_SIZE`) named `name-N`.
    pub fn new(size: usize, name: &str) -> ThreadPool {
        let size = size.clamp(1, MAX_SIZE);
        let prefix = name.to_owned();
        let pool = eddy_threadpool::Builder::fixed(size)
            .thread_name_fn(move |i| format!("{prefix}-{i}"))
            .drain_on_drop(true)
            .build();
        ThreadPool {
            pool,
            size,
            name: name.to_owned(),
        }
    }

    /// The number of threads the pool runs (at most; they start as work
    /// needs them).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Queues `job`; a free thread runs it. A panic inside `job` is caught
    /// and the thread keeps serving. Never fails for lack of threads (a
    /// thread that cannot start leaves the job queued for a running or
    /// later-started one); fails only once the pool is shut down.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Error> {
        self.pool
            .execute(job)
            .map_err(|e| Error::new("ERR_THREADPOOL_SHUT_DOWN", e.to_string()))
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("pool", &self.pool)
            .finish()
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
