//! The typed, owning handles on a task allocation ([`Task`], [`Notified`]),
//! the [`Schedule`] trait a scheduler implements to run tasks, and
//! [`OwnedTasks`], the list through which a scheduler can shut every task
//! down.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::Ordering::Relaxed;

use super::raw::{Header, RawTask};
use super::{Id, JoinHandle};

/// What a scheduler provides to its tasks. The task core is generic over it,
/// so the same code runs on the current-thread scheduler, in a `LocalSet`,
/// on the multi-thread scheduler, and under a no-op scheduler in tests.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Removes `task` from the scheduler's [`OwnedTasks`], returning the
    /// list's reference (`None` if it was not there).
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>>;

    /// Makes a woken task runnable.
    fn schedule(&self, task: Notified<Self>);

    /// Makes a task that woke itself during its poll runnable; by default
    /// like [`schedule`](Self::schedule).
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }
}

/// An owned reference to a task.
pub(crate) struct Task<S: 'static> {
    raw: RawTask,
    _scheduler: PhantomData<S>,
}

/// A task that was woken and waits in a run queue; owns one reference.
pub(crate) struct Notified<S: 'static>(pub(crate) Task<S>);

impl<S: 'static> Task<S> {
    /// Takes ownership of one reference the caller transfers.
    pub(crate) fn from_raw(raw: RawTask) -> Task<S> {
        Task {
            raw,
            _scheduler: PhantomData,
        }
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    /// Shuts the task down (dropping its future if no one is polling it),
    /// consuming this reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        raw.shutdown();
    }
}

impl<S: 'static> Notified<S> {
    /// Polls the task once, consuming this notification.
    pub(crate) fn run(self) {
        let raw = self.0.raw;
        std::mem::forget(self);
        raw.poll();
    }

    pub(crate) fn header(&self) -> &Header {
        self.0.header()
    }
}

impl<S: 'static> Drop for Task<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: 'static> std::fmt::Debug for Task<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.raw.fmt(f)
    }
}

impl<S: 'static> std::fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Notified").field(&self.0).finish()
    }
}

/// Allocates a task for `future`: returns the owned-list reference, the
/// first notification and the join handle.
///
/// # `!Send` futures
///
/// `Task` and `Notified` are `Send` whatever `F` is. The caller must make
/// sure a `!Send` future is only ever polled and dropped on one thread: the
/// scheduler polls it there, and the owned list keeps it alive (so no other
/// thread frees it) until it completes or is shut down there.
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    id: Id,
) -> (Task<S>, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + 'static,
    S: Schedule,
{
    let raw = RawTask::new(future, scheduler, id);
    (
        Task::from_raw(raw),
        Notified(Task::from_raw(raw)),
        JoinHandle::new(raw),
    )
}

/// The tasks a scheduler owns, so it can shut all of them down. Not
/// synchronised: the scheduler keeps it where only its thread reaches it
/// (or behind a lock). A slab: insert and remove are O(1), the index lives
/// in the task header.
pub(crate) struct OwnedTasks<S: 'static> {
    slots: Vec<Option<Task<S>>>,
    free: Vec<usize>,
    len: usize,
    closed: bool,
}

impl<S: 'static> OwnedTasks<S> {
    pub(crate) fn new() -> Self {
        OwnedTasks {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            closed: false,
        }
    }

    /// Adds a task; gives it back if the list is closed (shutting down).
    pub(crate) fn bind(&mut self, task: Task<S>) -> Result<(), Task<S>> {
        if self.closed {
            return Err(task);
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        task.header().owned_index.store(index, Relaxed);
        self.slots[index] = Some(task);
        self.len += 1;
        Ok(())
    }

    /// Removes `task`, returning the list's reference.
    pub(crate) fn remove(&mut self, task: &Task<S>) -> Option<Task<S>> {
        let index = task.header().owned_index.load(Relaxed);
        let slot = self.slots.get_mut(index)?;
        if slot.as_ref().is_some_and(|t| t.raw == task.raw) {
            self.free.push(index);
            self.len -= 1;
            slot.take()
        } else {
            None
        }
    }

    /// Stops further binds.
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    /// Takes any one task out (for shutdown).
    pub(crate) fn pop(&mut self) -> Option<Task<S>> {
        while let Some(slot) = self.slots.pop() {
            if let Some(task) = slot {
                self.len -= 1;
                return Some(task);
            }
        }
        self.free.clear();
        None
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<S: 'static> std::fmt::Debug for OwnedTasks<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedTasks")
            .field("len", &self.len)
            .field("closed", &self.closed)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The task core driven by a bare queue: no runtime, no owned list.

    use super::*;
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    #[derive(Default)]
    struct Queue(Mutex<VecDeque<Notified<Arc<Queue>>>>);

    impl Schedule for Arc<Queue> {
        fn release(&self, _: &Task<Self>) -> Option<Task<Self>> {
            None
        }
        fn schedule(&self, task: Notified<Self>) {
            self.0.lock().unwrap().push_back(task);
        }
    }

    impl Queue {
        fn run_all(&self) {
            loop {
                let task = self.0.lock().unwrap().pop_front();
                match task {
                    Some(task) => task.run(),
                    None => return,
                }
            }
        }
    }

    fn poll_join<T>(join: &mut JoinHandle<T>) -> Poll<Result<T, crate::task::JoinError>> {
        Pin::new(join).poll(&mut Context::from_waker(Waker::noop()))
    }

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn a_task_runs_to_completion_and_yields_its_output() {
        let queue = Arc::new(Queue::default());
        let (task, notified, mut join) = new_task(async { 5 }, queue.clone(), Id::next());
        drop(task);
        assert!(poll_join(&mut join).is_pending());
        notified.run();
        assert!(join.is_finished());
        assert!(matches!(poll_join(&mut join), Poll::Ready(Ok(5))));
    }

    #[test]
    fn a_self_waking_task_is_requeued_and_polled_again() {
        let queue = Arc::new(Queue::default());
        let mut polls = 0;
        let future = std::future::poll_fn(move |cx| {
            polls += 1;
            if polls < 3 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        });
        let (task, notified, mut join) = new_task(future, queue.clone(), Id::next());
        drop(task);
        queue.schedule(notified);
        queue.run_all();
        assert!(matches!(poll_join(&mut join), Poll::Ready(Ok(3))));
    }

    #[test]
    fn shutdown_drops_the_future_once_and_cancels() {
        let queue = Arc::new(Queue::default());
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = Counted(drops.clone());
        let (task, notified, mut join) = new_task(
            async move {
                let _g = guard;
                std::future::pending::<()>().await
            },
            queue.clone(),
            Id::next(),
        );
        notified.run();
        task.shutdown();
        assert_eq!(drops.load(SeqCst), 1);
        match poll_join(&mut join) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_output_of_a_detached_task_is_dropped_at_completion() {
        let queue = Arc::new(Queue::default());
        let drops = Arc::new(AtomicUsize::new(0));
        let output = Counted(drops.clone());
        let (task, notified, join) = new_task(async move { output }, queue.clone(), Id::next());
        drop(task);
        drop(join);
        assert_eq!(drops.load(SeqCst), 0);
        notified.run();
        assert_eq!(drops.load(SeqCst), 1);
    }

    #[test]
    fn owned_tasks_bind_remove_and_close() {
        let queue = Arc::new(Queue::default());
        let mut owned = OwnedTasks::new();
        let (task, notified, _join) = new_task(async {}, queue.clone(), Id::next());
        let second = Task::<Arc<Queue>>::from_raw(task.raw());
        second.raw().ref_inc();
        owned.bind(task).unwrap();
        assert_eq!(owned.len(), 1);
        assert!(owned.remove(&second).is_some());
        assert!(owned.remove(&second).is_none());
        owned.close();
        assert!(owned.bind(second).is_err());
        assert!(owned.is_empty());
        drop(notified);
    }
}
