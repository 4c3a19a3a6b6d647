//! The worker loop of the multi-thread scheduler: what each worker thread
//! runs, how it finds work, how it sleeps, and how it hands its duties to
//! another thread (`block_in_place`).
//!
//! # Work-stealing protocol
//!
//! 1. A worker owns a [`Core`]: its local run queue (`queue::Local`, a
//!    256-slot lock-free ring), its LIFO slot, its parker. Exactly one thread
//!    holds a core at a time; the core sits in a thread-local while a task
//!    is polled so wakes and spawns on that thread reach it without locks.
//! 2. A task woken on a worker thread goes to the LIFO slot (the task it
//!    displaces goes to the back of the local queue); a task that woke
//!    itself (`yield_now`) or was just spawned goes to the back of the local
//!    queue. A full local queue moves half of itself to the injection queue.
//! 3. Wakes and spawns from any other thread go to the injection queue.
//! 4. A worker picks its next task from the LIFO slot, then its local
//!    queue, then the injection queue (a batch, into its local queue). Every
//!    `GLOBAL_QUEUE_INTERVAL` ticks it looks at the injection queue first,
//!    so tasks there cannot starve behind a busy local queue.
//! 5. After a poll the worker runs the task in its LIFO slot at once, at
//!    most `MAX_LIFO_POLLS` times in a row (then it goes to the back of the
//!    queue), so two tasks waking each other cannot starve the others.
//! 6. Every `event_interval` ticks the worker lets the driver process ready
//!    I/O and due timers without sleeping (if no other worker holds it).
//! 7. With nothing local, a worker becomes *searching* (at most half of the
//!    workers search at once) and steals half of another worker's queue,
//!    starting at a random victim, then tries the injection queue.
//!
//! # Parking protocol
//!
//! 8. A worker with no work parks: under the idle lock it leaves the
//!    unparked (and searching) counts and enters the sleepers list
//!    (`idle::Idle::transition_worker_to_parked`).
//! 9. If it was the *last searching* worker, it then looks at every queue
//!    once more and, if it sees work, notifies a worker (possibly itself)
//!    before sleeping. Together with 10 this is a store-then-load on both
//!    sides (all `SeqCst`), so either the pusher sees no searcher and wakes
//!    a sleeper, or the last searcher sees the pushed task: no lost wakeup.
//! 10. Whoever queues work that another worker could take (an injection,
//!     a push to a local queue that others can steal from) calls
//!     `notify_parked`: if no worker is searching and some worker is
//!     parked, it pops one sleeper, counts it as unparked and searching, and
//!     unparks it. Since only one searcher is woken per batch of work, there
//!     is no thundering herd; a searcher that finds work and was the last
//!     searcher wakes the next one (point 7), so work still spreads.
//! 11. A parking worker sleeps in the driver (`epoll_wait`) if it gets the
//!     driver's try-lock, otherwise on its condition variable; an unpark of
//!     a worker in the driver writes the driver's eventfd (`park`).
//! 12. On waking, a worker that finds tasks in its own queue (put there by
//!     I/O or timers it processed) takes itself out of the sleepers list;
//!     otherwise it checks it was really notified (it is no longer in the
//!     list) and starts searching; if it is still listed the wake was
//!     spurious and it parks again.
//!
//! # Shutdown protocol
//!
//! 13. `Handle::shutdown` closes the injection queue (the shutdown flag;
//!     later spawns are cancelled at once) and unparks every worker.
//! 14. Each worker sees the flag at its next tick or wake, puts its core in
//!     the list of finished cores and exits its thread.
//! 15. The shutting-down thread waits for every worker thread (up to the
//!     `shutdown_timeout`), then on its own thread closes the owned-task
//!     lists and shuts every task down (each future is dropped exactly once,
//!     by whoever holds it), drops what is left in the finished cores' queues
//!     and the injection queue, shuts the driver down (failing I/O, firing
//!     timers) and drains once more.
//!
//! # block_in_place
//!
//! 16. A task calling `block_in_place` on a worker takes the core out of the
//!     thread-local and starts a new worker thread with it (queue, LIFO slot,
//!     parker: the other tasks keep running), then runs the blocking closure.
//!     When the task's poll returns, the old thread finds no core and exits.

use std::cell::RefCell;
use std::sync::Arc;

use super::park::Parker;
use super::queue::{self, Overflow};
use super::{Handle, Notified};
use crate::runtime::{context, coop, driver};

/// Look at the injection queue first every this many ticks.
const GLOBAL_QUEUE_INTERVAL: u32 = 61;

/// LIFO-slot polls in a row before the LIFO task goes to the back.
const MAX_LIFO_POLLS: u32 = 3;

/// What one worker owns; moves between threads only with `block_in_place`.
pub(crate) struct Core {
    index: usize,
    tick: u32,
    lifo_slot: Option<Notified>,
    run_queue: queue::Local<Notified>,
    is_searching: bool,
    /// `None` while the worker is parked (taken out to sleep).
    parker: Option<Parker<driver::Driver>>,
    rand: u32,
}

impl Core {
    pub(crate) fn new(
        index: usize,
        run_queue: queue::Local<Notified>,
        parker: Parker<driver::Driver>,
    ) -> Box<Core> {
        Box::new(Core {
            index,
            tick: 0,
            lifo_slot: None,
            run_queue,
            is_searching: false,
            parker: Some(parker),
            rand: 0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1,
        })
    }

    fn has_tasks(&self) -> bool {
        self.lifo_slot.is_some() || !self.run_queue.is_empty()
    }

    /// Drops every queued task (shutdown).
    pub(crate) fn drain(&mut self) {
        drop(self.lifo_slot.take());
        while let Some(task) = self.run_queue.pop() {
            drop(task);
        }
    }

    fn next_rand(&mut self) -> u32 {
        // xorshift32
        let mut x = self.rand;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rand = x;
        x
    }

    fn next_local_task(&mut self) -> Option<Notified> {
        self.lifo_slot.take().or_else(|| self.run_queue.pop())
    }

    fn next_task(&mut self, handle: &Handle) -> Option<Notified> {
        let inject = &handle.shared.inject;
        if self.tick.is_multiple_of(GLOBAL_QUEUE_INTERVAL) {
            return inject.pop().or_else(|| self.next_local_task());
        }
        if let Some(task) = self.next_local_task() {
            return Some(task);
        }
        if inject.is_empty() {
            return None;
        }
        // Take a fair share of the injection queue in one lock.
        let workers = handle.shared.remotes.len();
        let n = (inject.len() / workers + 1)
            .min(self.run_queue.remaining())
            .min(queue::CAPACITY / 2);
        let mut first = None;
        let run_queue = &mut self.run_queue;
        inject.pop_batch(n, |task| {
            if first.is_none() {
                first = Some(task);
            } else {
                run_queue.push_back_or_overflow(task, &NoOverflow);
            }
        });
        first
    }

    fn steal_work(&mut self, handle: &Handle) -> Option<Notified> {
        let shared = &handle.shared;
        if !self.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let n = shared.remotes.len();
        let start = self.next_rand() as usize % n;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            if let Some(task) = shared.remotes[victim].steal.steal_into(&mut self.run_queue) {
                return Some(task);
            }
        }
        shared.inject.pop()
    }

    /// Leaves the searching state before running a task (protocol 7, 10).
    fn transition_from_searching(&mut self, handle: &Handle) {
        if self.is_searching {
            self.is_searching = false;
            if handle.shared.idle.transition_worker_from_searching() {
                handle.notify_parked();
            }
        }
    }

    /// Protocol 8-9; false if there is work after all.
    fn transition_to_parked(&mut self, handle: &Handle) -> bool {
        if self.has_tasks() {
            return false;
        }
        let shared = &handle.shared;
        let was_last_searcher = shared
            .idle
            .transition_worker_to_parked(self.index, self.is_searching);
        self.is_searching = false;
        if was_last_searcher {
            handle.notify_if_work_pending();
        }
        true
    }

    /// Protocol 12; false to keep sleeping.
    fn transition_from_parked(&mut self, handle: &Handle) -> bool {
        let idle = &handle.shared.idle;
        if self.has_tasks() {
            self.is_searching = !idle.unpark_worker_by_id(self.index);
            return true;
        }
        if idle.is_parked(self.index) {
            return false;
        }
        self.is_searching = true;
        true
    }

    /// More than the LIFO task is queued: another worker could help.
    fn should_notify_others(&self) -> bool {
        !self.is_searching && self.run_queue.len() > 1
    }
}

/// The local queue never overflows here: callers checked its room.
struct NoOverflow;

impl Overflow<Notified> for NoOverflow {
    fn push_batch(&self, _tasks: impl Iterator<Item = Notified>) {
        unreachable!("pushed more tasks than the local queue had room for")
    }
}

/// This thread's worker state.
struct WorkerSlot {
    /// The runtime this thread is a worker of.
    handle: RefCell<Option<Arc<Handle>>>,
    /// The core, while a task is polled or the worker parks.
    core: RefCell<Option<Box<Core>>>,
}

thread_local! {
    static WORKER: WorkerSlot = const {
        WorkerSlot {
            handle: RefCell::new(None),
            core: RefCell::new(None),
        }
    };
}

/// Runs `f` on this thread's core if this thread is a worker of `handle`
/// holding its core (and the core is not borrowed).
pub(super) fn with_core<R>(handle: &Arc<Handle>, f: impl FnOnce(&mut Core) -> R) -> Option<R> {
    WORKER
        .try_with(|slot| {
            let ours = slot
                .handle
                .try_borrow()
                .ok()?
                .as_ref()
                .is_some_and(|h| Arc::ptr_eq(h, handle));
            if !ours {
                return None;
            }
            let mut core = slot.core.try_borrow_mut().ok()?;
            core.as_mut().map(|core| f(core))
        })
        .ok()
        .flatten()
}

fn put_core(core: Box<Core>) {
    WORKER.with(|slot| *slot.core.borrow_mut() = Some(core));
}

fn take_core() -> Option<Box<Core>> {
    WORKER.with(|slot| slot.core.borrow_mut().take())
}

/// Schedules a woken task: on this worker's LIFO slot or queue if this
/// thread is one of `handle`'s workers, else on the injection queue.
pub(super) fn schedule(handle: &Arc<Handle>, task: Notified, is_yield: bool) {
    let mut task = Some(task);
    let notify = with_core(handle, |core| {
        let task = task.take().expect("taken once");
        let pushed = if is_yield {
            core.run_queue
                .push_back_or_overflow(task, &handle.shared.inject);
            true
        } else {
            match core.lifo_slot.replace(task) {
                Some(prev) => {
                    core.run_queue
                        .push_back_or_overflow(prev, &handle.shared.inject);
                    true
                }
                None => false,
            }
        };
        // A parked worker (polling its driver) notifies after waking.
        pushed && core.parker.is_some()
    });
    match (notify, task) {
        (Some(true), _) => handle.notify_parked(),
        (Some(false), _) => {}
        (None, Some(task)) => handle.push_remote(task),
        (None, None) => unreachable!("the task is either queued or still here"),
    }
}

/// The body of a worker thread.
pub(super) fn run(handle: Arc<Handle>, core: Box<Core>) {
    let scheduler = crate::runtime::scheduler::Handle::MultiThread(handle.clone());
    let _current = context::set_current(&scheduler);
    // A task calling `Runtime::block_on` here would stall this worker.
    let _no_block_on = context::enter_block_on();
    let prev = WORKER.with(|slot| slot.handle.replace(Some(handle.clone())));
    if let Some(core) = run_core(&handle, core) {
        handle
            .shared
            .finished_cores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(core);
    }
    drop(WORKER.with(|slot| slot.handle.replace(prev)));
    handle.worker_exited();
}

/// Runs tasks until shutdown (returns the core) or until `block_in_place`
/// hands the core to another thread (returns `None`).
fn run_core(handle: &Arc<Handle>, mut core: Box<Core>) -> Option<Box<Core>> {
    let shared = &handle.shared;
    while !shared.inject.is_closed() {
        core.tick = core.tick.wrapping_add(1);
        if core.tick.is_multiple_of(handle.config.event_interval) {
            // Not `continue`: this tick still runs a task, so a tick that is
            // also a global-queue tick (both intervals are 61 by default)
            // still looks at the injection queue first.
            core = park_driver(handle, core, true);
        }
        if let Some(task) = core.next_task(handle) {
            core = run_task(handle, core, task)?;
            continue;
        }
        if let Some(task) = core.steal_work(handle) {
            core = run_task(handle, core, task)?;
            continue;
        }
        core = park(handle, core);
    }
    Some(core)
}

/// Polls `task`, then the LIFO slot (protocol 5). `None` if the core was
/// handed to another thread meanwhile.
fn run_task(handle: &Arc<Handle>, mut core: Box<Core>, task: Notified) -> Option<Box<Core>> {
    core.transition_from_searching(handle);
    put_core(core);
    coop::budget(|| {
        let mut task = task;
        let mut lifo_polls = 0;
        loop {
            poll(handle, task);
            let mut core = take_core()?;
            let Some(next) = core.lifo_slot.take() else {
                return Some(core);
            };
            if lifo_polls >= MAX_LIFO_POLLS || !coop::has_budget_remaining() {
                core.run_queue
                    .push_back_or_overflow(next, &handle.shared.inject);
                if core.run_queue.len() > 1 {
                    handle.notify_parked();
                }
                return Some(core);
            }
            lifo_polls += 1;
            put_core(core);
            task = next;
        }
    })
}

fn poll(handle: &Handle, task: Notified) {
    let prev = context::set_current_task(Some(task.header().id));
    match handle.config.warn_on_blocking {
        None => task.run(),
        Some(threshold) => {
            let id = task.header().id;
            // Keep the task alive to mark it after the poll.
            let raw = task.0.raw();
            raw.ref_inc();
            let keep = super::Task::from_raw(raw);
            let start = std::time::Instant::now();
            task.run();
            let took = start.elapsed();
            if took > threshold && keep.header().state.mark_blocking_reported() {
                let location = handle.spawn_sites.describe(id);
                log::warn!(
                    "eddy: task {id} (spawned at {location}) blocked a runtime worker thread for \
                     {took:?} in one poll (threshold {threshold:?}); move blocking work to \
                     eddy::task::block_in_place or another thread"
                );
            }
            drop(keep);
        }
    }
    context::set_current_task(prev);
}

/// Protocol 8-12: sleeps until there is work (or shutdown).
fn park(handle: &Arc<Handle>, mut core: Box<Core>) -> Box<Core> {
    if !core.transition_to_parked(handle) {
        return core;
    }
    while !handle.shared.inject.is_closed() {
        core = park_driver(handle, core, false);
        if core.transition_from_parked(handle) {
            break;
        }
    }
    core
}

/// Sleeps in the parker (or only polls the driver when `poll_only`), with
/// the core in the thread-local so I/O and timer wakes queue locally.
fn park_driver(handle: &Arc<Handle>, mut core: Box<Core>, poll_only: bool) -> Box<Core> {
    let mut parker = core
        .parker
        .take()
        .expect("a running worker holds its parker");
    put_core(core);
    if poll_only {
        parker.poll_driver(&handle.driver);
    } else {
        parker.park(&handle.driver);
    }
    let mut core = take_core().expect("wakers do not take the core");
    core.parker = Some(parker);
    if core.should_notify_others() {
        handle.notify_parked();
    }
    core
}

/// Runs `f`, a blocking call, on this thread after handing this worker's
/// core to a new thread (protocol 16). Outside a worker it just runs `f`.
pub(crate) fn block_in_place<F: FnOnce() -> R, R>(f: F) -> R {
    let handoff = WORKER
        .try_with(|slot| {
            let handle = slot.handle.try_borrow().ok()?.clone()?;
            let core = slot.core.try_borrow_mut().ok()?.take()?;
            Some((handle, core))
        })
        .ok()
        .flatten();
    let Some((handle, core)) = handoff else {
        return f();
    };
    if let Err(core) = handle.start_worker(core) {
        log::error!(
            "eddy: block_in_place could not start a thread to take over the worker; \
             blocking it instead"
        );
        put_core(core);
        return f();
    }
    // This thread no longer runs the worker: it may block on a runtime.
    let _unmark = context::exit_block_on();
    f()
}
