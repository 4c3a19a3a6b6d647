//! Shutting the current-thread scheduler down: close the owned list and
//! the inject queue, shut every task down on this thread, drain the queues,
//! then shut the driver down (failing I/O, firing timers) and drain again.

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;

use super::core::CoreGuard;
use super::{Handle, Incoming};

impl Handle {
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
}

impl CoreGuard<'_> {
    pub(super) fn shutdown_tasks(&mut self) {
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

    pub(super) fn drain_queues(&self) {
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
