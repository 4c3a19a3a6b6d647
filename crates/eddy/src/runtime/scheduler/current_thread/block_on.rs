//! The `block_on` loop: take the core (or poll the root future alone while
//! another thread drives the runtime), then alternate between polling the
//! root future, running queued tasks and parking in the driver. Also the
//! root future's waker.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::core::{Core, CoreGuard};
use super::{Handle, Notified, Task};
use crate::runtime::coop;

impl Handle {
    /// Takes the core. While another thread drives the runtime, polls
    /// `future` here instead (woken through [`BlockedOnWaker`]) so it is not
    /// stalled; returns its output if it finishes before the core is free.
    pub(super) fn take_core_or_run<F: Future>(
        self: &Arc<Self>,
        mut future: Pin<&mut F>,
    ) -> Result<Box<Core>, F::Output> {
        let blocked = Arc::new(BlockedOnWaker {
            handle: self.clone(),
            woken: AtomicBool::new(true),
        });
        let waker = Waker::from(blocked.clone());
        let mut cx = Context::from_waker(&waker);
        let mut slot = self.shared.core.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(core) = slot.core.take() {
                return Ok(core);
            }
            if slot.shut_down {
                panic!("block_on called on a runtime that has shut down");
            }
            if blocked.woken.swap(false, SeqCst) {
                drop(slot);
                if let Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut cx)) {
                    return Err(out);
                }
                slot = self.shared.core.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            slot = self
                .shared
                .core_returned
                .wait(slot)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Runs `future` to completion on this thread, running tasks meanwhile.
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        let mut future = pin!(future);
        let core = match self.take_core_or_run(future.as_mut()) {
            Ok(core) => core,
            Err(output) => return output,
        };
        if let Some(owner) = core.local_thread
            && owner != std::thread::current().id()
        {
            self.return_core(core);
            panic!(
                "this runtime holds !Send tasks spawned with spawn_local on thread {owner:?}; \
                 it can only be driven (block_on) from that thread"
            );
        }
        let guard = CoreGuard::install(self, core);
        guard.run(future)
    }

    pub(super) fn return_core(&self, core: Box<Core>) {
        let mut slot = self.shared.core.lock().unwrap_or_else(|e| e.into_inner());
        slot.core = Some(core);
        drop(slot);
        // Waiters: other `block_on`s and shutdown.
        self.shared.core_returned.notify_all();
    }
}

impl CoreGuard<'_> {
    pub(super) fn run<F: Future>(&self, mut future: Pin<&mut F>) -> F::Output {
        let handle = self.handle;
        let waker = Waker::from(handle.clone());
        let mut cx = Context::from_waker(&waker);
        let woken = &handle.shared.woken;
        woken.store(true, Relaxed);
        let interval = handle.config.event_interval;
        // Polls (root and tasks) since the driver last ran: with work
        // still waiting, the driver is polled once per `interval` of them,
        // not on every round.
        let mut since_driver: u32 = 0;
        loop {
            if woken.load(Relaxed) {
                woken.store(false, Relaxed);
                since_driver = since_driver.saturating_add(1);
                if let Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut cx)) {
                    return out;
                }
            }
            let mut ran_all = true;
            for _ in 0..interval {
                match self.next_task() {
                    Some(task) => {
                        self.run_task(task);
                        since_driver = since_driver.saturating_add(1);
                    }
                    None => {
                        ran_all = false;
                        if self.park(since_driver < interval) {
                            since_driver = 0;
                        }
                        break;
                    }
                }
            }
            if ran_all {
                // A long run queue: let I/O and timers in.
                self.park_yield();
                since_driver = 0;
            }
        }
    }

    #[inline]
    pub(super) fn run_task(&self, task: Notified) {
        let id = task.header().id;
        match self.handle.config.warn_on_blocking {
            None => coop::task_poll(id, || task.run()),
            Some(threshold) => self.run_task_timed(task, threshold),
        }
    }

    /// [`run_task`](Self::run_task) with the blocking detector on.
    #[cold]
    #[inline(never)]
    fn run_task_timed(&self, task: Notified, threshold: Duration) {
        let header = task.header();
        let id = header.id;
        // Keep the task alive to mark it after the poll.
        let raw = task.0.raw();
        raw.ref_inc();
        let keep = Task::from_raw(raw);
        let start = Instant::now();
        coop::task_poll(id, || task.run());
        let took = start.elapsed();
        if took > threshold && keep.header().state.mark_blocking_reported() {
            let location = self.handle.spawn_sites.describe(id);
            log::warn!(
                "eddy: task {id} (spawned at {location}) blocked the runtime thread for \
                 {took:?} in one poll (threshold {threshold:?}); move blocking work off \
                 the event loop"
            );
        }
        drop(keep);
    }

    /// Parks in the driver. If work is already waiting (a remote wake, the
    /// root future woken) it does not sleep: it polls the driver with a
    /// zero timeout, so I/O and timers still progress while, e.g., the root
    /// future yields in a loop, or, with `skip_if_busy`, leaves the driver
    /// alone (the loop passes it until `event_interval` polls have gone by
    /// since the driver last ran: a spawn-and-join round trip then costs
    /// no `epoll_wait`). Returns whether the driver ran.
    pub(super) fn park(&self, skip_if_busy: bool) -> bool {
        let shared = &self.handle.shared;
        // Work already waiting and no driver poll due: nothing to do (no
        // `parked` flag either, as this does not sleep).
        if skip_if_busy && (shared.woken.load(SeqCst) || shared.inject_len.load(SeqCst) != 0) {
            return false;
        }
        let Some(mut driver) = self.with_core(|core| {
            if core.run_queue.is_empty() {
                core.driver.take()
            } else {
                None
            }
        }) else {
            return false;
        };
        shared.parked.store(true, SeqCst);
        if shared.inject_len.load(SeqCst) == 0 && !shared.woken.load(SeqCst) {
            driver.park(&self.handle.driver);
            shared.parked.store(false, SeqCst);
        } else {
            shared.parked.store(false, SeqCst);
            driver.park_timeout(&self.handle.driver, Duration::ZERO);
        }
        self.with_core(|core| core.driver = Some(driver));
        true
    }

    /// Polls the driver without sleeping.
    pub(super) fn park_yield(&self) {
        let Some(mut driver) = self.with_core(|core| core.driver.take()) else {
            return;
        };
        driver.park_timeout(&self.handle.driver, Duration::ZERO);
        self.with_core(|core| core.driver = Some(driver));
    }
}

/// Wakes a `block_on` that waits for another thread to release the core.
struct BlockedOnWaker {
    handle: Arc<Handle>,
    woken: AtomicBool,
}

impl Wake for BlockedOnWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, SeqCst);
        // Taking the lock orders this wake before or after the waiter's
        // check, so the notification cannot fall between check and wait.
        let _slot = self
            .handle
            .shared
            .core
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.handle.shared.core_returned.notify_all();
    }
}

/// The waker of the `block_on` future.
impl Wake for Handle {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.woken.store(true, SeqCst);
        self.unpark_if_parked();
    }
}
