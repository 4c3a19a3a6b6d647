//! A minimal scheduler for the loom models in `tests/loom_task.rs` (only
//! built under `--cfg loom`): a queue of notified tasks and an owned list
//! behind loom mutexes, so the models exercise the real task core (state
//! word, harness, waker, join handle) with every interleaving loom finds.

use std::collections::VecDeque;
use std::future::Future;

use loom::sync::{Arc, Mutex};

use super::{Id, JoinHandle, Notified, OwnedTasks, Schedule, Task, new_task};

/// A set of tasks and the queue they are scheduled on.
#[derive(Clone, Debug)]
pub struct ModelScheduler {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    queue: Mutex<VecDeque<Notified<ModelScheduler>>>,
    owned: Mutex<OwnedTasks<ModelScheduler>>,
}

impl ModelScheduler {
    /// An empty scheduler.
    pub fn new() -> ModelScheduler {
        ModelScheduler {
            inner: Arc::new(Inner {
                queue: Mutex::new(VecDeque::new()),
                owned: Mutex::new(OwnedTasks::new()),
            }),
        }
    }

    /// Spawns a task (queued, not yet polled).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, notified, join) = new_task(future, self.clone(), Id::next());
        self.inner
            .owned
            .lock()
            .unwrap()
            .bind(task)
            .expect("not closed");
        self.inner.queue.lock().unwrap().push_back(notified);
        join
    }

    /// Polls one queued task; false if the queue was empty.
    pub fn run_one(&self) -> bool {
        let task = self.inner.queue.lock().unwrap().pop_front();
        match task {
            Some(task) => {
                task.run();
                true
            }
            None => false,
        }
    }

    /// Runs queued tasks until the queue is empty (bounded by `max`).
    pub fn run_all(&self, max: usize) {
        for _ in 0..max {
            if !self.run_one() {
                return;
            }
        }
    }

    /// Shuts every task down, then drops what is queued.
    pub fn shutdown(&self) {
        self.inner.owned.lock().unwrap().close();
        loop {
            let task = self.inner.owned.lock().unwrap().pop();
            match task {
                Some(task) => task.shutdown(),
                None => break,
            }
        }
        let queued: Vec<_> = self.inner.queue.lock().unwrap().drain(..).collect();
        drop(queued);
    }

    /// Tasks still owned (not completed).
    pub fn owned(&self) -> usize {
        self.inner.owned.lock().unwrap().len()
    }
}

impl Default for ModelScheduler {
    fn default() -> Self {
        ModelScheduler::new()
    }
}

impl Schedule for ModelScheduler {
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.inner.owned.lock().unwrap().remove(task)
    }

    fn schedule(&self, task: Notified<Self>) {
        self.inner.queue.lock().unwrap().push_back(task);
    }
}
