//! [`Builder`]: configures a [`Runtime`].

use std::io;
use std::time::Duration;

use super::driver::Driver;
use super::scheduler::{self, Config, current_thread, multi_thread};
use super::{Handle, Runtime};
use crate::task::blocking::{self, BlockingPool};

/// Builds a [`Runtime`] with custom settings.
///
/// ```
/// use eddy::runtime::Builder;
/// use std::time::Duration;
///
/// let rt = Builder::new_current_thread()
///     .event_interval(31)
///     .warn_on_blocking(Duration::from_millis(100))
///     .build()?;
/// assert_eq!(rt.block_on(async { 7 }), 7);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    kind: Kind,
    config: Config,
    worker_threads: Option<usize>,
    max_blocking_threads: usize,
    thread_keep_alive: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CurrentThread,
    MultiThread,
}

impl Builder {
    /// A runtime that runs every task on the thread calling `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder {
            kind: Kind::CurrentThread,
            config: Config::default(),
            worker_threads: None,
            max_blocking_threads: blocking::DEFAULT_MAX_BLOCKING_THREADS,
            thread_keep_alive: blocking::DEFAULT_KEEP_ALIVE,
        }
    }

    /// A work-stealing runtime on a pool of worker threads (what
    /// [`Runtime::new`] builds): each worker has its own run queue, idle
    /// workers steal from busy ones, and one of the idle workers at a time
    /// waits in the reactor.
    ///
    /// ```
    /// let rt = eddy::runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .build()?;
    /// let sum = rt.block_on(async {
    ///     let tasks: Vec<_> = (0..8u64).map(|i| eddy::spawn(async move { i * i })).collect();
    ///     let mut sum = 0;
    ///     for task in tasks {
    ///         sum += task.await.unwrap();
    ///     }
    ///     sum
    /// });
    /// assert_eq!(sum, 140);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder {
            kind: Kind::MultiThread,
            config: Config::default(),
            worker_threads: None,
            max_blocking_threads: blocking::DEFAULT_MAX_BLOCKING_THREADS,
            thread_keep_alive: blocking::DEFAULT_KEEP_ALIVE,
        }
    }

    /// The name of threads the runtime starts (multi-thread workers; the
    /// current-thread runtime starts none).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.config.thread_name = name.into();
        self
    }

    /// Worker threads of a multi-thread runtime (ignored by the
    /// current-thread runtime). The default is the `EDDY_WORKER_THREADS`
    /// environment variable if set, else the number of CPUs. Must be 1 to
    /// 4096: [`build`](Self::build) reports anything else as an error, as
    /// it does a bad `EDDY_WORKER_THREADS`.
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.worker_threads = Some(n);
        self
    }

    /// After this many task polls the scheduler checks for I/O and timers
    /// even if tasks are still ready (default 61). At least 1.
    pub fn event_interval(&mut self, n: u32) -> &mut Self {
        self.config.event_interval = n.max(1);
        self
    }

    /// Logs a warning (through the `log` crate, once per task, with the
    /// task id and where it was spawned) when one poll of a task runs
    /// longer than `threshold`: the task blocked the event loop. Off by
    /// default.
    pub fn warn_on_blocking(&mut self, threshold: Duration) -> &mut Self {
        self.config.warn_on_blocking = Some(threshold);
        self
    }

    /// The most threads the blocking pool
    /// ([`spawn_blocking`](crate::task::spawn_blocking), [`fs`](crate::fs))
    /// starts (default 512, at least 1). Blocking calls beyond it wait in a
    /// FIFO queue; none fails for lack of threads.
    ///
    /// ```
    /// let rt = eddy::runtime::Builder::new_current_thread()
    ///     .max_blocking_threads(2)
    ///     .build()?;
    /// let sum = rt.block_on(async {
    ///     let calls: Vec<_> = (0..8).map(|i| eddy::task::spawn_blocking(move || i)).collect();
    ///     let mut sum = 0;
    ///     for call in calls {
    ///         sum += call.await.unwrap();
    ///     }
    ///     sum
    /// });
    /// assert_eq!(sum, 28);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.max_blocking_threads = n.max(1);
        self
    }

    /// How long an idle blocking-pool thread waits for work before it exits
    /// (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = eddy::runtime::Builder::new_current_thread()
    ///     .thread_keep_alive(Duration::from_millis(100))
    ///     .build()?;
    /// assert_eq!(rt.block_on(async { eddy::task::spawn_blocking(|| 1).await }).unwrap(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn thread_keep_alive(&mut self, idle: Duration) -> &mut Self {
        self.thread_keep_alive = idle;
        self
    }

    fn blocking_pool(&self) -> BlockingPool {
        BlockingPool::new(
            self.max_blocking_threads,
            self.thread_keep_alive,
            &self.config.thread_name,
        )
    }

    /// Creates the runtime: its event queue, its waker and its timers.
    pub fn build(&mut self) -> io::Result<Runtime> {
        match self.kind {
            Kind::CurrentThread => {
                let (driver, mut driver_handle) = Driver::new()?;
                driver_handle.blocking = self.blocking_pool();
                let handle =
                    current_thread::Handle::new(driver, driver_handle, self.config.clone());
                Ok(Runtime::from_handle(Handle {
                    inner: scheduler::Handle::CurrentThread(handle),
                }))
            }
            Kind::MultiThread => {
                let workers = match self.worker_threads {
                    Some(n) => multi_thread::check_worker_threads(n)?,
                    None => multi_thread::parse_worker_threads(
                        std::env::var_os("EDDY_WORKER_THREADS").as_deref(),
                    )?
                    .unwrap_or_else(multi_thread::default_worker_threads),
                };
                let (driver, mut driver_handle) = Driver::new()?;
                driver_handle.blocking = self.blocking_pool();
                let handle =
                    multi_thread::Handle::new(driver, driver_handle, self.config.clone(), workers)?;
                Ok(Runtime::from_handle(Handle {
                    inner: scheduler::Handle::MultiThread(handle),
                }))
            }
        }
    }
}
