//! The unbounded channel: sending never waits.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chan::{Chan, RxCore};
use super::error::{SendError, TryRecvError};
use super::weak::WeakUnboundedSender;
use crate::sync::park;

/// Sends to an unbounded channel; clone it for more producers.
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
/// tx.clone().send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// Receives from an unbounded channel.
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
/// tx.send(1).unwrap();
/// drop(tx);
/// assert_eq!(rx.blocking_recv(), Some(1));
/// assert_eq!(rx.blocking_recv(), None);
/// ```
pub struct UnboundedReceiver<T> {
    core: RxCore<T>,
}

/// Creates a channel whose senders never wait.
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
/// for i in 0..100 {
///     tx.send(i).unwrap();
/// }
/// assert_eq!(rx.try_recv(), Ok(0));
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None);
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver {
            core: RxCore::new(chan),
        },
    )
}

impl<T> UnboundedSender<T> {
    /// A sender for `chan`, whose sender count already includes it.
    pub(super) fn from_counted(chan: Arc<Chan<T>>) -> Self {
        UnboundedSender { chan }
    }

    /// Sends `value` at once.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is dropped or closed.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::unbounded_channel();
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value)
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// Cancel-safe: it consumes nothing.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// drop(rx);
    /// futures_lite::future::block_on(tx.closed());
    /// ```
    pub async fn closed(&self) {
        self.chan.closed().await;
    }

    /// Whether the receiver is dropped or closed.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether both senders feed the same channel.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakUnboundedSender`]: it can send only after
    /// [upgrading](WeakUnboundedSender::upgrade), and does not keep the
    /// channel open.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// let weak = tx.downgrade();
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// assert_eq!(rx.blocking_recv(), None);
    /// ```
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender::new(self.chan.clone())
    }

    /// Live `UnboundedSender`s of this channel (weak senders not counted).
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// let _weak = tx.downgrade();
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> UnboundedReceiver<T> {
    /// Waits for the next message; `None` once every sender is dropped (or
    /// the receiver closed) and the queue is drained.
    ///
    /// Cancel-safe: a message is only removed from the channel when this
    /// returns it, so dropping the future never loses one.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// futures_lite::future::block_on(async {
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.core.poll_recv(cx)).await
    }

    /// Poll form of [`UnboundedReceiver::recv`].
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// tx.send(3).unwrap();
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
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
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
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
    /// std::thread::spawn(move || tx.send(7).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(7));
    /// ```
    pub fn blocking_recv(&mut self) -> Option<T> {
        park::block_on("mpsc::UnboundedReceiver::blocking_recv", self.recv())
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
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// drop(tx);
    /// futures_lite::future::block_on(async {
    ///     let mut buffer = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buffer, 10).await, 2);
    ///     assert_eq!(rx.recv_many(&mut buffer, 10).await, 0);
    ///     assert_eq!(buffer, [1, 2]);
    /// });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.core.poll_recv_many(cx, buffer, limit)).await
    }

    /// Poll form of [`UnboundedReceiver::recv_many`].
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut buffer = Vec::new();
    /// tx.send(5).unwrap();
    /// assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 4), Poll::Ready(1));
    /// assert_eq!(buffer, [5]);
    /// ```
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.core.poll_recv_many(cx, buffer, limit)
    }

    /// Refuses further sends; queued messages can still be received.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// rx.close();
    /// assert!(tx.send(1).is_err());
    /// ```
    pub fn close(&mut self) {
        self.core.close();
    }

    /// Whether no more messages can arrive (all senders gone or closed).
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// Messages waiting to be received.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no message is waiting.
    ///
    /// ```
    /// let (_tx, rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedReceiver")
            .field("len", &self.len())
            .finish()
    }
}
