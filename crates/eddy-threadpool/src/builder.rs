//! [`Builder`]: the pool's policy (elastic or fixed) and thread settings.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::ThreadPool;

/// Called when the OS refuses to start a pool thread.
pub(crate) type SpawnErrorHook = Arc<dyn Fn(&io::Error) + Send + Sync>;

/// Names the pool thread with the given index.
pub(crate) type ThreadNameFn = Arc<dyn Fn(usize) -> String + Send + Sync>;

/// Configures a [`ThreadPool`].
///
/// ```
/// use std::time::Duration;
/// use eddy_threadpool::Builder;
///
/// let pool = Builder::elastic(64)
///     .keep_alive(Duration::from_secs(2))
///     .thread_name("my-blocking")
///     .stack_size(256 * 1024)
///     .on_spawn_error(|e| eprintln!("blocking pool: cannot start a thread: {e}"))
///     .build();
/// assert_eq!(pool.submit(|| 2 + 2).unwrap().join().unwrap(), 4);
/// ```
#[derive(Clone)]
pub struct Builder {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Option<Duration>,
    pub(crate) thread_name: ThreadNameFn,
    pub(crate) drain_on_drop: bool,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_spawn_error: Option<SpawnErrorHook>,
}

/// The keep-alive of an elastic pool unless [`Builder::keep_alive`] says
/// otherwise.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

impl Builder {
    /// A pool that starts threads on demand up to `max_threads` (at least 1)
    /// and lets a thread exit after it has been idle for the keep-alive.
    pub fn elastic(max_threads: usize) -> Builder {
        Builder {
            max_threads: max_threads.max(1),
            keep_alive: Some(DEFAULT_KEEP_ALIVE),
            thread_name: fixed_name("eddy-blocking"),
            drain_on_drop: false,
            stack_size: None,
            on_spawn_error: None,
        }
    }

    /// A pool of at most `threads` threads (at least 1), started as work
    /// first needs them and kept until shutdown.
    pub fn fixed(threads: usize) -> Builder {
        Builder {
            max_threads: threads.max(1),
            keep_alive: None,
            thread_name: fixed_name("eddy-pool"),
            drain_on_drop: false,
            stack_size: None,
            on_spawn_error: None,
        }
    }

    /// How long an idle thread waits for work before it exits (elastic
    /// pools; ignored by fixed ones).
    pub fn keep_alive(&mut self, idle: Duration) -> &mut Builder {
        if self.keep_alive.is_some() {
            self.keep_alive = Some(idle);
        }
        self
    }

    /// The name every pool thread gets (shown by debuggers and in panic
    /// messages).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = fixed_name(name.into());
        self
    }

    /// Names each pool thread from its index (0, 1, 2, ... in start order),
    /// e.g. `|i| format!("worker-{i}")`.
    pub fn thread_name_fn(
        &mut self,
        name: impl Fn(usize) -> String + Send + Sync + 'static,
    ) -> &mut Builder {
        self.thread_name = Arc::new(name);
        self
    }

    /// What dropping the pool does with queued jobs: by default they are
    /// dropped unrun and running ones are not waited for
    /// ([`ThreadPool::shutdown_timeout`] with a zero timeout); with `true`,
    /// the drop runs every queued job and joins the threads
    /// ([`ThreadPool::shutdown_drain`] without a timeout), as libuv does.
    pub fn drain_on_drop(&mut self, drain: bool) -> &mut Builder {
        self.drain_on_drop = drain;
        self
    }

    /// The stack size of pool threads (the platform default otherwise).
    pub fn stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Called with the OS error when a thread cannot be started (once per
    /// streak of failures: a successful start re-arms it). The job stays
    /// queued either way.
    pub fn on_spawn_error(
        &mut self,
        hook: impl Fn(&io::Error) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.on_spawn_error = Some(Arc::new(hook));
        self
    }

    /// Creates the pool. No thread starts until the first job.
    pub fn build(&self) -> ThreadPool {
        ThreadPool::new(self.clone())
    }
}

fn fixed_name(name: impl Into<String>) -> ThreadNameFn {
    let name: String = name.into();
    Arc::new(move |_| name.clone())
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_threads", &self.max_threads)
            .field("keep_alive", &self.keep_alive)
            .field("thread_name", &(self.thread_name)(0))
            .field("drain_on_drop", &self.drain_on_drop)
            .field("stack_size", &self.stack_size)
            .field("on_spawn_error", &self.on_spawn_error.is_some())
            .finish()
    }
}
