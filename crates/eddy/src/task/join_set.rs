//! [`JoinSet`]: a collection of tasks whose outputs are taken as they
//! finish.
//!
//! Each task's `JoinHandle` is polled with its own small waker that records
//! the task's slot in a shared ready list and wakes the `join_next` caller,
//! so a wake costs O(1) and `join_next` only polls tasks that were woken.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use super::{AbortHandle, JoinError, JoinHandle};
use crate::runtime::coop;

/// A set of spawned tasks with the same output type.
///
/// Dropping the set aborts every task in it.
///
/// ```
/// use eddy::task::JoinSet;
///
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..5u32 {
///         set.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(result) = set.join_next().await {
///         total += result.unwrap();
///     }
///     assert_eq!(total, 30);
///     assert!(set.is_empty());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinSet<T> {
    slots: Vec<Option<Entry<T>>>,
    free: Vec<usize>,
    len: usize,
    ready: Arc<ReadyList>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    waker: Waker,
}

#[derive(Default)]
struct ReadyList {
    inner: Mutex<ReadyInner>,
}

#[derive(Default)]
struct ReadyInner {
    /// Woken slots, oldest first.
    slots: VecDeque<usize>,
    parent: Option<Waker>,
}

impl ReadyList {
    fn lock(&self) -> MutexGuard<'_, ReadyInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The waker a task's `JoinHandle` is polled with.
struct SlotWaker {
    slot: usize,
    ready: Arc<ReadyList>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parent = {
            let mut inner = self.ready.lock();
            inner.slots.push_back(self.slot);
            inner.parent.take()
        };
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: Arc::default(),
        }
    }

    /// How many tasks are in the set (finished ones leave it when
    /// `join_next` returns them).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no tasks.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a task spawned elsewhere.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let waker = Waker::from(Arc::new(SlotWaker {
            slot,
            ready: self.ready.clone(),
        }));
        self.slots[slot] = Some(Entry { handle, waker });
        self.len += 1;
        // Poll it once on the next join_next so its waker is registered.
        self.ready.lock().slots.push_back(slot);
        abort
    }

    /// Aborts every task; they stay in the set until `join_next` returns
    /// their (cancelled) results.
    pub fn abort_all(&mut self) {
        for entry in self.slots.iter().flatten() {
            entry.handle.abort();
        }
    }

    /// Aborts every task and waits for all of them to leave the set.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for the next task to finish and returns its result; `None`
    /// when the set is empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished task (see [`join_next`](Self::join_next)).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        loop {
            if !coop::has_budget_remaining() {
                // Polling handles now would only re-queue them; yield.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let slot = {
                let mut inner = self.ready.lock();
                match inner.slots.pop_front() {
                    Some(slot) => slot,
                    None => {
                        inner.parent = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                }
            };
            let Some(entry) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            let mut task_cx = Context::from_waker(&entry.waker);
            if let Poll::Ready(result) = Pin::new(&mut entry.handle).poll(&mut task_cx) {
                self.slots[slot] = None;
                self.free.push(slot);
                self.len -= 1;
                return Poll::Ready(Some(result));
            }
        }
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime into this set.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// Spawns `future` on the runtime of `handle` into this set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &crate::runtime::Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(future))
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns a `!Send` future on the current thread into this set (see
    /// [`spawn_local`](super::spawn_local)).
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(super::spawn_local(future))
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}
