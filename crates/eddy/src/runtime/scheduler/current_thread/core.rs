//! The scheduler's [`Core`]: what only the thread running `block_on`
//! touches (the local run queue, the owned tasks, the driver), the
//! thread-local it is installed in for the duration of `block_on`, the guard
//! that installs and returns it, and choosing the next task to run.

use std::cell::Cell;
use std::collections::VecDeque;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::thread::ThreadId;

use super::{GLOBAL_QUEUE_INTERVAL, Handle, Incoming, Notified};
use crate::runtime::driver;
use crate::task::OwnedTasks;

/// What only the thread running the scheduler touches.
pub(super) struct Core {
    pub(super) run_queue: VecDeque<Notified>,
    pub(super) owned: OwnedTasks<Arc<Handle>>,
    /// `None` only while parked (the driver is taken out to park).
    pub(super) driver: Option<driver::Driver>,
    /// Ticks left until the inject queue goes first again (counts down
    /// from `GLOBAL_QUEUE_INTERVAL`: a decrement instead of a division).
    pub(super) tick: u32,
    /// The thread whose `spawn_local` tasks this runtime holds.
    pub(super) local_thread: Option<ThreadId>,
}

/// The core installed on this thread, and whose it is. Nothing in it needs
/// dropping, so the thread-local has no destructor to register and every
/// access is a plain load or store (no "initialised / being destroyed"
/// check): this is read on every wake and spawn.
struct Current {
    /// Address of the `Handle` whose core is installed (0: none).
    handle: Cell<usize>,
    /// The installed core (owned by its [`CoreGuard`]); null when none is
    /// installed and while [`Handle::with_core`] lends it out, so a nested
    /// call finds it busy instead of aliasing it.
    core: Cell<*mut Core>,
}

thread_local! {
    static CURRENT: Current = const {
        Current {
            handle: Cell::new(0),
            core: Cell::new(ptr::null_mut()),
        }
    };
}

impl Handle {
    /// Runs `f` on this scheduler's core if it is installed on this thread
    /// and not lent out already; `None` otherwise.
    #[inline]
    pub(super) fn with_core<R>(self: &Arc<Self>, f: impl FnOnce(&mut Core) -> R) -> Option<R> {
        /// Puts the lent core back, also if `f` panics.
        struct Lend(*mut Core);
        impl Drop for Lend {
            #[inline]
            fn drop(&mut self) {
                CURRENT.with(|c| c.core.set(self.0));
            }
        }
        // Two small thread-local accesses rather than one around `f`, so
        // both inline into the caller (the wake path runs this per event).
        let addr = self.addr();
        let core = CURRENT.with(|c| {
            if c.handle.get() == addr {
                c.core.replace(ptr::null_mut())
            } else {
                ptr::null_mut()
            }
        });
        if core.is_null() {
            return None;
        }
        let lend = Lend(core);
        // SAFETY: a non-null pointer in the thread-local is the live core
        // of the `CoreGuard` installed on this thread (it clears the
        // pointer before freeing or returning the core), and nulling it
        // above makes this the only reference until `lend` puts it back.
        Some(f(unsafe { &mut *lend.0 }))
    }
}

/// Keeps a core installed in the thread-local; on drop takes it out and
/// returns it to the slot (or drops it after shutdown).
pub(super) struct CoreGuard<'a> {
    pub(super) handle: &'a Arc<Handle>,
    /// The installed core, from `Box::into_raw`; freed or returned on drop.
    core: *mut Core,
    /// The core (of another runtime) installed before, restored on drop:
    /// e.g. a runtime dropped inside another runtime's task.
    prev: (usize, *mut Core),
    pub(super) keep: bool,
}

impl<'a> CoreGuard<'a> {
    pub(super) fn install(handle: &'a Arc<Handle>, core: Box<Core>) -> CoreGuard<'a> {
        let core = Box::into_raw(core);
        let prev = CURRENT.with(|c| (c.handle.replace(handle.addr()), c.core.replace(core)));
        CoreGuard {
            handle,
            core,
            prev,
            keep: true,
        }
    }

    /// Runs `f` on the core. Only for the `block_on` loop and shutdown,
    /// between task polls.
    #[inline]
    pub(super) fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        // SAFETY: `self.core` lives until `drop`. The only other way to the
        // core is `Handle::with_core`, which runs inside task polls and
        // wakes on this thread and returns before the loop goes on; the
        // loop's closures (queue and driver moves) never poll, wake or
        // spawn, so no two references to the core are alive at once.
        f(unsafe { &mut *self.core })
    }

    /// The next task to run: the local queue's head, except every
    /// `GLOBAL_QUEUE_INTERVAL` ticks (or when the local queue is empty)
    /// when the inject queue goes first.
    #[inline]
    pub(super) fn next_task(&self) -> Option<Notified> {
        let local = self.with_core(|core| {
            core.tick = core.tick.wrapping_sub(1);
            if core.tick == 0 {
                core.tick = GLOBAL_QUEUE_INTERVAL;
                None
            } else {
                core.run_queue.pop_front()
            }
        });
        match local {
            Some(task) => Some(task),
            None => self.next_task_slow(),
        }
    }

    /// [`next_task`](Self::next_task) off the fast path: the inject queue
    /// first, then the local queue; binds a task spawned off the core.
    #[cold]
    fn next_task_slow(&self) -> Option<Notified> {
        let handle = self.handle;
        let incoming = pop_inject(handle)
            .or_else(|| self.with_core(|core| core.run_queue.pop_front().map(Incoming::Woken)))?;
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
        let (prev_handle, prev_core) = self.prev;
        CURRENT.with(|c| {
            c.handle.set(prev_handle);
            c.core.set(prev_core);
        });
        // SAFETY: the pointer came from `Box::into_raw` in `install` and the
        // thread-local no longer holds it, so this is its only owner.
        let core = unsafe { Box::from_raw(self.core) };
        if self.keep {
            self.handle.return_core(core);
        } else {
            drop(core);
        }
    }
}
