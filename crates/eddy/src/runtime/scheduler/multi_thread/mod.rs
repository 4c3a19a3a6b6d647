//! The multi-thread scheduler: a pool of worker threads, each with a local
//! run queue, stealing from each other when idle, sharing one driver.
//!
//! * `worker`: the worker loop, and the work-stealing, parking and shutdown
//!   protocols (read its module docs first).
//! * `queue`: a worker's bounded lock-free run queue (one owner, many
//!   stealers).
//! * `inject`: the runtime-wide queue for tasks from outside the workers
//!   and for overflow.
//! * `idle`: counts of searching / unparked workers and the sleepers list.
//! * `park`: how a worker sleeps (in the driver, or on a condvar).
//!
//! [`Handle`] is the shared half every task holds (its `Schedule`).

mod idle;
mod inject;
mod park;
mod queue;
mod worker;

#[cfg(loom)]
#[doc(hidden)]
pub mod loom_models;

use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use self::idle::Idle;
use self::inject::Inject;
use self::park::{Parker, SharedDriver, Unparker};
use self::worker::Core;
use super::{Config, SpawnSites};
use crate::runtime::{coop, driver};
use crate::task::{self, Id, JoinHandle, OwnedTasks, Schedule};

pub(crate) use worker::block_in_place;

type Task = task::Task<Arc<Handle>>;
type Notified = task::Notified<Arc<Handle>>;

/// Most worker threads a runtime may have.
pub(crate) const MAX_WORKER_THREADS: usize = 4096;

/// Owned-task shards (spawns and completions on different workers rarely
/// contend for one lock).
const OWNED_SHARDS: usize = 16;

/// The scheduler's shared half; tasks hold it (it is their `Schedule`).
pub(crate) struct Handle {
    shared: Shared,
    pub(crate) driver: driver::Handle,
    /// Spawn sites for the blocking detector (records only when it is on).
    pub(crate) spawn_sites: SpawnSites,
    pub(crate) config: Config,
}

struct Shared {
    /// What other threads need of each worker, by worker index.
    remotes: Box<[Remote]>,
    inject: Inject<Notified>,
    idle: Idle,
    owned: Box<[Mutex<OwnedTasks<Arc<Handle>>>]>,
    driver: crate::loom::sync::Arc<SharedDriver<driver::Driver>>,
    /// Cores of workers that stopped (shutdown). Boxed: cores move
    /// between threads as one pointer.
    #[allow(clippy::vec_box)]
    finished_cores: Mutex<Vec<Box<Core>>>,
    threads: Mutex<Threads>,
    threads_changed: Condvar,
}

struct Remote {
    steal: queue::Steal<Notified>,
    unparker: Unparker,
}

#[derive(Default)]
struct Threads {
    handles: Vec<thread::JoinHandle<()>>,
    /// Worker threads started and not yet exited.
    live: usize,
}

/// Reads `EDDY_WORKER_THREADS`: `Ok(None)` when unset, the count when it
/// is a number in `1..=4096`, an error naming the variable otherwise.
///
/// ```text
/// EDDY_WORKER_THREADS=4    -> Ok(Some(4))
/// EDDY_WORKER_THREADS=abc  -> Err("EDDY_WORKER_THREADS=\"abc\" is not a number ...")
/// ```
pub(crate) fn parse_worker_threads(value: Option<&std::ffi::OsStr>) -> io::Result<Option<usize>> {
    let Some(value) = value else { return Ok(None) };
    let invalid = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "build an eddy multi-thread runtime: EDDY_WORKER_THREADS={value:?} {why}; \
                 expected a whole number of worker threads from 1 to {MAX_WORKER_THREADS}"
            ),
        )
    };
    let text = value
        .to_str()
        .ok_or_else(|| invalid("is not valid UTF-8"))?;
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| invalid("is not a number"))?;
    check_worker_threads(n).map_err(|_| invalid("is out of range"))?;
    Ok(Some(n))
}

/// Checks a worker count given to the builder.
pub(crate) fn check_worker_threads(n: usize) -> io::Result<usize> {
    if n == 0 || n > MAX_WORKER_THREADS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "build an eddy multi-thread runtime: {n} worker threads requested; \
                 expected 1 to {MAX_WORKER_THREADS}"
            ),
        ));
    }
    Ok(n)
}

/// The number of worker threads when none is configured: the number of
/// CPUs (1 if unknown).
pub(crate) fn default_worker_threads() -> usize {
    thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_WORKER_THREADS)
}

impl Handle {
    /// Creates the scheduler and starts `workers` worker threads.
    pub(crate) fn new(
        driver: driver::Driver,
        driver_handle: driver::Handle,
        config: Config,
        workers: usize,
    ) -> io::Result<Arc<Handle>> {
        let workers = check_worker_threads(workers)?;
        let shared_driver = SharedDriver::new(driver);
        let mut remotes = Vec::with_capacity(workers);
        let mut cores = Vec::with_capacity(workers);
        for index in 0..workers {
            let (steal, local) = queue::local();
            let parker = Parker::new(shared_driver.clone());
            remotes.push(Remote {
                steal,
                unparker: parker.unparker(),
            });
            cores.push(Core::new(index, local, parker));
        }
        let handle = Arc::new(Handle {
            shared: Shared {
                remotes: remotes.into_boxed_slice(),
                inject: Inject::new(),
                idle: Idle::new(workers),
                owned: (0..OWNED_SHARDS)
                    .map(|_| Mutex::new(OwnedTasks::new()))
                    .collect(),
                driver: shared_driver,
                finished_cores: Mutex::new(Vec::new()),
                threads: Mutex::new(Threads::default()),
                threads_changed: Condvar::new(),
            },
            driver: driver_handle,
            spawn_sites: SpawnSites::new(config.warn_on_blocking.is_some()),
            config,
        });
        for core in cores {
            if let Err(core) = handle.start_worker(core) {
                drop(core);
                handle.shutdown(Some(Duration::from_secs(5)));
                return Err(io::Error::other(format!(
                    "build an eddy multi-thread runtime: could not start worker thread {:?}",
                    handle.config.thread_name
                )));
            }
        }
        Ok(handle)
    }

    fn lock_threads(&self) -> MutexGuard<'_, Threads> {
        self.shared
            .threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a worker thread running `core`; gives the core back if the
    /// thread cannot be created.
    fn start_worker(self: &Arc<Self>, core: Box<Core>) -> Result<(), Box<Core>> {
        let mut threads = self.lock_threads();
        threads.handles.retain(|t| !t.is_finished());
        // Hand the core over through a slot so it can be recovered if the
        // spawn fails.
        let slot = Arc::new(Mutex::new(Some(core)));
        let handle = self.clone();
        let theirs = slot.clone();
        let spawned = thread::Builder::new()
            .name(self.config.thread_name.clone())
            .spawn(move || {
                let core = theirs.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(core) = core {
                    worker::run(handle, core);
                }
            });
        match spawned {
            Ok(join) => {
                threads.handles.push(join);
                threads.live += 1;
                Ok(())
            }
            Err(e) => {
                log::error!("eddy: starting a worker thread failed: {e}");
                let core = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                Err(core.expect("the thread never started, so the core is still here"))
            }
        }
    }

    /// A worker thread is about to exit.
    fn worker_exited(&self) {
        let mut threads = self.lock_threads();
        threads.live -= 1;
        drop(threads);
        self.shared.threads_changed.notify_all();
    }

    fn owned_shard(&self, task: &Task) -> MutexGuard<'_, OwnedTasks<Arc<Handle>>> {
        let addr = task.header() as *const _ as usize;
        let index = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % OWNED_SHARDS;
        self.shared.owned[index]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Protocol 10: unparks one parked worker if work needs one.
    fn notify_parked(&self) {
        if let Some(index) = self.shared.idle.worker_to_notify() {
            self.shared.remotes[index]
                .unparker
                .unpark::<driver::Driver>(&self.driver);
        }
    }

    /// Protocol 9: the last searcher looks at every queue before sleeping.
    fn notify_if_work_pending(&self) {
        let pending = self.shared.remotes.iter().any(|r| !r.steal.is_empty())
            || !self.shared.inject.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    /// A wake or spawn from outside the workers.
    fn push_remote(&self, task: Notified) {
        match self.shared.inject.push(task) {
            Ok(()) => self.notify_parked(),
            // Shut down: the task is being (or was) shut down through the
            // owned list; this notification only held a reference.
            Err(task) => drop(task),
        }
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
        self.spawn_sites.record(id, location);
        let (task, notified, join) = task::new_task(future, self.clone(), id);
        let bound = self.owned_shard(&task).bind(task);
        match bound {
            Ok(()) => worker::schedule(self, notified, true),
            Err(task) => {
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    /// Runs `future` on the calling thread (not a worker) until it
    /// completes; the workers run the tasks meanwhile.
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        let signal = Arc::new(ThreadSignal {
            thread: thread::current(),
            woken: AtomicBool::new(true),
        });
        let waker = Waker::from(signal.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if signal.woken.swap(false, SeqCst)
                && let Poll::Ready(out) = coop::budget(|| future.as_mut().poll(&mut cx))
            {
                return out;
            }
            while !signal.woken.load(SeqCst) {
                thread::park();
            }
        }
    }

    /// Shuts the runtime down (protocol 13-15), waiting up to `timeout`
    /// (`None`: as long as it takes) for the worker threads. Idempotent.
    pub(crate) fn shutdown(self: &Arc<Self>, timeout: Option<Duration>) {
        if !self.shared.inject.close() {
            return;
        }
        for remote in self.shared.remotes.iter() {
            remote.unparker.unpark::<driver::Driver>(&self.driver);
        }
        let all_exited = self.wait_for_workers(timeout);
        self.shutdown_tasks(all_exited);
    }

    /// Waits for the worker threads to exit; false on timeout.
    fn wait_for_workers(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let me = thread::current().id();
        let mut threads = self.lock_threads();
        // A runtime dropped by one of its own tasks: do not wait for the
        // thread doing the dropping.
        let own = usize::from(
            threads
                .handles
                .iter()
                .any(|t| t.thread().id() == me && !t.is_finished()),
        );
        while threads.live > own {
            match deadline {
                None => {
                    threads = self
                        .shared
                        .threads_changed
                        .wait(threads)
                        .unwrap_or_else(|e| e.into_inner());
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        log::warn!(
                            "eddy: runtime shutdown timed out with {} worker thread(s) still busy",
                            threads.live
                        );
                        return false;
                    }
                    threads = self
                        .shared
                        .threads_changed
                        .wait_timeout(threads, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        let handles: Vec<_> = threads.handles.drain(..).collect();
        drop(threads);
        for join in handles {
            if join.thread().id() != me {
                let _ = join.join();
            }
        }
        own == 0
    }

    /// Protocol 15: drops every task, drains the queues, stops the driver.
    fn shutdown_tasks(&self, all_exited: bool) {
        self.shutdown_owned();
        let cores: Vec<Box<Core>> = std::mem::take(
            &mut *self
                .shared
                .finished_cores
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        let mut cores = cores;
        for core in &mut cores {
            core.drain();
        }
        drop(self.shared.inject.drain());
        if all_exited {
            self.shared.driver.shutdown(&self.driver);
        }
        // Dropping futures and firing timers may have woken or spawned.
        self.shutdown_owned();
        for core in &mut cores {
            core.drain();
        }
        drop(self.shared.inject.drain());
        drop(cores);
    }

    fn shutdown_owned(&self) {
        for shard in self.shared.owned.iter() {
            shard.lock().unwrap_or_else(|e| e.into_inner()).close();
            loop {
                let task = shard.lock().unwrap_or_else(|e| e.into_inner()).pop();
                match task {
                    Some(task) => task.shutdown(),
                    None => break,
                }
            }
        }
    }
}

/// Wakes the thread running `Handle::block_on`.
struct ThreadSignal {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadSignal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, SeqCst) {
            self.thread.unpark();
        }
    }
}

impl Schedule for Arc<Handle> {
    fn release(&self, task: &Task) -> Option<Task> {
        self.spawn_sites.forget(task.header().id);
        self.owned_shard(task).remove(task)
    }

    fn schedule(&self, task: Notified) {
        worker::schedule(self, task, false);
    }

    fn yield_now(&self, task: Notified) {
        worker::schedule(self, task, true);
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiThread")
            .field("workers", &self.shared.remotes.len())
            .field("inject", &self.shared.inject)
            .field("idle", &self.shared.idle)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn worker_threads_variable_is_checked() {
        assert_eq!(parse_worker_threads(None).unwrap(), None);
        assert_eq!(
            parse_worker_threads(Some(OsStr::new("3"))).unwrap(),
            Some(3)
        );
        assert_eq!(
            parse_worker_threads(Some(OsStr::new(" 2 "))).unwrap(),
            Some(2)
        );
        for bad in [
            "",
            "abc",
            "0",
            "-1",
            "4097",
            "99999999999999999999999",
            "1.5",
        ] {
            let err = parse_worker_threads(Some(OsStr::new(bad))).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
            assert!(err.to_string().contains("EDDY_WORKER_THREADS"), "{err}");
        }
        assert!(check_worker_threads(0).is_err());
        assert!(default_worker_threads() >= 1);
    }
}
