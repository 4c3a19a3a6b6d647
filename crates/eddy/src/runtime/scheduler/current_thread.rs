//! The current-thread scheduler: every task runs on the thread that calls
//! `block_on`.
//!
//! # Protocol
//!
//! * The [`Core`] (local run queue, owned task list, the driver) is taken by
//!   `block_on` and installed in a thread-local for its duration. Wakes and
//!   spawns on that thread push onto the local queue with no lock and no
//!   atomic read-modify-write.
//! * Wakes and spawns from other threads (or from this thread outside
//!   `block_on`) go through the *inject* queue (a mutex). A task spawned
//!   that way is bound to the owned list when the core pops it.
//! * The loop polls the root future whenever it was woken, then runs up to
//!   `event_interval` tasks, then polls the driver with a zero timeout so
//!   I/O and timers are not starved by a long run queue. Every
//!   `GLOBAL_QUEUE_INTERVAL` ticks the inject queue is checked first.
//! * With nothing to run it parks in the driver. Parking sets `parked`
//!   (SeqCst) and re-checks the inject queue and the root flag; a remote
//!   wake pushes, then reads `parked` (SeqCst) and writes the driver's
//!   eventfd only if it was set, so at most one wake per park pays a
//!   syscall and none can be lost.
//! * Shutdown (runtime drop): close the owned list and the inject queue,
//!   shut down every task (dropping its future on this thread), drain the
//!   queues, then shut the driver down (failing I/O, firing timers) and
//!   drain again.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::{Pin, pin};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use super::Config;
use crate::runtime::{context, coop, driver};
use crate::task::{self, Id, JoinHandle, OwnedTasks, Schedule};

type Task = task::Task<Arc<Handle>>;
type Notified = task::Notified<Arc<Handle>>;

/// Check the inject queue first every this many ticks (as tokio).
const GLOBAL_QUEUE_INTERVAL: u32 = 31;

/// The scheduler's shared half; tasks hold it (it is their `Schedule`).
pub(crate) struct Handle {
    shared: Shared,
    pub(crate) driver: driver::Handle,
    pub(crate) config: Config,
}

struct Shared {
    inject: Mutex<Inject>,
    /// Length of `inject.queue`, readable without the lock.
    inject_len: AtomicUsize,
    /// The core is parked in the driver (see the protocol above).
    parked: AtomicBool,
    /// The `block_on` future was woken.
    woken: AtomicBool,
    core: Mutex<CoreSlot>,
    core_returned: Condvar,
}

struct Inject {
    queue: VecDeque<Incoming>,
    closed: bool,
}

enum Incoming {
    Woken(Notified),
    /// Spawned off the core: bound to the owned list when popped.
    Spawned(Task, Notified),
}

struct CoreSlot {
    core: Option<Box<Core>>,
    shut_down: bool,
}

/// What only the thread running the scheduler touches.
struct Core {
    run_queue: VecDeque<Notified>,
    owned: OwnedTasks<Arc<Handle>>,
    /// `None` only while parked (the driver is taken out to park).
    driver: Option<driver::Driver>,
    tick: u32,
    /// The thread whose `spawn_local` tasks this runtime holds.
    local_thread: Option<ThreadId>,
}

/// The core installed on this thread, and whose it is.
struct Current {
    /// Address of the `Handle` whose core is installed (0: none).
    handle: Cell<usize>,
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static CURRENT: Current = const {
        Current {
            handle: Cell::new(0),
            core: RefCell::new(None),
        }
    };
}

impl Handle {
    pub(crate) fn new(
        driver: driver::Driver,
        driver_handle: driver::Handle,
        config: Config,
    ) -> Arc<Handle> {
        let core = Box::new(Core {
            run_queue: VecDeque::with_capacity(64),
            owned: OwnedTasks::new(),
            driver: Some(driver),
            tick: 0,
            local_thread: None,
        });
        Arc::new(Handle {
            shared: Shared {
                inject: Mutex::new(Inject {
                    queue: VecDeque::new(),
                    closed: false,
                }),
                inject_len: AtomicUsize::new(0),
                parked: AtomicBool::new(false),
                woken: AtomicBool::new(false),
                core: Mutex::new(CoreSlot {
                    core: Some(core),
                    shut_down: false,
                }),
                core_returned: Condvar::new(),
            },
            driver: driver_handle,
            config,
        })
    }

    fn addr(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// Runs `f` on this scheduler's core if it is installed on this thread
    /// and not borrowed; `None` otherwise.
    fn with_core<R>(self: &Arc<Self>, f: impl FnOnce(&mut Core) -> R) -> Option<R> {
        CURRENT
            .try_with(|c| {
                if c.handle.get() != self.addr() {
                    return None;
                }
                let mut core = c.core.try_borrow_mut().ok()?;
                core.as_mut().map(|core| f(core))
            })
            .ok()
            .flatten()
    }

    fn lock_inject(&self) -> MutexGuard<'_, Inject> {
        self.shared.inject.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Spawns a `Send` future.
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        id: Id,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, notified, join) = task::new_task(future, self.clone(), id, location);
        let mut pending = Some((task, notified));
        let rejected = self.with_core(|core| {
            let (task, notified) = pending.take().expect("taken once");
            match core.owned.bind(task) {
                Ok(()) => {
                    core.run_queue.push_back(notified);
                    None
                }
                Err(task) => Some((task, notified)),
            }
        });
        if let Some(Some((task, notified))) = rejected {
            drop(notified);
            task.shutdown();
        } else if let Some((task, notified)) = pending {
            self.push_remote(Incoming::Spawned(task, notified));
        }
        join
    }

    /// Spawns a `!Send` future; gives it back unless called on the thread
    /// running this scheduler's `block_on`.
    pub(crate) fn spawn_local<F>(
        self: &Arc<Self>,
        future: F,
        id: Id,
        location: &'static Location<'static>,
    ) -> Result<JoinHandle<F::Output>, F>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        if self.with_core(|_| ()).is_none() {
            return Err(future);
        }
        // The task is bound here and only this core polls it; `block_on`
        // refuses to run the core on any other thread and shutdown on
        // another thread leaks these tasks instead of dropping them there.
        let (task, notified, join) = task::new_task(future, self.clone(), id, location);
        let rejected = self.with_core(|core| {
            core.local_thread = Some(std::thread::current().id());
            match core.owned.bind(task) {
                Ok(()) => {
                    core.run_queue.push_back(notified);
                    None
                }
                Err(task) => Some((task, notified)),
            }
        });
        if let Some(Some((task, notified))) = rejected {
            drop(notified);
            task.shutdown();
        }
        Ok(join)
    }

    fn push_remote(self: &Arc<Self>, incoming: Incoming) {
        let mut inject = self.lock_inject();
        if inject.closed {
            drop(inject);
            if let Incoming::Spawned(task, notified) = incoming {
                drop(notified);
                task.shutdown();
            }
            return;
        }
        inject.queue.push_back(incoming);
        self.shared.inject_len.store(inject.queue.len(), SeqCst);
        drop(inject);
        self.unpark_if_parked();
    }

    fn unpark_if_parked(&self) {
        if self.shared.parked.load(SeqCst) && self.shared.parked.swap(false, SeqCst) {
            self.driver.unpark();
        }
    }

    /// Takes the core. While another thread drives the runtime, polls
    /// `future` here instead (woken through [`BlockedOnWaker`]) so it is not
    /// stalled; returns its output if it finishes before the core is free.
    fn take_core_or_run<F: Future>(
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

    fn return_core(&self, core: Box<Core>) {
        let mut slot = self.shared.core.lock().unwrap_or_else(|e| e.into_inner());
        slot.core = Some(core);
        drop(slot);
        // Waiters: other `block_on`s and shutdown.
        self.shared.core_returned.notify_all();
    }

    /// Shuts the runtime down: drops every task's future (on this thread),
    /// fails I/O, fires timers. Idempotent.
    pub(crate) fn shutdown(self: &Arc<Self>) {
        let core = {
            let mut slot = self.shared.core.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if slot.shut_down {
                    return;
                }
                if slot.core.is_some() {
                    break;
                }
                // A block_on (through a Handle) runs on another thread.
                slot = self
                    .shared
                    .core_returned
                    .wait(slot)
                    .unwrap_or_else(|e| e.into_inner());
            }
            slot.shut_down = true;
            let core = slot.core.take().expect("checked above");
            drop(slot);
            // `block_on`s waiting for the core learn that it is gone.
            self.shared.core_returned.notify_all();
            core
        };
        let mut core = core;
        if let Some(owner) = core.local_thread
            && owner != std::thread::current().id()
        {
            log::error!(
                "eddy: runtime dropped on another thread than its spawn_local tasks \
                 ({owner:?}); leaking them rather than dropping !Send futures here"
            );
            while let Some(task) = core.owned.pop() {
                std::mem::forget(task);
            }
            while let Some(task) = core.run_queue.pop_front() {
                std::mem::forget(task);
            }
        }
        let mut guard = CoreGuard::install(self, core);
        guard.keep = false;
        guard.shutdown_tasks();
    }

    #[cfg(test)]
    fn owned_len(self: &Arc<Self>) -> usize {
        let slot = self.shared.core.lock().unwrap();
        slot.core.as_ref().map_or(0, |c| c.owned.len())
    }
}

/// Keeps a core installed in the thread-local; on drop takes it out and
/// returns it to the slot (or drops it after shutdown).
struct CoreGuard<'a> {
    handle: &'a Arc<Handle>,
    /// The core (of another runtime) installed before, restored on drop:
    /// e.g. a runtime dropped inside another runtime's task.
    prev: (usize, Option<Box<Core>>),
    keep: bool,
}

impl<'a> CoreGuard<'a> {
    fn install(handle: &'a Arc<Handle>, core: Box<Core>) -> CoreGuard<'a> {
        let prev = CURRENT.with(|c| {
            let old = c.core.replace(Some(core));
            (c.handle.replace(handle.addr()), old)
        });
        CoreGuard {
            handle,
            prev,
            keep: true,
        }
    }

    fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        CURRENT.with(|c| f(c.core.borrow_mut().as_mut().expect("the core is installed")))
    }

    fn run<F: Future>(&self, mut future: Pin<&mut F>) -> F::Output {
        let handle = self.handle;
        let waker = Waker::from(handle.clone());
        let mut cx = Context::from_waker(&waker);
        let woken = &handle.shared.woken;
        woken.store(true, Relaxed);
        loop {
            if woken.load(Relaxed) {
                woken.store(false, Relaxed);
                if let Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut cx)) {
                    return out;
                }
            }
            let mut ran_all = true;
            for _ in 0..handle.config.event_interval {
                match self.next_task() {
                    Some(task) => self.run_task(task),
                    None => {
                        ran_all = false;
                        self.park();
                        break;
                    }
                }
            }
            if ran_all {
                // A long run queue: let I/O and timers in.
                self.park_yield();
            }
        }
    }

    fn next_task(&self) -> Option<Notified> {
        let handle = self.handle;
        let incoming = self.with_core(|core| {
            core.tick = core.tick.wrapping_add(1);
            if core.tick.is_multiple_of(GLOBAL_QUEUE_INTERVAL) {
                pop_inject(handle).or_else(|| core.run_queue.pop_front().map(Incoming::Woken))
            } else {
                core.run_queue
                    .pop_front()
                    .map(Incoming::Woken)
                    .or_else(|| pop_inject(handle))
            }
        })?;
        match incoming {
            Incoming::Woken(notified) => Some(notified),
            Incoming::Spawned(task, notified) => {
                match self.with_core(|core| core.owned.bind(task)) {
                    Ok(()) => Some(notified),
                    Err(task) => {
                        drop(notified);
                        task.shutdown();
                        None
                    }
                }
            }
        }
    }

    fn run_task(&self, task: Notified) {
        let prev = context::set_current_task(Some(task.header().id));
        match self.handle.config.warn_on_blocking {
            None => coop::budget(|| task.run()),
            Some(threshold) => {
                let header = task.header();
                let (id, location) = (header.id, header.location);
                // Keep the task alive to mark it after the poll.
                let raw = task.0.raw();
                raw.ref_inc();
                let keep = Task::from_raw(raw);
                let start = Instant::now();
                coop::budget(|| task.run());
                let took = start.elapsed();
                if took > threshold && keep.header().state.mark_blocking_reported() {
                    log::warn!(
                        "eddy: task {id} (spawned at {location}) blocked the runtime thread for \
                         {took:?} in one poll (threshold {threshold:?}); move blocking work off \
                         the event loop"
                    );
                }
                drop(keep);
            }
        }
        context::set_current_task(prev);
    }

    /// Parks in the driver; if work is already waiting (a remote wake, the
    /// root future woken) it only polls the driver without sleeping, so
    /// I/O and timers still progress while, e.g., the root future yields in
    /// a loop.
    fn park(&self) {
        let shared = &self.handle.shared;
        let Some(mut driver) = self.with_core(|core| {
            if core.run_queue.is_empty() {
                core.driver.take()
            } else {
                None
            }
        }) else {
            return;
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
    }

    /// Polls the driver without sleeping.
    fn park_yield(&self) {
        let Some(mut driver) = self.with_core(|core| core.driver.take()) else {
            return;
        };
        driver.park_timeout(&self.handle.driver, Duration::ZERO);
        self.with_core(|core| core.driver = Some(driver));
    }

    fn shutdown_tasks(&mut self) {
        let handle = self.handle;
        self.with_core(|core| core.owned.close());
        let incoming: Vec<Incoming> = {
            let mut inject = handle.lock_inject();
            inject.closed = true;
            handle.shared.inject_len.store(0, SeqCst);
            inject.queue.drain(..).collect()
        };
        drop_incoming(incoming);
        while let Some(task) = self.with_core(|core| core.owned.pop()) {
            task.shutdown();
        }
        self.drain_queues();
        if let Some(mut driver) = self.with_core(|core| core.driver.take()) {
            driver.shutdown(&handle.driver);
            self.drain_queues();
            drop(driver);
        }
        // Futures dropped above may have spawned (refused) or woken tasks.
        while let Some(task) = self.with_core(|core| core.owned.pop()) {
            task.shutdown();
        }
        self.drain_queues();
    }

    fn drain_queues(&self) {
        while let Some(task) = self.with_core(|core| core.run_queue.pop_front()) {
            drop(task);
        }
        let incoming: Vec<Incoming> = {
            let mut inject = self.handle.lock_inject();
            self.handle.shared.inject_len.store(0, SeqCst);
            inject.queue.drain(..).collect()
        };
        drop_incoming(incoming);
    }
}

fn drop_incoming(incoming: Vec<Incoming>) {
    for item in incoming {
        if let Incoming::Spawned(task, notified) = item {
            drop(notified);
            task.shutdown();
        }
    }
}

fn pop_inject(handle: &Handle) -> Option<Incoming> {
    if handle.shared.inject_len.load(Relaxed) == 0 {
        return None;
    }
    let mut inject = handle.lock_inject();
    let item = inject.queue.pop_front();
    handle.shared.inject_len.store(inject.queue.len(), SeqCst);
    item
}

impl Drop for CoreGuard<'_> {
    fn drop(&mut self) {
        let (prev_handle, prev_core) = (self.prev.0, self.prev.1.take());
        let core = CURRENT.with(|c| {
            c.handle.set(prev_handle);
            c.core.replace(prev_core)
        });
        if let Some(core) = core {
            if self.keep {
                self.handle.return_core(core);
            } else {
                drop(core);
            }
        }
    }
}

impl Schedule for Arc<Handle> {
    fn release(&self, task: &Task) -> Option<Task> {
        self.with_core(|core| core.owned.remove(task)).flatten()
    }

    fn schedule(&self, task: Notified) {
        let mut task = Some(task);
        self.with_core(|core| core.run_queue.push_back(task.take().expect("taken once")));
        if let Some(task) = task {
            self.push_remote(Incoming::Woken(task));
        }
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

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentThread")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Returns the current task id (re-exported through `task::id`).
#[allow(dead_code)]
pub(crate) fn current_task_id() -> Option<Id> {
    context::current_task()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn handle() -> Arc<Handle> {
        let (driver, driver_handle) = driver::Driver::new().unwrap();
        Handle::new(driver, driver_handle, Config::default())
    }

    #[test]
    fn remote_spawn_is_bound_when_popped() {
        let handle = handle();
        let join = handle.spawn(async { 5 }, Id::next(), Location::caller());
        assert_eq!(handle.owned_len(), 0);
        assert_eq!(handle.block_on(join).unwrap(), 5);
        assert_eq!(handle.owned_len(), 0);
        handle.shutdown();
    }

    #[test]
    fn shutdown_is_idempotent() {
        let handle = handle();
        handle.shutdown();
        handle.shutdown();
    }
}
