//! Work on the thread pool, and the way results come back to the loop.
//!
//! [`queue_work`] (libuv's `uv_queue_work`) runs a closure on the pool and
//! its callback on the loop thread. The pool thread puts the result in the
//! loop's `Remote` mailbox and wakes the loop's `eddy_poll::Waker`; the
//! poll phase then runs the callback. Pending work keeps the loop alive (an
//! "active request"). A panic in the work closure is caught on the pool
//! thread (which lives on) and delivered to the callback as an error with
//! code `ERR_WORKER_PANIC`.

use std::any::Any;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use eddy_poll::{Registry, Waker};

use crate::Error;
use crate::callback::{Callback, catch_quietly, panic_message};
use crate::r#loop::{WAKER_TOKEN, with_current};
use crate::slab::Key;

/// A callback waiting for its pool work: it downcasts the boxed result.
pub(crate) struct WorkDone {
    pub(crate) site: &'static Location<'static>,
    pub(crate) deliver: Box<dyn FnOnce(Box<dyn Any + Send>)>,
}

/// The loop's mailbox for other threads: pool results and task wake-ups.
pub(crate) struct Remote {
    mailbox: Mutex<Mailbox>,
    /// Set when something was posted since the loop last looked.
    notified: AtomicBool,
    waker: Waker,
}

#[derive(Default)]
struct Mailbox {
    completions: Vec<(Key, Box<dyn Any + Send>)>,
    woken_tasks: Vec<u64>,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote").finish_non_exhaustive()
    }
}

impl Remote {
    pub(crate) fn new(registry: &Registry) -> Result<Remote, Error> {
        Ok(Remote {
            mailbox: Mutex::new(Mailbox::default()),
            notified: AtomicBool::new(false),
            waker: Waker::new(registry, WAKER_TOKEN)
                .map_err(|e| Error::from_io(e, "eventfd", None))?,
        })
    }

    fn post(&self, f: impl FnOnce(&mut Mailbox)) {
        f(&mut self.mailbox.lock().unwrap_or_else(PoisonError::into_inner));
        if !self.notified.swap(true, Ordering::AcqRel) {
            // If the wake fails the loop is gone: nobody waits for this.
            let _ = self.waker.wake();
        }
    }

    /// Posts a pool result (from a pool thread).
    fn complete(&self, key: Key, result: Box<dyn Any + Send>) {
        self.post(|m| m.completions.push((key, result)));
    }

    /// Posts a task wake-up (from a thread other than the loop's).
    pub(crate) fn wake_task(&self, task: u64) {
        self.post(|m| m.woken_tasks.push(task));
    }

    /// Clears and returns the "something was posted" flag. Called before
    /// [`Remote::take`], so a post racing with it re-sets the flag.
    pub(crate) fn take_notified(&self) -> bool {
        self.notified.swap(false, Ordering::AcqRel)
    }

    /// Takes everything posted so far.
    #[allow(clippy::type_complexity)]
    pub(crate) fn take(&self) -> (Vec<(Key, Box<dyn Any + Send>)>, Vec<u64>) {
        let mut mailbox = self.mailbox.lock().unwrap_or_else(PoisonError::into_inner);
        (
            std::mem::take(&mut mailbox.completions),
            std::mem::take(&mut mailbox.woken_tasks),
        )
    }
}

/// Runs `work` on the thread pool and `done` with its result on the loop
/// thread, in the poll phase (libuv's `uv_queue_work`).
///
/// ```
/// eddy_node::run(|| {
///     eddy_node::work::queue_work(
///         || Ok((1..=20u64).product::<u64>()),
///         |result| println!("20! = {}", result.unwrap()),
///     );
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn queue_work<T, W, D>(work: W, done: D)
where
    T: Send + 'static,
    W: FnOnce() -> Result<T, Error> + Send + 'static,
    D: FnOnce(Result<T, Error>) + 'static,
{
    let site = Location::caller();
    with_current(|lp| {
        let deliver = Box::new(move |result: Box<dyn Any + Send>| {
            let result = match result.downcast::<Result<T, Error>>() {
                Ok(result) => *result,
                Err(_) => Err(Error::new("ERR_INTERNAL", "pool result of the wrong type")),
            };
            done(result);
        });
        let key = lp.work.borrow_mut().insert(WorkDone { site, deliver });
        lp.active_reqs.set(lp.active_reqs.get() + 1);
        let remote = std::sync::Arc::clone(&lp.remote);
        let job = move || {
            let result: Result<T, Error> = match catch_quietly(work) {
                Ok(result) => result,
                Err((payload, location)) => Err(Error::new(
                    "ERR_WORKER_PANIC",
                    format!(
                        "work function panicked: {}{}",
                        panic_message(&*payload),
                        location.map_or(String::new(), |l| format!(" (at {l})"))
                    ),
                )),
            };
            remote.complete(key, Box::new(result));
        };
        if let Err(error) = lp.pool().execute(job) {
            // No thread could start: fail the request in the pending phase.
            let done = lp.work.borrow_mut().remove(key);
            lp.active_reqs.set(lp.active_reqs.get() - 1);
            if let Some(done) = done {
                let WorkDone { site, deliver } = done;
                let result: Box<dyn Any + Send> = Box::new(Err::<T, Error>(error));
                lp.pending
                    .borrow_mut()
                    .push_back(Callback::new(site, move || deliver(result)));
            }
        }
    });
}

/// [`queue_work`] as a future.
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn queue_work_async<T, W>(work: W) -> crate::promise::Promise<Result<T, Error>>
where
    T: Send + 'static,
    W: FnOnce() -> Result<T, Error> + Send + 'static,
{
    let (resolver, promise) = crate::promise::promise();
    queue_work(work, move |result| resolver.resolve(result));
    promise
}
