//! The scheduler's [`Core`]: what only the thread running `block_on`
//! touches (the local run queue, the owned tasks, the driver), the
//! thread-local it is installed in for the duration of `block_on`, the guard
//! that installs and returns it, and choosing the next task to run.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
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
    pub(super) tick: u32,
    /// The thread whose `spawn_local` tasks this runtime holds.
    pub(super) local_thread: Option<ThreadId>,
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
    /// Runs `f` on this scheduler's core if it is installed on this thread
    /// and not borrowed; `None` otherwise.
    pub(super) fn with_core<R>(self: &Arc<Self>, f: impl FnOnce(&mut Core) -> R) -> Option<R> {
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
}

/// Keeps a core installed in the thread-local; on drop takes it out and
/// returns it to the slot (or drops it after shutdown).
pub(super) struct CoreGuard<'a> {
    pub(super) handle: &'a Arc<Handle>,
    /// The core (of another runtime) installed before, restored on drop:
    /// e.g. a runtime dropped inside another runtime's task.
    prev: (usize, Option<Box<Core>>),
    pub(super) keep: bool,
}

impl<'a> CoreGuard<'a> {
    pub(super) fn install(handle: &'a Arc<Handle>, core: Box<Core>) -> CoreGuard<'a> {
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

    pub(super) fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        CURRENT.with(|c| f(c.core.borrow_mut().as_mut().expect("the core is installed")))
    }

    pub(super) fn next_task(&self) -> Option<Notified> {
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
