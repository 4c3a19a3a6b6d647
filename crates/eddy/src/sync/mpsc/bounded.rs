//! The bounded channel: senders wait for a free slot.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::chan::{Chan, RxCore};
use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use super::weak::WeakSender;
use crate::sync::fair_semaphore::{FairSemaphore, TryAcquireFailure};
use crate::sync::park;

/// Sends to a bounded channel; clone it for more producers.
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::channel(2);
/// let tx2 = tx.clone();
/// tx.try_send(1).unwrap();
/// tx2.try_send(2).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// Receives from a bounded channel.
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
/// tx.try_send('a').unwrap();
/// assert_eq!(rx.blocking_recv(), Some('a'));
/// ```
pub struct Receiver<T> {
    core: RxCore<T>,
}

/// A reserved slot in a bounded channel: [`Permit::send`] cannot fail for
/// lack of room. Dropping it unused frees the slot.
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
/// let permit = tx.try_reserve().unwrap();
/// permit.send(1);
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// Creates a bounded channel holding at most `capacity` messages.
///
/// # Panics
///
/// If `capacity` is 0 (a programming error, as in tokio).
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
/// tx.try_send(1).unwrap();
/// assert!(tx.try_send(2).is_err()); // full
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc bounded channel requires capacity > 0");
    let chan = Chan::new(Some(capacity));
    (
        Sender { chan: chan.clone() },
        Receiver {
            core: RxCore::new(chan),
        },
    )
}

impl<T> Sender<T> {
    /// A sender for `chan`, whose sender count already includes it.
    pub(super) fn from_counted(chan: Arc<Chan<T>>) -> Self {
        Sender { chan }
    }

    fn slots(&self) -> &FairSemaphore {
        self.chan
            .slots()
            .expect("a bounded channel has a slot semaphore")
    }

    /// Sends `value`, waiting for a free slot.
    ///
    /// Cancel-safe in the sense that nothing is sent if the future is dropped
    /// (the value is dropped with it), and a slot already granted to it is
    /// passed to the next waiting sender. Waiting senders are served FIFO.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is dropped or closed.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(4);
    /// futures_lite::future::block_on(async {
    ///     tx.send("hi").await.unwrap();
    ///     assert_eq!(rx.recv().await, Some("hi"));
    /// });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.slots().acquire(1).await.is_err() {
            return Err(SendError(value));
        }
        self.push_holding_slot(value)
    }

    /// Sends `value`, waiting at most `timeout` for a free slot.
    ///
    /// Cancel-safe as [`Sender::send`]: nothing is sent if the future is
    /// dropped, and a slot already granted to it goes to the next sender.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if no slot was free in time,
    /// [`SendTimeoutError::Closed`] if the receiver is dropped or closed;
    /// both hold the value.
    ///
    /// # Panics
    ///
    /// When polled outside an Eddy runtime (the timeout needs its timer).
    ///
    /// ```
    /// use eddy::sync::mpsc::{self, error::SendTimeoutError};
    /// use std::time::Duration;
    ///
    /// let rt = eddy::runtime::Builder::new_current_thread().build()?;
    /// rt.block_on(async {
    ///     let (tx, mut rx) = mpsc::channel(1);
    ///     tx.send_timeout(1, Duration::from_millis(10)).await.unwrap();
    ///     // Full: the second send gives up and hands the value back.
    ///     let error = tx.send_timeout(2, Duration::from_millis(10)).await;
    ///     assert_eq!(error, Err(SendTimeoutError::Timeout(2)));
    ///     assert_eq!(rx.recv().await, Some(1));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        match crate::time::timeout(timeout, self.slots().acquire(1)).await {
            Err(_elapsed) => Err(SendTimeoutError::Timeout(value)),
            Ok(Err(())) => Err(SendTimeoutError::Closed(value)),
            Ok(Ok(())) => self
                .push_holding_slot(value)
                .map_err(|SendError(value)| SendTimeoutError::Closed(value)),
        }
    }

    fn push_holding_slot(&self, value: T) -> Result<(), SendError<T>> {
        self.chan
            .push(value)
            .inspect_err(|_| self.slots().release(1))
    }

    /// Sends `value` if a slot is free right now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    ///
    /// ```
    /// use eddy::sync::mpsc::{self, error::TrySendError};
    /// let (tx, rx) = mpsc::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.try_send(5), Err(TrySendError::Closed(5)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.slots().try_acquire(1) {
            Ok(()) => Ok(self.push_holding_slot(value)?),
            Err(TryAcquireFailure::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquireFailure::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends `value`, parking this thread until there is room. For use
    /// outside async code.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is dropped or closed.
    ///
    /// # Panics
    ///
    /// If called from a thread that runs an Eddy runtime.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
    /// tx.blocking_send(1).unwrap();
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// ```
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        park::block_on("mpsc::Sender::blocking_send", self.send(value))
    }

    /// Waits for a free slot and reserves it.
    ///
    /// Cancel-safe: a dropped `reserve` future passes on any slot it was given.
    ///
    /// # Errors
    ///
    /// [`SendError`] (holding `()`) if the receiver is dropped or closed.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
    /// futures_lite::future::block_on(async {
    ///     let permit = tx.reserve().await.unwrap();
    ///     permit.send(9);
    ///     assert_eq!(rx.recv().await, Some(9));
    /// });
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        match self.slots().acquire(1).await {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(()) => Err(SendError(())),
        }
    }

    /// Reserves a free slot if there is one right now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`] (holding `()`).
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// let _permit = tx.try_reserve().unwrap();
    /// assert!(tx.try_reserve().is_err());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.slots().try_acquire(1) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(TryAcquireFailure::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireFailure::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// Cancel-safe: it consumes nothing.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// drop(rx);
    /// futures_lite::future::block_on(tx.closed());
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await;
    }

    /// Whether the receiver is dropped or closed.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Free slots right now.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::channel(3);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.slots().available_permits()
    }

    /// The capacity the channel was created with.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::channel::<u8>(3);
    /// assert_eq!(tx.max_capacity(), 3);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.bound()
    }

    /// Whether both senders feed the same channel.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakSender`]: it can send only after
    /// [upgrading](WeakSender::upgrade), and does not keep the channel open
    /// (once every `Sender` is dropped the receiver sees the end, and
    /// upgrades return `None`).
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// weak.upgrade().unwrap().try_send(1).unwrap();
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// assert_eq!(rx.blocking_recv(), None);
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender::new(self.chan.clone())
    }

    /// Live `Sender`s of this channel (weak senders not counted).
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// let _tx2 = tx.clone();
    /// let _weak = tx.downgrade();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot. If the receiver has gone
    /// meanwhile the value is dropped.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
    /// tx.try_reserve().unwrap().send('x');
    /// assert_eq!(rx.try_recv(), Ok('x'));
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        std::mem::forget(self);
        if chan.push(value).is_err() {
            chan.slots().expect("bounded").release(1);
        }
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan
            .slots()
            .expect("a bounded channel has a slot semaphore")
            .release(1);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Permit").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// Waits for the next message; `None` once every sender is dropped (or
    /// the receiver closed) and the queue is drained.
    ///
    /// Cancel-safe: a message is only removed from the channel when this
    /// returns it, so dropping the future never loses one.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// futures_lite::future::block_on(async {
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.core.poll_recv(cx)).await
    }

    /// Poll form of [`Receiver::recv`], for hand-written futures and streams.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.try_send(3).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(3)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.core.poll_recv(cx)
    }

    /// Takes a message if one is queued.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or [`TryRecvError::Disconnected`].
    ///
    /// ```
    /// use eddy::sync::mpsc::{self, error::TryRecvError};
    /// let (tx, mut rx) = mpsc::channel::<u8>(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.core.try_recv()
    }

    /// Waits for the next message, parking this thread. For use outside async
    /// code.
    ///
    /// # Panics
    ///
    /// If called from a thread that runs an Eddy runtime.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(1);
    /// std::thread::spawn(move || tx.blocking_send(7).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(7));
    /// ```
    pub fn blocking_recv(&mut self) -> Option<T> {
        park::block_on("mpsc::Receiver::blocking_recv", self.recv())
    }

    /// Waits for at least one message, then appends up to `limit` queued
    /// messages to `buffer` in order and returns how many. Returns 0 only if
    /// `limit` is 0, or once every sender is dropped (or the receiver
    /// closed) and the queue is drained.
    ///
    /// Cancel-safe: messages are moved into `buffer` only when this returns,
    /// so dropping the future never loses one.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(8);
    /// for i in 0..5 {
    ///     tx.try_send(i).unwrap();
    /// }
    /// drop(tx);
    /// futures_lite::future::block_on(async {
    ///     let mut buffer = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buffer, 3).await, 3);
    ///     assert_eq!(rx.recv_many(&mut buffer, 3).await, 2);
    ///     assert_eq!(buffer, [0, 1, 2, 3, 4]);
    ///     assert_eq!(rx.recv_many(&mut buffer, 3).await, 0); // closed and drained
    /// });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.core.poll_recv_many(cx, buffer, limit)).await
    }

    /// Poll form of [`Receiver::recv_many`].
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(4);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut buffer = Vec::new();
    /// assert!(rx.poll_recv_many(&mut cx, &mut buffer, 4).is_pending());
    /// tx.try_send('a').unwrap();
    /// tx.try_send('b').unwrap();
    /// assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 4), Poll::Ready(2));
    /// assert_eq!(buffer, ['a', 'b']);
    /// ```
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.core.poll_recv_many(cx, buffer, limit)
    }

    /// Refuses further sends (they fail with their value; waiting senders
    /// wake with an error). Messages already queued can still be received.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// rx.close();
    /// assert!(tx.try_send(2).is_err());
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// assert_eq!(rx.blocking_recv(), None);
    /// ```
    pub fn close(&mut self) {
        self.core.close();
    }

    /// Whether no more messages can arrive (all senders gone or closed).
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// Messages waiting to be received.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no message is waiting.
    ///
    /// ```
    /// let (_tx, rx) = eddy::sync::mpsc::channel::<u8>(2);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("len", &self.len())
            .finish()
    }
}
