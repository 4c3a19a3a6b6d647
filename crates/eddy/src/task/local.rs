//! `!Send` tasks: [`spawn_local`] and [`LocalSet`], a set of tasks that all
//! run on the thread that owns it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::{Id, JoinHandle, Notified, OwnedTasks, Schedule, Task, new_task};
use crate::runtime::{Runtime, context, coop, scheduler};

/// Tasks run per poll of the set before it yields to the runtime.
const TASKS_PER_POLL: usize = 61;

/// A set of `!Send` tasks that run on the thread owning the set, while the
/// set is driven by [`run_until`](LocalSet::run_until), by
/// [`block_on`](LocalSet::block_on) or by awaiting it.
///
/// ```
/// use eddy::task::{self, LocalSet};
/// use std::rc::Rc;
///
/// let rt = eddy::runtime::Runtime::new()?;
/// let local = LocalSet::new();
/// let shared = Rc::new(5); // !Send
/// let out = local.block_on(&rt, async move {
///     let s = shared.clone();
///     task::spawn_local(async move { *s * 2 }).await.unwrap()
/// });
/// assert_eq!(out, 10);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct LocalSet {
    shared: Arc<LocalShared>,
    /// `!Send` and `!Sync`: the tasks must stay on this thread.
    _not_send: PhantomData<*const ()>,
}

struct LocalShared {
    queue: Mutex<LocalQueue>,
    owned: Mutex<OwnedTasks<Arc<LocalShared>>>,
    /// The waker of whoever drives the set.
    waker: Mutex<Option<Waker>>,
}

struct LocalQueue {
    tasks: VecDeque<Notified<Arc<LocalShared>>>,
    closed: bool,
}

thread_local! {
    static CURRENT_SET: RefCell<Option<Arc<LocalShared>>> = const { RefCell::new(None) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        LocalSet {
            shared: Arc::new(LocalShared {
                queue: Mutex::new(LocalQueue {
                    tasks: VecDeque::new(),
                    closed: false,
                }),
                owned: Mutex::new(OwnedTasks::new()),
                waker: Mutex::new(None),
            }),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` future onto this set. It runs when the set is
    /// driven.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn(future)
    }

    /// Drives the set's tasks while awaiting `future`; returns its output.
    /// Tasks left when it finishes stay in the set.
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil {
            set: self,
            future: Box::pin(future),
        }
    }

    /// Runs `future` on `rt`, driving this set meanwhile (as
    /// `rt.block_on(set.run_until(future))`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Runs up to a batch of tasks; true if more are ready.
    fn tick(&self) -> bool {
        let _enter = Enter::new(&self.shared);
        for _ in 0..TASKS_PER_POLL {
            let task = lock(&self.shared.queue).tasks.pop_front();
            match task {
                Some(task) => coop::budget(|| {
                    let prev = context::set_current_task(Some(task.header().id));
                    task.run();
                    context::set_current_task(prev);
                }),
                None => return false,
            }
        }
        !lock(&self.shared.queue).tasks.is_empty()
    }
}

impl Default for LocalSet {
    fn default() -> Self {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &lock(&self.shared.owned).len())
            .finish()
    }
}

/// Awaiting a `LocalSet` runs its tasks until all have finished.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *lock(&self.shared.waker) = Some(cx.waker().clone());
        if self.tick() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if lock(&self.shared.owned).is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        let _enter = Enter::new(&self.shared);
        lock(&self.shared.owned).close();
        lock(&self.shared.queue).closed = true;
        loop {
            let task = lock(&self.shared.owned).pop();
            match task {
                Some(task) => task.shutdown(),
                None => break,
            }
        }
        let queued: Vec<_> = lock(&self.shared.queue).tasks.drain(..).collect();
        drop(queued);
        lock(&self.shared.waker).take();
    }
}

/// The future returned by [`LocalSet::run_until`].
pub struct RunUntil<'a, F> {
    set: &'a LocalSet,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        *lock(&self.set.shared.waker) = Some(cx.waker().clone());
        {
            let _enter = Enter::new(&self.set.shared);
            if let Poll::Ready(out) = self.future.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
        }
        if self.set.tick() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl<F> fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntil").finish_non_exhaustive()
    }
}

/// Makes a set current on this thread (for `spawn_local`).
struct Enter {
    prev: Option<Arc<LocalShared>>,
}

impl Enter {
    fn new(shared: &Arc<LocalShared>) -> Enter {
        Enter {
            prev: CURRENT_SET.with(|c| c.replace(Some(shared.clone()))),
        }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT_SET.try_with(|c| c.replace(prev));
    }
}

impl LocalShared {
    fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // !Send futures: the set is !Send, so this runs on its thread; the
        // task is bound to the set's list (keeping it alive) and only the
        // set, on this thread, polls or shuts it down.
        let (task, notified, join) = new_task(future, self.clone(), Id::next());
        let bound = lock(&self.owned).bind(task);
        match bound {
            Ok(()) => self.schedule(notified),
            Err(task) => {
                drop(notified);
                task.shutdown();
            }
        }
        join
    }
}

impl Schedule for Arc<LocalShared> {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        lock(&self.owned).remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        let mut queue = lock(&self.queue);
        if queue.closed {
            drop(queue);
            drop(task);
            return;
        }
        queue.tasks.push_back(task);
        drop(queue);
        let waker = lock(&self.waker).clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Spawns a `!Send` future on the current thread: onto the [`LocalSet`]
/// being driven, or else onto the current-thread runtime whose `block_on`
/// runs on this thread.
///
/// # Panics
///
/// Anywhere else (no local set and no current-thread runtime driven by
/// this thread), with a message saying so.
///
/// ```
/// use std::rc::Rc;
/// let rt = eddy::runtime::Builder::new_current_thread().build()?;
/// rt.block_on(async {
///     let value = Rc::new("local");
///     let task = eddy::task::spawn_local(async move { *value });
///     assert_eq!(task.await.unwrap(), "local");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match try_spawn_local(future) {
        Ok(join) => join,
        Err(error) => {
            drop(error.into_future());
            // A `&str` payload, as a literal `panic!` message would give.
            std::panic::panic_any(NO_LOCAL_SCHEDULER);
        }
    }
}

const NO_LOCAL_SCHEDULER: &str = "eddy::task::spawn_local called outside a LocalSet and outside \
     the thread running a current-thread runtime's block_on: !Send tasks need one of them";

/// [`spawn_local`] without the panic: where no [`LocalSet`] is being driven
/// and this thread does not run a current-thread runtime's `block_on` (a
/// multi-thread runtime, a runtime only entered with
/// [`Handle::enter`](crate::runtime::Handle::enter), no runtime at all), the
/// future comes back in the error, unpolled.
///
/// ```
/// let rt = eddy::runtime::Builder::new_multi_thread().build()?;
/// rt.block_on(async {
///     let refused = eddy::task::try_spawn_local(async { 1 }).unwrap_err();
///     // Run it some other way instead: here, in place.
///     assert_eq!(refused.into_future().await, 1);
/// });
/// let local = eddy::runtime::Builder::new_current_thread().build()?;
/// local.block_on(async {
///     let task = eddy::task::try_spawn_local(async { 2 }).unwrap();
///     assert_eq!(task.await.unwrap(), 2);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn try_spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnLocalError<F>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = Location::caller();
    if let Some(set) = CURRENT_SET.with(|c| c.borrow().clone()) {
        return Ok(set.spawn(future));
    }
    let handle = context::with_current(|h| h.clone());
    // Any other scheduler (multi-thread) cannot hold !Send tasks.
    #[allow(irrefutable_let_patterns)]
    if let Some(scheduler::Handle::CurrentThread(h)) = handle {
        return h
            .spawn_local(future, Id::next(), location)
            .map_err(|future| SpawnLocalError { future });
    }
    Err(SpawnLocalError { future })
}

/// [`try_spawn_local`] found no local scheduler on this thread; the future,
/// never polled, is inside.
pub struct SpawnLocalError<F> {
    future: F,
}

impl<F> SpawnLocalError<F> {
    /// The future that was not spawned.
    pub fn into_future(self) -> F {
        self.future
    }
}

impl<F> fmt::Debug for SpawnLocalError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpawnLocalError").finish_non_exhaustive()
    }
}

impl<F> fmt::Display for SpawnLocalError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NO_LOCAL_SCHEDULER)
    }
}

impl<F> std::error::Error for SpawnLocalError<F> {}
