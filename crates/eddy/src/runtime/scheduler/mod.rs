//! Schedulers: what decides which task runs next. Each owns a
//! [`Driver`](super::driver::Driver) and parks it when idle; none knows how
//! the driver works. [`Handle`] is the one type the rest of the crate sees,
//! whichever scheduler is behind it.

pub(crate) mod current_thread;
pub(crate) mod multi_thread;
mod spawn_sites;

pub(crate) use spawn_sites::SpawnSites;

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::driver;
use crate::task::{Id, JoinHandle};

/// Settings shared by every scheduler (from the `Builder`).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Task polls between two zero-timeout driver polls.
    pub(crate) event_interval: u32,
    /// Report task polls longer than this (off when `None`).
    pub(crate) warn_on_blocking: Option<Duration>,
    /// Name of threads the runtime starts.
    pub(crate) thread_name: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            event_interval: 61,
            warn_on_blocking: None,
            thread_name: "eddy-runtime-worker".to_string(),
        }
    }
}

/// A handle to whichever scheduler runs the runtime.
#[derive(Debug, Clone)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
}

impl Handle {
    pub(crate) fn driver(&self) -> &driver::Handle {
        match self {
            Handle::CurrentThread(h) => &h.driver,
            Handle::MultiThread(h) => &h.driver,
        }
    }

    /// Whether both handles point at the same scheduler (and so runtime).
    pub(crate) fn ptr_eq(&self, other: &Handle) -> bool {
        match (self, other) {
            (Handle::CurrentThread(a), Handle::CurrentThread(b)) => Arc::ptr_eq(a, b),
            (Handle::MultiThread(a), Handle::MultiThread(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    #[allow(dead_code)]
    pub(crate) fn config(&self) -> &Config {
        match self {
            Handle::CurrentThread(h) => &h.config,
            Handle::MultiThread(h) => &h.config,
        }
    }

    pub(crate) fn spawn<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Handle::CurrentThread(h) => h.spawn(future, Id::next(), location),
            Handle::MultiThread(h) => h.spawn(future, Id::next(), location),
        }
    }

    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _block = super::context::enter_block_on();
        let _current = super::context::set_current(self);
        match self {
            Handle::CurrentThread(h) => h.block_on(future),
            Handle::MultiThread(h) => h.block_on(future),
        }
    }

    pub(crate) fn shutdown(&self) {
        self.shutdown_timeout(None);
    }

    /// Shuts down, waiting at most `timeout` (`None`: as long as it takes)
    /// for worker threads still running a task.
    pub(crate) fn shutdown_timeout(&self, timeout: Option<Duration>) {
        let _current = super::context::set_current(self);
        match self {
            Handle::CurrentThread(h) => h.shutdown(),
            Handle::MultiThread(h) => h.shutdown(timeout),
        }
        // Blocking tasks: queued ones are cancelled, running ones waited for
        // (up to `timeout`).
        self.driver().blocking.shutdown(timeout);
    }
}

/// Runs `f`, a blocking call, without stalling the other tasks: on a
/// multi-thread worker the worker's queue and driver move to a new thread
/// first. Outside a runtime (or on a thread that only calls `block_on`) it
/// just runs `f`.
///
/// # Panics
///
/// On a current-thread runtime, whose only thread would be blocked.
#[track_caller]
pub(crate) fn block_in_place<F: FnOnce() -> R, R>(f: F) -> R {
    let on_current_thread =
        super::context::with_current(|h| matches!(h, Handle::CurrentThread(_))).unwrap_or(false);
    if on_current_thread {
        panic!(
            "eddy::task::block_in_place called on a current-thread runtime: it has no other \
             thread to run the remaining tasks while this one blocks. Use a multi-thread \
             runtime (Builder::new_multi_thread, #[eddy::main] or \
             #[eddy::test(flavor = \"multi_thread\")]) or move the blocking call to its own \
             thread."
        );
    }
    // `f` is the caller's declared blocking section: `eddy::sync`'s
    // `blocking_*` methods are allowed in it.
    let _may_block = super::context::allow_blocking();
    multi_thread::block_in_place(f)
}
