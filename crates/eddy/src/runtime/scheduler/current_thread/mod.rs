//! The current-thread scheduler: every task runs on the thread that calls
//! `block_on`.
//!
//! # Protocol
//!
//! * The [`Core`] (local run queue, owned task list, the
//!   driver) is taken by `block_on` and installed in a thread-local for
//!   its duration. Wakes and spawns on that thread push onto the local
//!   queue with no lock and no atomic read-modify-write.
//! * Wakes and spawns from other threads (or from this thread outside
//!   `block_on`) go through the *inject* queue (a mutex). A task spawned
//!   that way is bound to the owned list when the core pops it.
//! * The loop polls the root future whenever it was woken, then runs up to
//!   `event_interval` tasks, then polls the driver with a zero timeout so
//!   I/O and timers are not starved by a long run queue. When the run
//!   queue empties while work is already waiting (the root future woken, a
//!   remote push), the driver gets a zero-timeout poll only once
//!   `event_interval` polls have passed since it last ran: so a root
//!   future that yields in a loop cannot starve timers, and a spawn-and-
//!   join round trip costs no `epoll_wait`. Every
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
//!
//! # Files
//!
//! * `core.rs`: the core (run queue, owned tasks, driver),
//!   the thread-local it is installed in for the duration of `block_on`, and
//!   picking the next task.
//! * `block_on.rs`: the `block_on` loop: poll the root future, run tasks,
//!   park in the driver; the root future's waker.
//! * `spawn.rs`: spawning (`Send` and local), remote wakes through the inject
//!   queue, and the [`Schedule`](crate::task::Schedule) implementation.
//! * `shutdown.rs`: the shutdown sequence.

mod block_on;
mod core;
mod shutdown;
mod spawn;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::{Config, SpawnSites};
use crate::runtime::{context, driver};
use crate::task::{self, Id, OwnedTasks};

use self::core::Core;

type Task = task::Task<Arc<Handle>>;
type Notified = task::Notified<Arc<Handle>>;

/// Check the inject queue first every this many ticks (as tokio).
const GLOBAL_QUEUE_INTERVAL: u32 = 31;

/// The scheduler's shared half; tasks hold it (it is their `Schedule`).
pub(crate) struct Handle {
    shared: Shared,
    pub(crate) driver: driver::Handle,
    /// Spawn sites for the blocking detector (records only when it is on).
    pub(crate) spawn_sites: SpawnSites,
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
            tick: GLOBAL_QUEUE_INTERVAL,
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
            spawn_sites: SpawnSites::new(config.warn_on_blocking.is_some()),
            config,
        })
    }

    fn addr(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    fn lock_inject(&self) -> MutexGuard<'_, Inject> {
        self.shared.inject.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn owned_len(self: &Arc<Self>) -> usize {
        let slot = self.shared.core.lock().unwrap();
        slot.core.as_ref().map_or(0, |c| c.owned.len())
    }

    /// How many times the driver has been turned (the core must be free).
    #[cfg(test)]
    fn driver_turns(self: &Arc<Self>) -> u64 {
        let slot = self.shared.core.lock().unwrap();
        slot.core
            .as_ref()
            .and_then(|c| c.driver.as_ref())
            .map_or(0, |d| d.turns)
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
    use std::panic::Location;

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
    fn spawn_and_join_round_trips_poll_the_driver_once_per_interval() {
        let handle = handle();
        let h = handle.clone();
        const ROUND_TRIPS: u64 = 1_000;
        let before = handle.driver_turns();
        handle.block_on(async move {
            for i in 0..ROUND_TRIPS {
                let join = h.spawn(async move { i }, Id::next(), Location::caller());
                assert_eq!(join.await.unwrap(), i);
            }
        });
        // Each round trip polls the root future and the task (two polls);
        // the driver runs once per `event_interval` (61) of them, not once
        // per round trip as it did (1,000 `epoll_wait`s).
        let turns = handle.driver_turns() - before;
        let most = 2 * ROUND_TRIPS / u64::from(Config::default().event_interval) + 2;
        assert!(
            turns <= most,
            "{turns} driver turns, at most {most} expected"
        );
        assert!(turns >= 1, "the driver never ran");
        handle.shutdown();
    }

    #[test]
    fn spawn_sites_are_kept_only_while_the_detector_is_on_and_tasks_live() {
        let (driver, driver_handle) = driver::Driver::new().unwrap();
        let config = Config {
            warn_on_blocking: Some(std::time::Duration::from_secs(10)),
            ..Config::default()
        };
        let handle = Handle::new(driver, driver_handle, config);
        let h = handle.clone();
        handle.block_on(async move {
            let joins: Vec<_> = (0..100)
                .map(|i| h.spawn(async move { i }, Id::next(), Location::caller()))
                .collect();
            assert_eq!(h.spawn_sites.len(), 100);
            for (i, join) in joins.into_iter().enumerate() {
                assert_eq!(join.await.unwrap(), i);
            }
            // Completed tasks leave no entry behind.
            assert_eq!(h.spawn_sites.len(), 0);
        });
        handle.shutdown();

        // Off (the default): nothing is recorded.
        let off = self::handle();
        let h = off.clone();
        off.block_on(async move {
            let join = h.spawn(async {}, Id::next(), Location::caller());
            assert_eq!(h.spawn_sites.len(), 0);
            join.await.unwrap();
        });
        off.shutdown();
    }

    #[test]
    fn shutdown_is_idempotent() {
        let handle = handle();
        handle.shutdown();
        handle.shutdown();
    }
}
