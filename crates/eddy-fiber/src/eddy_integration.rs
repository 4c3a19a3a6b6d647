//! Fibers as tasks of an eddy runtime: [`spawn_on`] runs fibers on the
//! thread of an eddy current-thread runtime, sharing its reactor with the
//! futures there.
//!
//! One eddy task per runtime, the *host*, drives a fiber scheduler on the
//! thread that drives that runtime (a thread-local list maps each runtime,
//! compared with `Handle::ptr_eq`, to its scheduler). The
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

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use eddy::io::Interest;
use eddy::io::unix::AsyncFd;
use eddy::time::Sleep;

use crate::fiber::JoinHandle;
use crate::scheduler::{Config, Scheduler};
use crate::stack::DEFAULT_STACK_SIZE;

/// Spawns a fiber running `f` on the eddy runtime of `handle`, which must
/// be a current-thread runtime driven by this thread (call it inside its
/// `block_on` or one of its tasks). The fiber runs on this thread between
/// the runtime's futures; awaiting the returned [`JoinHandle`] from async
/// code waits for it, and inside it [`block_on_future`](crate::block_on_future)
/// parks only the fiber while an eddy future runs.
///
/// Each eddy runtime gets its own fiber scheduler on the thread that drives
/// it, started by the first `spawn_on` for that runtime (see the module
/// docs) and dropped with it; several runtimes, on one thread or on
/// several, each host their own fibers. Fibers use the default 256 KiB
/// stacks. [`try_spawn_on`] returns the errors instead of panicking.
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
/// With the message of [`try_spawn_on`]'s error, when that fails.
#[track_caller]
pub fn spawn_on<F, T>(handle: &eddy::runtime::Handle, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    try_spawn_on(handle, f).unwrap_or_else(|e| panic!("{e}"))
}

/// [`spawn_on`], returning an error instead of panicking when the fiber
/// cannot be started:
///
/// * `handle`'s runtime is not the one running on this thread (no runtime
///   here, or another one): fibers never move between threads, so they can
///   only join the runtime this thread drives;
/// * it is a multi-thread runtime, or only entered here
///   (`Handle::enter`) rather than driven by this thread's `block_on`:
///   the host task is `!Send` and needs a current-thread runtime;
/// * the scheduler's event queue or the fiber's stack cannot be created.
///
/// ```
/// let rt = eddy::runtime::Builder::new_current_thread().build()?;
/// let other = eddy::runtime::Builder::new_current_thread().build()?;
/// rt.block_on(async {
///     // `other` is not running on this thread: a clear error, no panic.
///     let err = eddy_fiber::try_spawn_on(other.handle(), || ()).unwrap_err();
///     assert!(err.to_string().contains("not the runtime running on this thread"));
///     let here = eddy::runtime::Handle::current();
///     assert_eq!(eddy_fiber::try_spawn_on(&here, || 5)?.await.unwrap(), 5);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn try_spawn_on<F, T>(handle: &eddy::runtime::Handle, f: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let on_this_thread =
        eddy::runtime::Handle::try_current().is_ok_and(|current| current.ptr_eq(handle));
    if !on_this_thread {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "eddy_fiber::spawn_on: the handle's eddy runtime is not the runtime running on this \
             thread; call it inside that runtime's block_on or one of its tasks (fibers never \
             move between threads)",
        ));
    }
    let scheduler = match hosted_on(handle) {
        Some(scheduler) => scheduler,
        None => start_host(handle)?,
    };
    let join = scheduler
        .spawn(None, None, f)
        .map_err(|e| io::Error::new(e.kind(), format!("eddy_fiber::spawn_on: {e}")))?;
    scheduler.wake_host();
    Ok(join)
}

/// A fiber scheduler hosted in an eddy task on this thread.
struct HostedScheduler {
    /// The eddy runtime whose task hosts it.
    runtime: eddy::runtime::Handle,
    scheduler: Weak<Scheduler>,
}

thread_local! {
    /// The fiber schedulers hosted on this thread, one per eddy runtime
    /// (an entry is removed when its host task is dropped).
    static HOSTED: RefCell<Vec<HostedScheduler>> = const { RefCell::new(Vec::new()) };
}

/// The scheduler hosted on this thread for `runtime`, if any.
fn hosted_on(runtime: &eddy::runtime::Handle) -> Option<Rc<Scheduler>> {
    HOSTED
        .try_with(|h| {
            h.borrow()
                .iter()
                .find(|e| e.runtime.ptr_eq(runtime))
                .and_then(|e| e.scheduler.upgrade())
        })
        .ok()
        .flatten()
}

/// The scheduler with this id hosted on this thread, if any (for wake-ups
/// from futures while it is not running).
pub(crate) fn hosted(id: u64) -> Option<Rc<Scheduler>> {
    HOSTED
        .try_with(|h| {
            h.borrow()
                .iter()
                .filter_map(|e| e.scheduler.upgrade())
                .find(|s| s.id == id)
        })
        .ok()
        .flatten()
}

/// Creates a scheduler and the eddy task hosting it on this thread, for
/// `runtime` (the one running here).
fn start_host(runtime: &eddy::runtime::Handle) -> io::Result<Rc<Scheduler>> {
    let scheduler = Rc::new(Scheduler::new(&Config {
        stack_size: DEFAULT_STACK_SIZE,
        stack_pool_size: 256,
        preserve_fp_control: true,
    })?);
    let queue = AsyncFd::with_interest(QueueFd(scheduler.io.raw_fd()), Interest::READABLE)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "eddy_fiber::spawn_on: watch the fiber scheduler's event queue from eddy: {e}"
                ),
            )
        })?;
    let host = Host {
        queue,
        sleep: None,
        scheduler: scheduler.clone(),
    };
    // The check in `try_spawn_on` leaves two cases eddy refuses: a
    // multi-thread runtime, or one only entered here.
    if eddy::task::try_spawn_local(host).map(drop).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "eddy_fiber::spawn_on: fibers need a current-thread eddy runtime whose block_on \
             runs on this thread; this runtime is multi-thread (or only entered here with \
             Handle::enter)",
        ));
    }
    let _ = HOSTED.try_with(|h| {
        let mut hosted = h.borrow_mut();
        hosted.retain(|e| e.scheduler.strong_count() > 0);
        hosted.push(HostedScheduler {
            runtime: runtime.clone(),
            scheduler: Rc::downgrade(&scheduler),
        });
    });
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
        let me = Rc::as_ptr(&self.scheduler);
        let _ = HOSTED.try_with(|h| {
            h.borrow_mut().retain(|e| {
                !std::ptr::eq(e.scheduler.as_ptr(), me) && e.scheduler.strong_count() > 0
            })
        });
        *self.scheduler.host_waker.borrow_mut() = None;
        self.scheduler.shutdown();
    }
}
