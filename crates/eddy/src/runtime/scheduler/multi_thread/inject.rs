//! The injection queue: the runtime-wide FIFO that takes tasks spawned or
//! woken from outside the workers, and the overflow of full local queues.
//!
//! A mutex around a `VecDeque`, with the length mirrored in an atomic so
//! workers can skip the lock when it is empty (the common case). Closing
//! it is the runtime's shutdown signal: pushes after that are refused and
//! handed back.

use std::collections::VecDeque;
use std::fmt;

use super::queue::Overflow;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Mutex, MutexGuard};

/// The runtime-wide task queue.
pub(crate) struct Inject<T> {
    queue: Mutex<Queue<T>>,
    /// `queue.tasks.len()`, readable without the lock.
    len: AtomicUsize,
    /// Mirrors `queue.closed` for lock-free checks.
    closed: AtomicBool,
}

struct Queue<T> {
    tasks: VecDeque<T>,
    closed: bool,
}

impl<T> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        Inject {
            queue: Mutex::new(Queue {
                tasks: VecDeque::new(),
                closed: false,
            }),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the queue looks empty (`SeqCst`: part of the parking
    /// protocol, see `worker`).
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(SeqCst) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(SeqCst)
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// Pushes one task; gives it back if the queue is closed.
    pub(crate) fn push(&self, task: T) -> Result<(), T> {
        let mut queue = self.lock();
        if queue.closed {
            return Err(task);
        }
        queue.tasks.push_back(task);
        self.len.store(queue.tasks.len(), SeqCst);
        Ok(())
    }

    /// Pops the oldest task.
    pub(crate) fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.lock();
        let task = queue.tasks.pop_front();
        self.len.store(queue.tasks.len(), SeqCst);
        task
    }

    /// Pops up to `max` tasks into `f` under one lock; returns how many.
    pub(crate) fn pop_batch(&self, max: usize, mut f: impl FnMut(T)) -> usize {
        if max == 0 || self.is_empty() {
            return 0;
        }
        let mut queue = self.lock();
        let n = max.min(queue.tasks.len());
        for task in queue.tasks.drain(..n) {
            f(task);
        }
        self.len.store(queue.tasks.len(), SeqCst);
        n
    }

    /// Refuses further pushes; returns false if it was already closed.
    pub(crate) fn close(&self) -> bool {
        let mut queue = self.lock();
        let first = !queue.closed;
        queue.closed = true;
        self.closed.store(true, SeqCst);
        first
    }

    /// Takes every queued task (shutdown).
    pub(crate) fn drain(&self) -> Vec<T> {
        let mut queue = self.lock();
        self.len.store(0, SeqCst);
        queue.tasks.drain(..).collect()
    }
}

impl<T> Overflow<T> for Inject<T> {
    /// Takes the overflow of a local queue. A closed queue drops the batch
    /// (shutdown is under way and drops every task anyway).
    fn push_batch(&self, tasks: impl Iterator<Item = T>) {
        let mut queue = self.lock();
        if queue.closed {
            drop(queue);
            tasks.for_each(drop);
            return;
        }
        queue.tasks.extend(tasks);
        self.len.store(queue.tasks.len(), SeqCst);
    }
}

impl<T> fmt::Debug for Inject<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inject")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_batch_and_close() {
        let inject = Inject::new();
        for i in 0..5 {
            inject.push(i).unwrap();
        }
        assert_eq!(inject.pop(), Some(0));
        let mut got = Vec::new();
        assert_eq!(inject.pop_batch(2, |t| got.push(t)), 2);
        assert_eq!(got, [1, 2]);
        assert!(inject.close());
        assert!(!inject.close());
        assert_eq!(inject.push(9), Err(9));
        assert_eq!(inject.drain(), [3, 4]);
        assert!(inject.is_empty());
    }
}
