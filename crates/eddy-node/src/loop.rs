//! The loop: libuv's `uv_run`, one phase per line.
//!
//! [`LoopInner::run_phases`] *is* the list of phases (see
//! `docs/design.md`, "eddy-node: the loop"):
//!
//! 1. update the loop time;
//! 2. run due timers;
//! 3. pending callbacks (I/O callbacks deferred from the last iteration);
//! 4. idle handles;
//! 5. prepare handles;
//! 6. poll for I/O, blocking for [`LoopInner::poll_timeout`];
//! 7. check handles: the `set_immediate` callbacks;
//! 8. close callbacks;
//!
//! and the loop goes round while [`LoopInner::alive`]. The loop is per thread:
//! `run` installs it in a thread-local so the free functions
//! (`timers::set_timeout`, `fs::read_file`…) reach it.

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use eddy_poll::{Events, Poll, Registry, Token};

use crate::Error;
use crate::callback::{Callback, Uncaught};
use crate::handle::HandleCount;
use crate::slab::{Key, Slab};
use crate::task::TaskSet;
use crate::threadpool::{self, ThreadPool};
use crate::timers::{ImmediateQueue, TimerQueue};
use crate::work::{Remote, WorkDone};

/// The token of the loop's own waker (pool results, cross-thread wakes).
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);

/// A source of I/O events: a socket or a server, woken in the poll phase.
pub(crate) trait IoHandler {
    /// The source registered under this handler's token is ready.
    fn ready(self: Rc<Self>, lp: &LoopInner, readiness: Readiness);
}

/// What an I/O event reported, copied out of the poll's event list.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Readiness {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    pub(crate) error: bool,
    pub(crate) read_closed: bool,
}

/// What `on_uncaught` installs.
pub(crate) type UncaughtHandler = Box<dyn FnMut(Uncaught)>;

/// The state of one loop, shared by the phases and the free functions.
pub(crate) struct LoopInner {
    /// Identifies this loop to wakers (several loops may live on a thread
    /// one after another).
    pub(crate) id: usize,
    /// The monotonic clock's ns when the loop was made (`sys::monotonic_ns`):
    /// loop milliseconds count from here, so a timer never fires before its
    /// delay measured from anything that happened before the loop began.
    epoch_ns: u64,
    /// The cached loop time in ms since `epoch_ns` (libuv's `uv_now`).
    now: Cell<u64>,
    /// Handles that are ACTIVE and REF (timers, immediates, sockets…).
    pub(crate) handles: HandleCount,
    /// Pool work in flight (libuv's active requests).
    pub(crate) active_reqs: Cell<usize>,
    pub(crate) stop: Cell<bool>,
    pub(crate) draining: Cell<bool>,
    pub(crate) timers: RefCell<TimerQueue>,
    pub(crate) immediates: RefCell<ImmediateQueue>,
    /// Callbacks deferred to the next iteration's pending phase.
    pub(crate) pending: RefCell<VecDeque<Callback>>,
    pub(crate) idle: RefCell<Vec<Rc<dyn Fn()>>>,
    pub(crate) prepare: RefCell<Vec<Rc<dyn Fn()>>>,
    /// Close callbacks, run in the close phase.
    pub(crate) closing: RefCell<VecDeque<Callback>>,
    pub(crate) next_ticks: RefCell<VecDeque<Callback>>,
    pub(crate) microtasks: RefCell<VecDeque<Callback>>,
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    /// The poll phase's copy of the ready events (the callbacks they run
    /// may register sources, so `events` cannot stay borrowed), reused so
    /// an iteration allocates nothing.
    ready: RefCell<Vec<(Token, Readiness)>>,
    pub(crate) registry: Registry,
    pub(crate) io: RefCell<Slab<Rc<dyn IoHandler>>>,
    pub(crate) remote: Arc<Remote>,
    pub(crate) pool: OnceCell<ThreadPool>,
    pool_size: usize,
    pub(crate) work: RefCell<Slab<WorkDone>>,
    pub(crate) tasks: RefCell<TaskSet>,
    pub(crate) uncaught_handler: RefCell<Option<UncaughtHandler>>,
    pub(crate) failure: RefCell<Option<Error>>,
    /// The HTTP client's idle keep-alive connections.
    pub(crate) agent: RefCell<crate::http::Agent>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<LoopInner>>> = const { RefCell::new(None) };
}

/// Runs `f` with the loop running on this thread.
///
/// # Panics
/// If no loop runs on this thread (an API used outside `eddy_node::run`).
#[track_caller]
pub(crate) fn with_current<R>(f: impl FnOnce(&Rc<LoopInner>) -> R) -> R {
    // A shared borrow for the duration of `f`: only `Loop::run` borrows
    // mutably, never while a callback (and so `f`) runs.
    CURRENT.with(|c| {
        let current = c.borrow();
        let lp = current
            .as_ref()
            .expect("eddy-node API used outside a running loop (call it inside eddy_node::run)");
        f(lp)
    })
}

/// The loop running on this thread, if any.
pub(crate) fn try_current() -> Option<Rc<LoopInner>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// A Node-style event loop. Most programs call [`crate::run`]; build one
/// with [`Loop::new`] to handle setup errors separately.
///
/// ```
/// let lp = eddy_node::Loop::new()?;
/// lp.run(|| {
///     eddy_node::timers::set_timeout(1, || println!("one millisecond later"));
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
pub struct Loop {
    inner: Rc<LoopInner>,
}

impl fmt::Debug for Loop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loop")
            .field("id", &self.inner.id)
            .finish_non_exhaustive()
    }
}

impl Loop {
    /// Creates a loop: the OS event queue, its waker, and the pool size
    /// (from `EDDY_THREADPOOL_SIZE`; a bad value is an error here).
    pub fn new() -> Result<Loop, Error> {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        let pool_size = threadpool::size_from_env()?;
        let poll = Poll::new().map_err(|e| Error::from_io(e, "epoll_create", None))?;
        let registry = poll
            .registry()
            .try_clone()
            .map_err(|e| Error::from_io(e, "dup", None))?;
        let remote = Arc::new(Remote::new(&registry)?);
        let inner = LoopInner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            epoch_ns: crate::sys::monotonic_ns(),
            now: Cell::new(0),
            handles: HandleCount::default(),
            active_reqs: Cell::new(0),
            stop: Cell::new(false),
            draining: Cell::new(false),
            timers: RefCell::new(TimerQueue::default()),
            immediates: RefCell::new(ImmediateQueue::default()),
            pending: RefCell::new(VecDeque::new()),
            idle: RefCell::new(Vec::new()),
            prepare: RefCell::new(Vec::new()),
            closing: RefCell::new(VecDeque::new()),
            next_ticks: RefCell::new(VecDeque::new()),
            microtasks: RefCell::new(VecDeque::new()),
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            ready: RefCell::new(Vec::with_capacity(1024)),
            registry,
            io: RefCell::new(Slab::default()),
            remote,
            pool: OnceCell::new(),
            pool_size,
            work: RefCell::new(Slab::default()),
            tasks: RefCell::new(TaskSet::default()),
            uncaught_handler: RefCell::new(None),
            failure: RefCell::new(None),
            agent: RefCell::new(crate::http::Agent::default()),
        };
        Ok(Loop {
            inner: Rc::new(inner),
        })
    }

    /// Runs `main` (the "script"), then the loop until nothing referenced is
    /// left. Returns `Err` if a callback panicked with no `on_uncaught`
    /// handler, or if the OS event queue failed.
    #[track_caller]
    pub fn run(self, main: impl FnOnce()) -> Result<(), Error> {
        let site = Location::caller();
        let installed = CURRENT.with(|c| {
            let mut c = c.borrow_mut();
            if c.is_some() {
                return false;
            }
            *c = Some(Rc::clone(&self.inner));
            true
        });
        if !installed {
            return Err(Error::new(
                "ERR_LOOP_RUNNING",
                "a loop is already running on this thread",
            ));
        }
        let lp = &self.inner;
        lp.update_time();
        lp.run_fn(site, main);
        let result = lp.run_phases();
        lp.tear_down();
        CURRENT.with(|c| c.borrow_mut().take());
        result?;
        match lp.failure.borrow_mut().take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl LoopInner {
    /// `uv_run`: the phases, in order, while the loop is alive.
    fn run_phases(&self) -> Result<(), Error> {
        while self.alive() && !self.stopped() {
            self.update_time();
            self.run_timers();
            self.run_pending();
            self.run_idle();
            self.run_prepare();
            self.poll_io(self.poll_timeout())?;
            self.run_check();
            self.run_closing();
        }
        Ok(())
    }

    /// `uv__loop_alive`: referenced active handles, requests in flight, or
    /// callbacks still queued for the pending or close phase.
    pub(crate) fn alive(&self) -> bool {
        self.handles.get() > 0
            || self.active_reqs.get() > 0
            || !self.pending.borrow().is_empty()
            || !self.closing.borrow().is_empty()
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.get()
    }

    /// The cached loop time in milliseconds (Node's timer clock).
    pub(crate) fn now(&self) -> u64 {
        self.now.get()
    }

    /// Phase 1: cache the time once per iteration, as libuv does.
    pub(crate) fn update_time(&self) {
        // One clock_gettime (every `set_timeout` calls this, as Node's
        // `getLibuvNow()` does).
        let ms = crate::sys::monotonic_ns().saturating_sub(self.epoch_ns) / 1_000_000;
        self.now.set(ms);
    }

    /// Phase 3: callbacks deferred from the previous iteration.
    fn run_pending(&self) {
        let batch = std::mem::take(&mut *self.pending.borrow_mut());
        for cb in batch {
            self.run_callback(cb);
        }
    }

    /// Phase 4: idle handles (internal hooks; none by default).
    fn run_idle(&self) {
        let hooks = self.idle.borrow().clone();
        for hook in hooks {
            hook();
        }
    }

    /// Phase 5: prepare handles (internal hooks; none by default).
    fn run_prepare(&self) {
        let hooks = self.prepare.borrow().clone();
        for hook in hooks {
            hook();
        }
    }

    /// libuv's `uv_backend_timeout`: 0 when something is ready to run
    /// without I/O, else until the next timer, else forever.
    fn poll_timeout(&self) -> Option<Duration> {
        if self.stopped()
            || !self.alive()
            || !self.pending.borrow().is_empty()
            || !self.idle.borrow().is_empty()
            || !self.closing.borrow().is_empty()
            || self.immediates.borrow().has_pending()
        {
            return Some(Duration::ZERO);
        }
        self.timers
            .borrow()
            .next_deadline()
            .map(|deadline| Duration::from_millis(deadline.saturating_sub(self.now())))
    }

    /// Phase 6: wait for I/O (and pool results) and run their callbacks.
    fn poll_io(&self, timeout: Option<Duration>) -> Result<(), Error> {
        // Nothing but the waker registered and no wait wanted: reading the
        // remote flag answers what epoll_wait(0) would.
        if timeout == Some(Duration::ZERO) && self.io.borrow().len() == 0 {
            if self.remote.take_notified() {
                self.run_remote();
            }
            return Ok(());
        }
        // Taken out of its cell while callbacks run and put back after
        // them; a panic in between leaves an empty vector behind, which
        // costs only an allocation later.
        let ready = {
            let mut events = self.events.borrow_mut();
            match self.poll.borrow_mut().poll(&mut events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
                Err(e) => return Err(Error::from_io(e, "epoll_wait", None)),
            }
            let mut ready = std::mem::take(&mut *self.ready.borrow_mut());
            ready.clear();
            for event in events.iter() {
                ready.push((
                    event.token(),
                    Readiness {
                        readable: event.is_readable(),
                        writable: event.is_writable(),
                        error: event.is_error(),
                        read_closed: event.is_read_closed(),
                    },
                ));
            }
            ready
        };
        // The loop time moves on after a blocking wait (libuv updates it in
        // uv__io_poll), so timers set by I/O callbacks count from now.
        self.update_time();
        for &(token, readiness) in &ready {
            if token == WAKER_TOKEN {
                self.remote.take_notified();
                self.run_remote();
                continue;
            }
            let handler = {
                let io = self.io.borrow();
                io.get(key_of(token)).cloned()
            };
            if let Some(handler) = handler {
                handler.ready(self, readiness);
            }
            if self.stopped() {
                break;
            }
        }
        *self.ready.borrow_mut() = ready;
        Ok(())
    }

    /// Phase 7: the immediates queued before this phase began.
    fn run_check(&self) {
        crate::timers::run_immediates(self);
    }

    /// Phase 2: due timers.
    fn run_timers(&self) {
        crate::timers::run_due_timers(self);
    }

    /// Phase 8: close callbacks queued by `close()`/`destroy()`, newest
    /// first: libuv keeps closing handles in a LIFO list.
    fn run_closing(&self) {
        let batch = std::mem::take(&mut *self.closing.borrow_mut());
        for cb in batch.into_iter().rev() {
            self.run_callback(cb);
        }
    }

    /// Registers an I/O source and the handler its events go to.
    pub(crate) fn register_io(
        &self,
        source: &mut impl eddy_poll::event::Source,
        interest: eddy_poll::Interest,
        handler: Rc<dyn IoHandler>,
    ) -> io::Result<Token> {
        let key = self.io.borrow_mut().insert(handler);
        let token = token_of(key);
        if let Err(e) = self.registry.register(source, token, interest) {
            self.io.borrow_mut().remove(key);
            return Err(e);
        }
        Ok(token)
    }

    /// Removes an I/O source registered by [`LoopInner::register_io`].
    pub(crate) fn deregister_io(&self, source: &mut impl eddy_poll::event::Source, token: Token) {
        // Deregistering a socket about to be closed cannot usefully fail.
        let _ = self.registry.deregister(source);
        self.io.borrow_mut().remove(key_of(token));
    }

    /// Runs pool results and cross-thread wake-ups (the waker's event).
    fn run_remote(&self) {
        let (completions, woken) = self.remote.take();
        for (key, result) in completions {
            self.complete_work(key, result);
        }
        for task in woken {
            self.poll_task(task);
        }
    }

    fn complete_work(&self, key: Key, result: Box<dyn Any + Send>) {
        let done = self.work.borrow_mut().remove(key);
        if let Some(done) = done {
            self.active_reqs.set(self.active_reqs.get() - 1);
            let WorkDone { site, deliver } = done;
            self.run_fn(site, move || deliver(result));
        }
    }

    /// The pool, started on first use.
    pub(crate) fn pool(&self) -> &ThreadPool {
        self.pool
            .get_or_init(|| ThreadPool::new(self.pool_size, "eddy-node-pool"))
    }

    /// Drops everything the loop still holds (unref'd handles, queued
    /// callbacks) so reference cycles through callbacks are broken.
    fn tear_down(&self) {
        drop(std::mem::take(&mut *self.agent.borrow_mut()));
        drop(self.io.borrow_mut().drain());
        let timers = self.timers.borrow_mut().drain();
        drop(timers);
        drop(std::mem::take(&mut *self.immediates.borrow_mut()));
        drop(std::mem::take(&mut *self.pending.borrow_mut()));
        drop(std::mem::take(&mut *self.closing.borrow_mut()));
        drop(std::mem::take(&mut *self.next_ticks.borrow_mut()));
        drop(std::mem::take(&mut *self.microtasks.borrow_mut()));
        drop(self.work.borrow_mut().drain());
        drop(std::mem::take(&mut *self.tasks.borrow_mut()));
        drop(self.uncaught_handler.borrow_mut().take());
    }
}

fn token_of(key: Key) -> Token {
    Token(((key.generation as usize) << 32) | key.index as usize)
}

fn key_of(token: Token) -> Key {
    Key {
        index: (token.0 & 0xffff_ffff) as u32,
        generation: (token.0 >> 32) as u32,
    }
}
