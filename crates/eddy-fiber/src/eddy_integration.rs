//! Fibers as tasks of an eddy runtime: [`spawn_on`] runs fibers on the
//! thread of an eddy current-thread runtime, sharing its reactor with the
//! futures there.
//!
//! One eddy task per thread, the *host*, drives a fiber scheduler. The
//! scheduler's own event queue (an epoll descriptor) is watched by eddy's
//! reactor through an [`AsyncFd`] (epoll nests in epoll: the inner queue's
//! descriptor becomes readable when one of its sockets has an event), and
//! its next timer deadline is an eddy [`Sleep`]. Each time the host is
//! polled it runs one batch (the fibers runnable at that moment, each until
//! it parks or yields) and returns: if fibers are still runnable it wakes
//! itself, so futures on the thread get their turn between batches;
//! otherwise it waits for the AsyncFd, the Sleep, or a wake-up from a
//! future or another thread. Dropping the eddy runtime drops the host,
//! which cancels the fibers still alive (their stacks unwind).

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use eddy::io::Interest;
use eddy::io::unix::AsyncFd;
use eddy::time::Sleep;

use crate::fiber::JoinHandle;
use crate::scheduler::{self, Config, Scheduler};
use crate::stack::DEFAULT_STACK_SIZE;

/// Spawns a fiber running `f` on the eddy runtime of `handle`, which must
/// be a current-thread runtime driven by this thread (call it inside its
/// `block_on` or one of its tasks). The fiber runs on this thread between
/// the runtime's futures; awaiting the returned [`JoinHandle`] from async
/// code waits for it, and inside it [`block_on_future`](crate::block_on_future)
/// parks only the fiber while an eddy future runs.
///
/// The first call on a thread starts the host task (see the module docs);
/// later calls reuse it until that runtime is dropped. Fibers use the
/// default 256 KiB stacks.
///
/// ```
/// let rt = eddy::runtime::Builder::new_current_thread().build()?;
/// let sum = rt.block_on(async {
///     let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
///     let fiber = eddy_fiber::spawn_on(&eddy::runtime::Handle::current(), move || {
///         for i in 1..=3 {
///             // A fiber sends to a future; `sleep` parks only this fiber.
///             tx.send(i).unwrap();
///             eddy_fiber::sleep(std::time::Duration::from_millis(1));
///         }
///         "fiber done"
///     });
///     let mut sum = 0;
///     while let Some(i) = rx.recv().await {
///         sum += i;
///     }
///     assert_eq!(fiber.await.unwrap(), "fiber done");
///     sum
/// });
/// assert_eq!(sum, 6);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Panics
///
/// When this thread does not drive `handle`'s runtime as a current-thread
/// runtime (eddy cannot run a `!Send` task elsewhere), when the fiber
/// scheduler's event queue cannot be created or registered, or when the
/// fiber's stack cannot be mapped.
#[track_caller]
pub fn spawn_on<F, T>(handle: &eddy::runtime::Handle, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let _entered = handle.enter();
    let scheduler = match scheduler::hosted() {
        Some(scheduler) => scheduler,
        None => start_host().unwrap_or_else(|e| panic!("eddy_fiber::spawn_on: {e}")),
    };
    let join = scheduler
        .spawn(None, None, f)
        .unwrap_or_else(|e| panic!("eddy_fiber::spawn_on: {e}"));
    scheduler.wake_host();
    join
}

/// Creates a scheduler and the eddy task hosting it on this thread.
#[track_caller]
fn start_host() -> io::Result<Rc<Scheduler>> {
    let scheduler = Rc::new(Scheduler::new(&Config {
        stack_size: DEFAULT_STACK_SIZE,
        stack_pool_size: 256,
        preserve_fp_control: true,
    })?);
    let queue = AsyncFd::with_interest(QueueFd(scheduler.io.raw_fd()), Interest::READABLE)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("watch the fiber scheduler's event queue from eddy: {e}"),
            )
        })?;
    scheduler::set_hosted(Some(&scheduler));
    let host = Host {
        queue,
        sleep: None,
        scheduler: scheduler.clone(),
    };
    drop(eddy::task::spawn_local(host));
    Ok(scheduler)
}

/// The fiber scheduler's event queue descriptor (owned by the scheduler).
#[derive(Debug)]
struct QueueFd(RawFd);

impl AsRawFd for QueueFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// The eddy task driving a fiber scheduler (see the module docs).
struct Host {
    /// Declared before `scheduler`: deregistered before the queue closes.
    queue: AsyncFd<QueueFd>,
    /// The next fiber timer, and the deadline it was set for.
    sleep: Option<(Pin<Box<Sleep>>, Instant)>,
    scheduler: Rc<Scheduler>,
}

impl Host {
    /// Arms the eddy timer for the scheduler's next deadline; `Ready` when
    /// it has already passed.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.scheduler.next_deadline() else {
            self.sleep = None;
            return Poll::Pending;
        };
        if deadline <= Instant::now() {
            return Poll::Ready(());
        }
        // eddy's timers have millisecond resolution: round up so the fiber
        // timer is due when the Sleep fires (no spinning just before it).
        let target = eddy::time::Instant::from_std(deadline + Duration::from_millis(1));
        match &mut self.sleep {
            Some((sleep, set_for)) if *set_for == deadline => sleep.as_mut().poll(cx),
            Some((sleep, set_for)) => {
                *set_for = deadline;
                sleep.as_mut().reset(target);
                sleep.as_mut().poll(cx)
            }
            None => {
                let mut sleep = Box::pin(eddy::time::sleep_until(target));
                let polled = sleep.as_mut().poll(cx);
                self.sleep = Some((sleep, deadline));
                polled
            }
        }
    }
}

impl Future for Host {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        {
            let mut host_waker = this.scheduler.host_waker.borrow_mut();
            if !host_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *host_waker = Some(cx.waker().clone());
            }
        }
        // Take the inner queue's readiness; `run_hosted` drains the queue.
        match this.queue.poll_read_ready(cx) {
            Poll::Ready(Ok(mut guard)) => guard.clear_ready(),
            // The eddy runtime is shutting down: stop driving fibers.
            Poll::Ready(Err(_)) => return Poll::Ready(()),
            Poll::Pending => {}
        }
        this.scheduler.run_hosted();
        if this.scheduler.has_runnable() || this.poll_timer(cx).is_ready() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // From here on, wake-ups from other threads go through the inner
        // queue's waker (and so through eddy's reactor).
        if !this.scheduler.remote.begin_sleep() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match this.queue.poll_read_ready(cx) {
            // An event arrived during the batch: go round again.
            Poll::Ready(Ok(_)) => cx.waker().wake_by_ref(),
            Poll::Ready(Err(_)) => return Poll::Ready(()),
            Poll::Pending => {}
        }
        Poll::Pending
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if scheduler::hosted().is_some_and(|s| Rc::ptr_eq(&s, &self.scheduler)) {
            scheduler::set_hosted(None);
        }
        *self.scheduler.host_waker.borrow_mut() = None;
        self.scheduler.shutdown();
    }
}
