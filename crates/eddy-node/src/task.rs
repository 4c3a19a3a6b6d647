//! Futures on the loop: [`spawn`] runs a `!Send` future as a JavaScript
//! engine runs an `async` function.
//!
//! The future is polled at once (an async function runs synchronously up to
//! its first `await`); each wake-up then queues its next poll as a
//! microtask, so promise continuations interleave with next ticks and
//! callbacks exactly as in Node. A waker called from another thread hands
//! the wake to the loop through the loop's `eddy_poll::Waker`; the task is
//! then polled in the poll phase.

use std::collections::HashMap;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::callback::{Callback, catch_quietly};
use crate::r#loop::{LoopInner, try_current, with_current};
use crate::promise::{Promise, promise};
use crate::work::Remote;

struct TaskSlot {
    /// `None` while the task is being polled.
    future: Option<Pin<Box<dyn Future<Output = ()>>>>,
    waker: Waker,
    /// A poll is already queued: further wakes add nothing.
    scheduled: bool,
    site: &'static Location<'static>,
}

/// The spawned futures of a loop.
#[derive(Default)]
pub(crate) struct TaskSet {
    tasks: HashMap<u64, TaskSlot>,
    next_id: u64,
}

struct TaskWaker {
    loop_id: usize,
    task: u64,
    remote: Arc<Remote>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match try_current() {
            Some(lp) if lp.id == self.loop_id => lp.schedule_task(self.task),
            _ => self.remote.wake_task(self.task),
        }
    }
}

impl LoopInner {
    /// Queues a poll of `task` as a microtask, once per wake-up batch.
    pub(crate) fn schedule_task(&self, task: u64) {
        let site = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(slot) = tasks.tasks.get_mut(&task) else {
                return;
            };
            if slot.scheduled {
                return;
            }
            slot.scheduled = true;
            slot.site
        };
        let cb = Callback::new(site, move || with_current(|lp| lp.poll_task(task)));
        self.microtasks.borrow_mut().push_back(cb);
    }

    /// Polls `task` once; a panic is reported like a callback's.
    pub(crate) fn poll_task(&self, task: u64) {
        let (mut future, waker, site) = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(slot) = tasks.tasks.get_mut(&task) else {
                return;
            };
            slot.scheduled = false;
            let Some(future) = slot.future.take() else {
                return; // being polled already (a re-entrant wake)
            };
            (future, slot.waker.clone(), slot.site)
        };
        let mut cx = Context::from_waker(&waker);
        match catch_quietly(|| future.as_mut().poll(&mut cx)) {
            Ok(Poll::Pending) => {
                if let Some(slot) = self.tasks.borrow_mut().tasks.get_mut(&task) {
                    slot.future = Some(future);
                }
            }
            Ok(Poll::Ready(())) => {
                self.tasks.borrow_mut().tasks.remove(&task);
            }
            Err((payload, location)) => {
                self.tasks.borrow_mut().tasks.remove(&task);
                drop(future);
                self.report_uncaught(payload, location, site);
            }
        }
    }
}

/// Runs `future` on the loop, like calling an `async` function in
/// JavaScript: it starts at once and continues as a microtask after each
/// wake-up. The returned [`Promise`] resolves to its output. A pending
/// future does not keep the loop alive by itself (what it awaits does).
///
/// ```
/// eddy_node::run(|| {
///     let p = eddy_node::spawn(async { 6 * 7 });
///     eddy_node::spawn(async move { assert_eq!(p.await, 42) });
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn spawn<F>(future: F) -> Promise<F::Output>
where
    F: Future + 'static,
{
    let site = Location::caller();
    let (resolver, output) = promise();
    with_current(|lp| {
        let id = {
            let mut tasks = lp.tasks.borrow_mut();
            let id = tasks.next_id;
            tasks.next_id += 1;
            let waker = Waker::from(Arc::new(TaskWaker {
                loop_id: lp.id,
                task: id,
                remote: Arc::clone(&lp.remote),
            }));
            tasks.tasks.insert(
                id,
                TaskSlot {
                    future: Some(Box::pin(async move { resolver.resolve(future.await) })),
                    waker,
                    scheduled: false,
                    site,
                },
            );
            id
        };
        lp.poll_task(id);
    });
    output
}
