//! Weak senders: handles that can become senders again while the channel
//! still has one, without keeping it open themselves.
//!
//! A weak sender holds the channel's allocation but is not counted among its
//! senders, so dropping the last [`Sender`] ends the channel as usual (the
//! receiver drains the queue and sees `None`), after which every
//! [`upgrade`](WeakSender::upgrade) returns `None`. Typical use: a task that
//! should send only while someone else still does, such as a timer that
//! reports into a channel owned by the producers.

use std::fmt;
use std::sync::Arc;

use super::chan::Chan;
use super::{Sender, UnboundedSender};

/// A [`Sender`] that does not keep the channel open; made by
/// [`Sender::downgrade`].
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::channel::<&str>(4);
/// let weak = tx.downgrade();
/// if let Some(tx2) = weak.upgrade() {
///     tx2.try_send("still open").unwrap();
/// }
/// drop(tx);
/// assert_eq!(rx.blocking_recv(), Some("still open"));
/// assert_eq!(rx.blocking_recv(), None); // the weak sender did not keep it open
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// An [`UnboundedSender`] that does not keep the channel open; made by
/// [`UnboundedSender::downgrade`].
///
/// ```
/// let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
/// let weak = tx.downgrade();
/// weak.upgrade().unwrap().send(1).unwrap();
/// drop(tx);
/// assert_eq!(rx.blocking_recv(), Some(1));
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> WeakSender<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        WeakSender { chan }
    }

    /// A new [`Sender`], if at least one `Sender` of the channel is still
    /// alive; `None` once they have all been dropped (even if the receiver
    /// still has messages to read).
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan
            .try_add_sender()
            .then(|| Sender::from_counted(self.chan.clone()))
    }
}

impl<T> WeakUnboundedSender<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Self {
        WeakUnboundedSender { chan }
    }

    /// A new [`UnboundedSender`], if at least one `UnboundedSender` of the
    /// channel is still alive; `None` once they have all been dropped.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::mpsc::unbounded_channel::<u8>();
    /// let weak = tx.downgrade();
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan
            .try_add_sender()
            .then(|| UnboundedSender::from_counted(self.chan.clone()))
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::WeakSender")
            .field("senders", &self.chan.sender_count())
            .finish()
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::WeakUnboundedSender")
            .field("senders", &self.chan.sender_count())
            .finish()
    }
}
