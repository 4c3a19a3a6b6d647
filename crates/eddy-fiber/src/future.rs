//! Fibers and futures: [`block_on_future`] runs a `Future` to completion
//! from a fiber (parking only that fiber while it is pending), and a
//! [`JoinHandle`] is itself a `Future`, so async code can await a fiber.
//!
//! The waker given to the future may be called from any thread: it queues a
//! wake-up in the runtime's [`RemoteWakes`] and
//! interrupts the event queue if the scheduler is blocked in it.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use crate::driver::{RemoteKey, RemoteWakes};
use crate::fiber::{FiberId, JoinError, JoinHandle, Joiner, State};
use crate::scheduler;

/// The waker of one fiber blocked in `block_on_future`.
struct FiberWaker {
    remote: Arc<RemoteWakes>,
    slot: usize,
    id: FiberId,
    /// The fiber's current wait (0: not parked yet).
    wait: AtomicU64,
    /// Set by a wake; cleared by the fiber before each poll.
    notified: AtomicBool,
}

impl Wake for FiberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.notified.swap(true, Ordering::SeqCst) {
            self.remote.push(RemoteKey {
                slot: self.slot,
                id: self.id,
                wait: self.wait.load(Ordering::SeqCst),
            });
        }
    }
}

/// Runs `future` to completion on the calling fiber. While it is pending,
/// only this fiber parks; the others keep running. The future's waker may
/// be called from any thread.
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
///
/// /// A future that is pending once, waking itself.
/// struct YieldOnce(bool);
/// impl Future for YieldOnce {
///     type Output = u32;
///     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
///         if self.0 { return Poll::Ready(7) }
///         self.0 = true;
///         cx.waker().wake_by_ref();
///         Poll::Pending
///     }
/// }
///
/// let rt = eddy_fiber::Runtime::new()?;
/// assert_eq!(rt.block_on(|| eddy_fiber::block_on_future(YieldOnce(false))), 7);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Panics
///
/// Outside a fiber.
pub fn block_on_future<F: Future>(future: F) -> F::Output {
    scheduler::expect("eddy_fiber::block_on_future", |s| {
        assert!(
            s.in_fiber(),
            "eddy_fiber::block_on_future must be called from a fiber"
        );
        let me = s.current();
        let state = Arc::new(FiberWaker {
            remote: s.remote.clone(),
            slot: me.header().slot.get(),
            id: me.header().id,
            wait: AtomicU64::new(0),
            notified: AtomicBool::new(false),
        });
        drop(me);
        let waker = Waker::from(state.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            state.notified.store(false, Ordering::SeqCst);
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            let waiter = s.begin_wait();
            state.wait.store(waiter.wait, Ordering::SeqCst);
            if state.notified.load(Ordering::SeqCst) {
                // Woken while polling: poll again without parking.
                let h = waiter.fiber.header();
                h.state.set(State::Running);
                h.wait.set(0);
                continue;
            }
            drop(waiter);
            s.remote_waiting.set(s.remote_waiting.get() + 1);
            let parked = s.park();
            s.remote_waiting.set(s.remote_waiting.get() - 1);
            if parked.is_err() {
                panic!(
                    "eddy_fiber: fiber cancelled inside block_on_future while already unwinding"
                );
            }
        }
    })
}

/// Awaiting a join handle waits for the fiber to finish (the waiting task
/// must run on the fiber runtime's thread, e.g. inside
/// [`block_on_future`]).
impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(output) = self.fiber.body.take_output() {
            return Poll::Ready(output);
        }
        let header = self.fiber.header();
        if header.state.get() == State::Finished {
            return Poll::Ready(Err(JoinError::Cancelled));
        }
        header.joiner.set(Some(Joiner::Task(cx.waker().clone())));
        Poll::Pending
    }
}
