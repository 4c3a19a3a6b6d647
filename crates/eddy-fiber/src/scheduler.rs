//! The scheduler: one per runtime, running on one thread.
//!
//! It owns the run queue, the table of live fibers, the stack pool, the
//! timers and the I/O driver. There is no separate scheduler context:
//! a fiber that parks or yields picks the next runnable context itself and
//! switches *directly* to it (one switch per hand-over, not two). The root
//! context, the thread's own stack inside `Runtime::block_on`, is one more
//! context that parks while it waits for the main fiber.
//!
//! # Picking the next context ([`Scheduler::next_runnable`])
//!
//! 1. Every [`EVENT_INTERVAL`] picks, even when fibers are runnable, run
//!    maintenance without blocking, so busy fibers cannot starve I/O and
//!    timers.
//! 2. Pop the front of the run queue (first in, first out).
//! 3. When it is empty, run maintenance that may block: drain wake-ups from
//!    other threads, fire due timers, then poll the event queue with the
//!    time left until the next timer (no timeout when there is none).
//!    If nothing at all could ever wake a fiber (no timer, no fiber waiting
//!    on I/O or on a future), that is a deadlock: the root context is woken
//!    and `block_on` panics with a message saying so, instead of hanging.
//!
//! # Finishing
//!
//! A fiber cannot free the stack it runs on. When its closure has returned,
//! it marks itself finished, leaves itself in `dead` and switches away; the
//! context that runs next calls [`Scheduler::reap`] right after its switch
//! returns, giving the stack back to the pool.
//!
//! # Hosted in an eddy task
//!
//! [`crate::spawn_on`] runs a scheduler inside a task of an eddy runtime
//! instead of a `block_on`. Each time the task is polled,
//! [`Scheduler::run_hosted`] polls timers and the event queue without
//! blocking, then runs the fibers that are runnable at that moment behind
//! a root context placed at the back of the run queue: when the root comes
//! up, the batch is over and the task returns, so futures on the same
//! thread run between batches. The root is always queued while fibers
//! run, so step 3 above (blocking in the event queue) never happens there;
//! the task waits in eddy's reactor instead. Wake-ups from outside the
//! scheduler (a future sending on a fiber channel) find it among the
//! thread's hosted schedulers (by runtime id) and wake the task.
//!
//! # Shutdown
//!
//! Dropping the runtime cancels fibers that are still alive: each is woken
//! with its `cancelled` flag set, and its pending park unwinds its stack
//! (running destructors) up to the fiber's base, where the unwind is caught.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::panic;
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::arch;
use crate::driver::{IoDriver, RemoteWakes};
use crate::fiber::{
    FiberCell, FiberRef, Header, JoinError, JoinHandle, Joiner, Output, State, Waiter, new_fiber,
    new_root,
};
use crate::overflow;
use crate::slab::Slab;
use crate::stack::{Stack, StackPool};

/// Picks between two maintenance passes while fibers stay runnable.
const EVENT_INTERVAL: u32 = 61;

/// Rounds of cancellation at shutdown before leftover fibers are leaked.
const SHUTDOWN_ROUNDS: usize = 8;

/// The unwind payload that cancels a fiber at shutdown.
#[derive(Debug)]
pub(crate) struct Cancelled;

/// How a runtime is configured.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) stack_size: usize,
    pub(crate) stack_pool_size: usize,
    /// Whether switches save and restore the FP control word(s) (see
    /// `RuntimeBuilder::preserve_fp_control`).
    pub(crate) preserve_fp_control: bool,
}

pub(crate) struct Scheduler {
    pub(crate) id: u64,
    run_queue: RefCell<VecDeque<FiberRef>>,
    /// The running context (a fiber or the root).
    current: RefCell<Option<FiberRef>>,
    /// The root context of the `block_on` in progress.
    root: RefCell<Option<FiberRef>>,
    /// A finished fiber whose stack is still to be reclaimed.
    dead: Cell<Option<FiberRef>>,
    live: RefCell<Slab<FiberRef>>,
    stacks: RefCell<StackPool>,
    pub(crate) timers: RefCell<crate::timer::TimerHeap>,
    pub(crate) io: IoDriver,
    pub(crate) remote: Arc<RemoteWakes>,
    /// Picks left until the next non-blocking maintenance pass.
    ticks: Cell<u32>,
    next_wait: Cell<u64>,
    /// Fibers parked on socket readiness.
    pub(crate) io_waiting: Cell<usize>,
    /// Fibers parked on a future (woken through `RemoteWakes`).
    pub(crate) remote_waiting: Cell<usize>,
    deadlocked: Cell<bool>,
    shutting_down: Cell<bool>,
    /// Switch with `arch::switch` (true) or `arch::switch_without_fp_control`.
    preserve_fp_control: bool,
    /// The waker of the eddy task hosting this scheduler, if it is hosted.
    pub(crate) host_waker: RefCell<Option<Waker>>,
}

thread_local! {
    /// The scheduler entered on this thread (null: none).
    static CURRENT: Cell<*const Scheduler> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with the scheduler entered on this thread, if any.
pub(crate) fn with<R>(f: impl FnOnce(&Scheduler) -> R) -> Option<R> {
    let ptr = CURRENT.with(Cell::get);
    // SAFETY: CURRENT is only non-null between `Enter::new` and its drop,
    // while the scheduler it points to is borrowed by that guard's owner.
    unsafe { ptr.as_ref() }.map(f)
}

/// Like [`with`], panicking with a clear message outside a runtime.
pub(crate) fn expect<R>(what: &str, f: impl FnOnce(&Scheduler) -> R) -> R {
    with(f).unwrap_or_else(|| {
        panic!("{what} must be called from a fiber running on an eddy_fiber::Runtime (inside Runtime::block_on)")
    })
}

/// Makes `scheduler` the one entered on this thread until dropped.
pub(crate) struct Enter {
    previous: *const Scheduler,
}

impl Enter {
    pub(crate) fn new(scheduler: &Scheduler) -> Enter {
        let previous = CURRENT.with(|c| c.replace(scheduler));
        Enter { previous }
    }

    pub(crate) fn is_entered() -> bool {
        !CURRENT.with(Cell::get).is_null()
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// Puts a fiber at the back of its scheduler's run queue: the entered one,
/// or else the one hosted on this thread (waking its eddy task).
#[inline]
pub(crate) fn make_runnable(fiber: FiberRef) {
    let runtime = fiber.header().runtime;
    let ptr = CURRENT.with(Cell::get);
    // SAFETY: as in `with`: non-null only while the scheduler is entered.
    if let Some(s) = unsafe { ptr.as_ref() }
        && s.id == runtime
    {
        s.push_runnable(fiber);
    } else {
        make_runnable_hosted(runtime, fiber);
    }
}

/// The rare half of [`make_runnable`], out of its line: a wake from
/// outside the fiber's scheduler (a future, another runtime).
#[cold]
#[inline(never)]
fn make_runnable_hosted(runtime: u64, fiber: FiberRef) {
    if let Some(s) = crate::eddy_integration::hosted(runtime) {
        // Not entered, so nothing borrows its run queue now.
        s.push_runnable(fiber);
        s.wake_host();
    }
}

/// The entry point of every fiber (called by the arch trampoline).
///
/// # Safety
///
/// `arg` is the `*const Scheduler` passed to `init_stack` by `spawn`, alive
/// while any of its fibers runs.
unsafe extern "C" fn fiber_entry(arg: *mut u8) -> ! {
    // SAFETY: see the function's contract.
    let scheduler = unsafe { &*(arg as *const Scheduler) };
    scheduler.reap();
    {
        let me = scheduler.current();
        let cancelled = me.header().cancelled.get();
        // `run` catches the closure's panic; nothing unwinds past here.
        me.run(cancelled);
    }
    scheduler.exit_current()
}

static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

impl Scheduler {
    pub(crate) fn new(config: &Config) -> io::Result<Scheduler> {
        let (io, waker) = IoDriver::new()?;
        Ok(Scheduler {
            id: NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed),
            run_queue: RefCell::new(VecDeque::new()),
            current: RefCell::new(None),
            root: RefCell::new(None),
            dead: Cell::new(None),
            live: RefCell::new(Slab::new()),
            stacks: RefCell::new(StackPool::new(config.stack_size, config.stack_pool_size)),
            timers: RefCell::new(Default::default()),
            io,
            remote: Arc::new(RemoteWakes::new(waker)),
            ticks: Cell::new(EVENT_INTERVAL - 1),
            next_wait: Cell::new(0),
            io_waiting: Cell::new(0),
            remote_waiting: Cell::new(0),
            deadlocked: Cell::new(false),
            shutting_down: Cell::new(false),
            preserve_fp_control: config.preserve_fp_control,
            host_waker: RefCell::new(None),
        })
    }

    /// Creates a fiber running `f` and queues it.
    pub(crate) fn spawn<F, T>(
        &self,
        name: Option<Rc<str>>,
        stack_size: Option<usize>,
        f: F,
    ) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        let stack = self.stacks.borrow_mut().allocate(stack_size)?;
        let header = Header::new(name, self.id);
        let top = stack.top().as_ptr();
        // SAFETY: `top` is the 16-byte aligned top of a fresh or recycled
        // stack that no context uses; the record and the initial frame fit
        // in its top page. `fiber_entry` gets this scheduler, which outlives
        // its fibers (they only run while it is entered).
        let sp = unsafe {
            overflow::write_record(
                top,
                header.id.as_u64(),
                stack.size(),
                header.name.as_deref(),
            );
            arch::init_stack(
                top.sub(overflow::RECORD_SIZE),
                fiber_entry,
                self as *const Scheduler as *mut u8,
            )
        };
        header.sp.set(sp);
        header.stack.set(Some(stack));
        header.cancelled.set(self.shutting_down.get());
        let (task, output) = new_fiber(header, f);
        let slot = self.live.borrow_mut().insert(task.clone());
        task.header().slot.set(slot);
        self.run_queue.borrow_mut().push_back(task);
        Ok(JoinHandle { fiber: output })
    }

    /// The running context.
    pub(crate) fn current(&self) -> FiberRef {
        self.current
            .borrow()
            .clone()
            .expect("a context is current while the scheduler is entered")
    }

    /// Whether the running context is a fiber (not the root of block_on).
    pub(crate) fn in_fiber(&self) -> bool {
        self.current
            .borrow()
            .as_ref()
            .is_some_and(|c| !c.header().is_root)
    }

    fn push_runnable(&self, fiber: FiberRef) {
        let h = fiber.header();
        h.state.set(State::Runnable);
        h.wait.set(0);
        self.run_queue.borrow_mut().push_back(fiber);
    }

    /// Starts a wait of the running context: returns the waiter to hand to
    /// whoever will end it. Call [`park`](Self::park) next.
    pub(crate) fn begin_wait(&self) -> Waiter {
        let me = self.current();
        let wait = self.next_wait.get() + 1;
        self.next_wait.set(wait);
        me.header().wait.set(wait);
        me.header().state.set(State::Waiting);
        Waiter { fiber: me, wait }
    }

    /// Switches away until a waiter from [`begin_wait`](Self::begin_wait)
    /// wakes this context. Returns `Err` if the runtime cancelled it while
    /// the thread is already unwinding (otherwise cancellation unwinds).
    pub(crate) fn park(&self) -> Result<(), Cancelled> {
        let (cancelled, waiting) = self.with_current(|c| {
            let h = c.header();
            (h.cancelled.get(), h.state.get() == State::Waiting)
        });
        if !cancelled {
            if waiting {
                self.switch_to_next();
            }
            if !self.is_cancelled() {
                return Ok(());
            }
        }
        let me = self.current();
        me.header().state.set(State::Running);
        me.header().wait.set(0);
        drop(me);
        if !std::thread::panicking() {
            panic::resume_unwind(Box::new(Cancelled));
        }
        Err(Cancelled)
    }

    fn is_cancelled(&self) -> bool {
        self.current
            .borrow()
            .as_ref()
            .is_some_and(|c| c.header().cancelled.get())
    }

    /// Runs `f` on the running context without taking a reference to it.
    fn with_current<R>(&self, f: impl FnOnce(&FiberRef) -> R) -> R {
        f(self
            .current
            .borrow()
            .as_ref()
            .expect("a context is current while the scheduler is entered"))
    }

    /// Puts the running fiber at the back of the run queue and runs others.
    pub(crate) fn yield_now(&self) {
        let me = self.current();
        self.push_runnable(me);
        self.switch_to_next();
        if self.with_current(|c| c.header().cancelled.get()) && !std::thread::panicking() {
            panic::resume_unwind(Box::new(Cancelled));
        }
    }

    /// Parks until `deadline`.
    pub(crate) fn sleep_until(&self, deadline: Instant) {
        while Instant::now() < deadline {
            let waiter = self.begin_wait();
            self.timers.borrow_mut().insert(deadline, waiter);
            let parked = self.park();
            self.timers.borrow_mut().wait_ended();
            if parked.is_err() {
                return;
            }
        }
    }

    /// Hands the CPU to the next runnable context (possibly blocking in
    /// the event queue until there is one). Returns when this context is
    /// resumed.
    fn switch_to_next(&self) {
        let next = self.next_runnable();
        next.header().state.set(State::Running);
        let resume = next.header().sp.get();
        let next_header: *const Header = next.header();
        // `current` keeps `next` alive while it runs.
        let prev = self
            .current
            .replace(Some(next))
            .expect("a context is current");
        if ptr::eq(prev.header(), next_header) {
            return;
        }
        let save = prev.header().sp.as_ptr();
        if prev.header().state.get() == State::Finished {
            self.dead.set(Some(prev));
        } else {
            // Still owned by the live table, a queue or block_on.
            drop(prev);
        }
        // Why the switch below is sound: `save` points into the header of
        // `prev`, kept alive by its other owners (or `dead`) while it is
        // suspended; `resume` is the stack pointer `next` saved when it
        // switched away (or its initial frame), and `next` has not run
        // since: only the run queue hands out contexts, and each is in it
        // at most once. Every context of this runtime switches through the
        // same one of the two functions (the flag never changes), so
        // without FP control none of them relies on it.
        // SAFETY: `save` and `resume` are valid and unshared as argued above.
        unsafe {
            if self.preserve_fp_control {
                arch::switch(save, resume)
            } else {
                arch::switch_without_fp_control(save, resume)
            }
        };
        self.reap();
    }

    /// Frees the stack of the fiber that finished just before we resumed.
    #[inline(always)]
    fn reap(&self) {
        if let Some(dead) = self.dead.take() {
            self.reap_dead(dead);
        }
    }

    /// The rare half of [`reap`](Self::reap), out of the switch path.
    #[inline(never)]
    fn reap_dead(&self, dead: FiberRef) {
        if let Some(stack) = dead.header().stack.take() {
            self.stacks.borrow_mut().release(stack);
        }
        let removed = self.live.borrow_mut().remove(dead.header().slot.get());
        drop(removed);
        drop(dead);
    }

    /// Ends the running fiber: wakes its joiner and switches away for good.
    fn exit_current(&self) -> ! {
        let me = self.current();
        me.header().state.set(State::Finished);
        let joiner = me.header().joiner.take();
        drop(me);
        match joiner {
            Some(Joiner::Fiber(waiter)) => waiter.wake(),
            Some(Joiner::Task(waker)) => waker.wake(),
            None => {}
        }
        self.switch_to_next();
        unreachable!("a finished fiber is never resumed");
    }

    /// The next context to run; see the module docs for the order.
    fn next_runnable(&self) -> FiberRef {
        loop {
            let left = self.ticks.get();
            if left == 0 {
                self.ticks.set(EVENT_INTERVAL - 1);
                self.maintain(false);
            } else {
                self.ticks.set(left - 1);
            }
            if let Some(next) = self.run_queue.borrow_mut().pop_front() {
                return next;
            }
            self.maintain(true);
        }
    }

    /// Drains remote wake-ups, fires timers and polls I/O; blocks in the
    /// poll only if `block` and nothing is runnable.
    fn maintain(&self, block: bool) {
        self.wake_remote();
        self.fire_timers();
        if block && self.run_queue.borrow().is_empty() {
            let timeout = self
                .timers
                .borrow()
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()));
            if timeout.is_none() && self.io_waiting.get() == 0 && self.remote_waiting.get() == 0 {
                self.declare_deadlock();
                return;
            }
            let timeout = if self.remote.begin_sleep() {
                timeout
            } else {
                Some(Duration::ZERO)
            };
            let polled = self.io.poll(timeout);
            self.remote.end_sleep();
            self.on_poll_error(polled);
            self.wake_remote();
            self.fire_timers();
        } else if self.io.has_sources() {
            let polled = self.io.poll(Some(Duration::ZERO));
            self.on_poll_error(polled);
        }
    }

    fn on_poll_error(&self, polled: io::Result<()>) {
        if let Err(e) = polled {
            // epoll_wait only fails on programming errors (EBADF, EFAULT);
            // report it and keep the runtime alive (timers still work).
            eprintln!("eddy_fiber: polling the event queue failed: {e}");
        }
    }

    fn fire_timers(&self) {
        if self.timers.borrow().is_empty() {
            return;
        }
        let now = Instant::now();
        loop {
            let due = self.timers.borrow_mut().pop_due(now);
            match due {
                Some(waiter) => waiter.wake(),
                None => break,
            }
        }
    }

    fn wake_remote(&self) {
        for key in self.remote.drain() {
            let fiber = self.live.borrow().get(key.slot).cloned();
            if let Some(fiber) = fiber.filter(|f| f.header().id == key.id) {
                Waiter {
                    fiber,
                    wait: key.wait,
                }
                .wake();
            }
        }
    }

    /// Nothing can ever wake a fiber: wake the root so block_on can report.
    fn declare_deadlock(&self) {
        let root = self.root.borrow().clone();
        match root {
            Some(root) if root.header().state.get() == State::Waiting => {
                self.deadlocked.set(true);
                self.push_runnable(root);
            }
            _ => {
                // No root waiting (cannot happen while entered through
                // block_on or shutdown); block until an I/O event instead.
                let _ = self.io.poll(Some(Duration::from_millis(100)));
            }
        }
    }

    /// Runs the scheduler on the calling thread, as the root context, until
    /// `main` finishes.
    pub(crate) fn run_root<T>(&self, main: &FiberCell<dyn Output<T>>) -> Result<T, JoinError> {
        let _enter = Enter::new(self);
        let root = new_root(self.id);
        *self.current.borrow_mut() = Some(root.clone());
        *self.root.borrow_mut() = Some(root);
        let _reset = ResetRoot(self);
        let output = join(main);
        if self.deadlocked.take() {
            panic!(
                "eddy_fiber: deadlock: every fiber is parked and no timer, socket or waker can wake \
                 one, so the main fiber of block_on can never finish"
            );
        }
        output
    }

    /// One turn of a scheduler hosted in an eddy task (see the module
    /// docs): fires due timers, takes ready I/O and wake-ups without
    /// blocking, then runs the fibers runnable now until each has parked,
    /// yielded or finished.
    pub(crate) fn run_hosted(&self) {
        let _enter = Enter::new(self);
        let root = new_root(self.id);
        *self.current.borrow_mut() = Some(root.clone());
        *self.root.borrow_mut() = Some(root.clone());
        let _reset = ResetRoot(self);
        self.remote.end_sleep();
        self.wake_remote();
        self.fire_timers();
        let polled = self.io.poll(Some(Duration::ZERO));
        self.on_poll_error(polled);
        self.wake_remote();
        if !self.run_queue.borrow().is_empty() {
            self.push_runnable(root);
            self.switch_to_next();
        }
    }

    /// Whether a fiber is waiting to run (the host polls again soon).
    pub(crate) fn has_runnable(&self) -> bool {
        !self.run_queue.borrow().is_empty()
    }

    /// The earliest timer deadline of a parked fiber.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.borrow().next_deadline()
    }

    /// Wakes the eddy task hosting this scheduler, if any.
    pub(crate) fn wake_host(&self) {
        if let Some(waker) = self.host_waker.borrow().as_ref() {
            waker.wake_by_ref();
        }
    }

    /// Cancels the fibers still alive (see the module docs).
    pub(crate) fn shutdown(&self) {
        if self.live.borrow().is_empty() {
            return;
        }
        let _enter = Enter::new(self);
        self.shutting_down.set(true);
        let root = new_root(self.id);
        let previous = self.current.replace(Some(root.clone()));
        let _root_slot = self.root.replace(Some(root.clone()));
        for _ in 0..SHUTDOWN_ROUNDS {
            let fibers: Vec<FiberRef> = self.live.borrow().iter().cloned().collect();
            if fibers.is_empty() {
                break;
            }
            for fiber in &fibers {
                fiber.header().cancelled.set(true);
                if fiber.header().state.get() == State::Waiting {
                    self.push_runnable(fiber.clone());
                }
            }
            drop(fibers);
            while !self.run_queue.borrow().is_empty() {
                self.push_runnable(root.clone());
                self.switch_to_next();
            }
        }
        // Fibers that caught their cancellation and parked again are
        // leaked: their stacks go, the objects on them are never dropped.
        let leftovers: Vec<FiberRef> = self.live.borrow().iter().cloned().collect();
        for fiber in leftovers {
            drop(fiber.header().stack.take());
        }
        *self.root.borrow_mut() = None;
        *self.current.borrow_mut() = previous;
    }
}

/// Clears the root context when `run_root` ends, even by unwinding.
struct ResetRoot<'a>(&'a Scheduler);

impl Drop for ResetRoot<'_> {
    fn drop(&mut self) {
        *self.0.root.borrow_mut() = None;
        *self.0.current.borrow_mut() = None;
    }
}

/// Parks the running context until `target` finishes; returns its output.
pub(crate) fn join<T>(target: &FiberCell<dyn Output<T>>) -> Result<T, JoinError> {
    expect("JoinHandle::join", |s| {
        loop {
            if let Some(output) = target.body.take_output() {
                return output;
            }
            if target.header().state.get() == State::Finished {
                // The output was taken by an earlier poll of this handle.
                return Err(JoinError::Cancelled);
            }
            let waiter = s.begin_wait();
            target.header().joiner.set(Some(Joiner::Fiber(waiter)));
            if s.park().is_err() || s.deadlocked.get() {
                return Err(JoinError::Cancelled);
            }
        }
    })
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("id", &self.id)
            .field("live", &self.live.borrow().len())
            .field("runnable", &self.run_queue.borrow().len())
            .field("timers", &self.timers.borrow().len())
            .finish()
    }
}
