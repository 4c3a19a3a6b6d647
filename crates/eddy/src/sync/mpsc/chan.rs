//! The state shared by both mpsc flavors: a short-locked queue, the
//! receiver's waker, sender counting and (for bounded channels) a
//! [`FairSemaphore`] of free slots.
//!
//! # How it works
//!
//! Senders push onto `Shared::queue` under a `Mutex` held for a push and, at
//! most, taking the receiver's waker. The receiver keeps a private buffer: when
//! it runs dry it takes the lock once and *swaps* the whole shared queue into
//! it, so a burst of n messages costs the receiver one lock, not n, and the
//! two buffers' allocations are reused forever.
//!
//! A bounded channel of capacity n starts with n permits; a send takes one
//! before pushing and the receiver returns one per message it hands out, so
//! messages in the shared queue plus the private buffer never exceed n. Waiting
//! senders queue FIFO on the semaphore.
//!
//! Closing: the last sender sets `senders_gone` and wakes the receiver, which
//! returns `None` once both buffers are empty. A closed or dropped receiver
//! sets `receiver_gone` (sends then fail with their value) and closes the
//! semaphore so waiting senders fail too.
//!
//! Weak senders hold the `Arc` but are not counted in `senders`: upgrading
//! one is a CAS that adds a sender only while the count is above zero, so a
//! channel whose senders are all gone stays finished.

use std::collections::VecDeque;
use std::sync::{Arc, PoisonError};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::super::fair_semaphore::FairSemaphore;
use super::super::notify::Notify;
use super::error::{SendError, TryRecvError};

/// The part guarded by the lock.
#[derive(Debug)]
struct Shared<T> {
    queue: VecDeque<T>,
    /// Set by a receiver that found nothing; taken by the next push.
    rx_waker: Option<Waker>,
    /// The receiver was dropped or closed.
    receiver_gone: bool,
    /// Every sender was dropped.
    senders_gone: bool,
}

/// One channel; owned jointly by its senders (through `Arc`) and receiver.
#[derive(Debug)]
pub(super) struct Chan<T> {
    shared: Mutex<Shared<T>>,
    /// Live senders; the last one to leave closes the sending side.
    senders: AtomicUsize,
    /// Mirror of `Shared::receiver_gone` readable without the lock.
    receiver_gone: AtomicBool,
    /// Wakes `Sender::closed` futures when the receiver goes.
    receiver_gone_notify: Notify,
    /// Free slots; `None` for an unbounded channel.
    slots: Option<FairSemaphore>,
    /// The capacity a bounded channel was created with.
    bound: usize,
}

impl<T> Chan<T> {
    /// A new channel with one sender; bounded to `bound` messages if given.
    pub(super) fn new(bound: Option<usize>) -> Arc<Self> {
        Arc::new(Chan {
            shared: Mutex::new(Shared {
                queue: VecDeque::new(),
                rx_waker: None,
                receiver_gone: false,
                senders_gone: false,
            }),
            senders: AtomicUsize::new(1),
            receiver_gone: AtomicBool::new(false),
            receiver_gone_notify: Notify::new(),
            slots: bound.map(FairSemaphore::new),
            bound: bound.unwrap_or(usize::MAX),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Shared<T>> {
        // Every critical section leaves `Shared` consistent; a poisoned lock
        // (a panicking waker clone) is safe to keep using.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The slot semaphore of a bounded channel.
    pub(super) fn slots(&self) -> Option<&FairSemaphore> {
        self.slots.as_ref()
    }

    /// The capacity given at creation (bounded channels).
    pub(super) fn bound(&self) -> usize {
        self.bound
    }

    /// Pushes `value`, waking the receiver. The caller already holds a slot
    /// for bounded channels; on failure that slot is the caller's to return.
    pub(super) fn push(&self, value: T) -> Result<(), SendError<T>> {
        let mut shared = self.lock();
        if shared.receiver_gone {
            return Err(SendError(value));
        }
        shared.queue.push_back(value);
        let waker = shared.rx_waker.take();
        drop(shared);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped or closed.
    pub(super) fn is_closed(&self) -> bool {
        self.receiver_gone.load(Ordering::Acquire)
    }

    /// Resolves once the receiver is dropped or closed.
    pub(super) async fn closed(&self) {
        loop {
            let notified = self.receiver_gone_notify.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Registers one more sender.
    pub(super) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// Registers one more sender if at least one is still alive (a weak
    /// sender's upgrade). Once the count has reached zero the sending side
    /// is finished for good, so this never revives a closed channel.
    pub(super) fn try_add_sender(&self) -> bool {
        let mut current = self.senders.load(Ordering::Relaxed);
        loop {
            if current == 0 {
                return false;
            }
            match self.senders.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Live (strong) senders.
    pub(super) fn sender_count(&self) -> usize {
        self.senders.load(Ordering::Acquire)
    }

    /// Unregisters a sender; the last one wakes the receiver to see the end.
    pub(super) fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let mut shared = self.lock();
        shared.senders_gone = true;
        let waker = shared.rx_waker.take();
        drop(shared);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Refuses further sends; queued messages stay receivable.
    pub(super) fn close_receiver(&self) {
        let mut shared = self.lock();
        if shared.receiver_gone {
            return;
        }
        shared.receiver_gone = true;
        drop(shared);
        self.receiver_gone.store(true, Ordering::Release);
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.receiver_gone_notify.notify_waiters();
    }
}

/// The receiving half's state: the channel plus its private buffer.
#[derive(Debug)]
pub(super) struct RxCore<T> {
    chan: Arc<Chan<T>>,
    /// Messages already taken out of the shared queue, oldest first.
    local: VecDeque<T>,
}

impl<T> RxCore<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        RxCore {
            chan,
            local: VecDeque::new(),
        }
    }

    /// Hands out the oldest private message, returning its slot.
    fn pop_local(&mut self) -> Option<T> {
        let value = self.local.pop_front()?;
        if let Some(slots) = &self.chan.slots {
            slots.release(1);
        }
        Some(value)
    }

    /// Poll for the next message; `None` once every sender is gone and the
    /// queue is empty. Cancel-safe: a message is only taken when returned.
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(value) = self.pop_local() {
            return Poll::Ready(Some(value));
        }
        let mut shared = self.chan.lock();
        let senders_gone = refill(&mut self.local, &mut shared);
        if self.local.is_empty() {
            // A closed receiver sees no new message: `push` checks under this lock.
            if senders_gone || shared.receiver_gone {
                return Poll::Ready(None);
            }
            match &shared.rx_waker {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => shared.rx_waker = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        drop(shared);
        Poll::Ready(self.pop_local())
    }

    /// Poll for up to `limit` messages, appended to `buffer`; `Ready(0)`
    /// only when `limit` is 0 or the channel is closed and drained.
    /// Cancel-safe: messages move into `buffer` only when `Ready` is returned.
    pub(super) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let taken = self.drain_local(buffer, limit);
        if taken == limit {
            return Poll::Ready(taken);
        }
        // The private buffer is empty now: refill it once from the shared queue.
        let mut shared = self.chan.lock();
        let senders_gone = refill(&mut self.local, &mut shared);
        if self.local.is_empty() {
            if taken > 0 || senders_gone || shared.receiver_gone {
                return Poll::Ready(taken);
            }
            match &shared.rx_waker {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => shared.rx_waker = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        drop(shared);
        Poll::Ready(taken + self.drain_local(buffer, limit - taken))
    }

    /// Moves up to `max` private messages to `buffer`, returning their slots.
    fn drain_local(&mut self, buffer: &mut Vec<T>, max: usize) -> usize {
        let n = max.min(self.local.len());
        if n == 0 {
            return 0;
        }
        buffer.extend(self.local.drain(..n));
        if let Some(slots) = &self.chan.slots {
            slots.release(n);
        }
        n
    }

    /// Takes a message without waiting.
    pub(super) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(value) = self.pop_local() {
            return Ok(value);
        }
        let mut shared = self.chan.lock();
        let senders_gone = refill(&mut self.local, &mut shared);
        let receiver_gone = shared.receiver_gone;
        drop(shared);
        match self.pop_local() {
            Some(value) => Ok(value),
            None if senders_gone || receiver_gone => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses further sends; queued messages stay receivable.
    pub(super) fn close(&mut self) {
        self.chan.close_receiver();
    }

    /// Number of messages waiting (both buffers).
    pub(super) fn len(&self) -> usize {
        self.local.len() + self.chan.lock().queue.len()
    }

    /// Whether the sending side is finished or the receiver was closed.
    pub(super) fn is_closed(&self) -> bool {
        let shared = self.chan.lock();
        shared.senders_gone || shared.receiver_gone
    }
}

impl<T> Drop for RxCore<T> {
    fn drop(&mut self) {
        self.chan.close_receiver();
        // Drop queued messages now (outside the lock), not when the last
        // sender goes: they may hold resources someone is waiting for.
        let queued = std::mem::take(&mut self.chan.lock().queue);
        drop(queued);
        let local = std::mem::take(&mut self.local);
        drop(local);
    }
}

/// Refills the receiver's (empty) private buffer from the shared queue by
/// swapping the two. Returns whether every sender is gone (meaningful when
/// nothing was refilled).
fn refill<T>(local: &mut VecDeque<T>, shared: &mut Shared<T>) -> bool {
    if !shared.queue.is_empty() {
        std::mem::swap(&mut shared.queue, local);
    }
    shared.senders_gone
}
