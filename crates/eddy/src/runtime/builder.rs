//! [`Builder`]: configures a [`Runtime`].

use std::io;
use std::time::Duration;

use super::driver::Driver;
use super::scheduler::{self, Config, current_thread};
use super::{Handle, Runtime};

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
        }
    }

    /// A work-stealing runtime on a pool of worker threads.
    ///
    /// Not built yet: [`build`](Self::build) returns an error saying so
    /// until the multi-thread scheduler lands.
    ///
    /// ```
    /// let err = eddy::runtime::Builder::new_multi_thread().build().unwrap_err();
    /// assert!(err.to_string().contains("not built yet"));
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder {
            kind: Kind::MultiThread,
            config: Config::default(),
            worker_threads: None,
        }
    }

    /// The name of threads the runtime starts (multi-thread workers; the
    /// current-thread runtime starts none).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.config.thread_name = name.into();
        self
    }

    /// Worker threads of a multi-thread runtime (ignored by the
    /// current-thread runtime).
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

    /// Creates the runtime: its event queue, its waker and its timers.
    pub fn build(&mut self) -> io::Result<Runtime> {
        match self.kind {
            Kind::CurrentThread => {
                let (driver, driver_handle) = Driver::new()?;
                let handle =
                    current_thread::Handle::new(driver, driver_handle, self.config.clone());
                Ok(Runtime::from_handle(Handle {
                    inner: scheduler::Handle::CurrentThread(handle),
                }))
            }
            Kind::MultiThread => {
                let _ = self.worker_threads;
                Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "build an eddy multi-thread runtime: the multi-thread scheduler is not built \
                     yet; use Builder::new_current_thread() (or #[eddy::main(flavor = \
                     \"current_thread\")])",
                ))
            }
        }
    }
}
