//! Spawning onto the current-thread scheduler (`Send` futures from any
//! thread, `!Send` ones from the scheduler's own thread), remote wakes
//! through the inject queue, and the [`Schedule`] implementation tasks use
//! to get back onto a run queue.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;

use super::{Handle, Incoming, Notified, Task};
use crate::task::{self, Id, JoinHandle, Schedule};

impl Handle {
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
        self.spawn_sites.record(id, location);
        let (task, notified, join) = task::new_task(future, self.clone(), id);
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

    pub(super) fn push_remote(self: &Arc<Self>, incoming: Incoming) {
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

    /// [`Schedule::schedule`] off the runtime's thread (or outside its
    /// `block_on`): through the inject queue.
    #[cold]
    #[inline(never)]
    fn schedule_remote(self: &Arc<Self>, task: Notified) {
        self.push_remote(Incoming::Woken(task));
    }

    pub(super) fn unpark_if_parked(&self) {
        if self.shared.parked.load(SeqCst) && self.shared.parked.swap(false, SeqCst) {
            self.driver.unpark();
        }
    }
}

impl Schedule for Arc<Handle> {
    fn release(&self, task: &Task) -> Option<Task> {
        self.spawn_sites.forget(task.header().id);
        self.with_core(|core| core.owned.remove(task)).flatten()
    }

    #[inline]
    fn schedule(&self, task: Notified) {
        // On this runtime's thread (the usual case: a wake from the reactor
        // or from another task) the queue is the core's, with no lock.
        let mut task = Some(task);
        self.with_core(|core| {
            if let Some(task) = task.take() {
                core.run_queue.push_back(task);
            }
        });
        if let Some(task) = task {
            self.schedule_remote(task);
        }
    }
}
