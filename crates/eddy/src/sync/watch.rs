//! A single-value channel: one [`Sender`] publishes, any number of
//! [`Receiver`]s read the latest value and wait for it to change.
//!
//! Receivers see the most recent value only; intermediate values may be
//! skipped. The value sits in a `std::sync::RwLock`; a version counter says
//! which value a receiver has seen, and a [`Notify`] wakes those waiting.
//!
//! ```
//! use eddy::sync::watch;
//!
//! let (tx, mut rx) = watch::channel("starting");
//! std::thread::spawn(move || tx.send("ready").unwrap());
//! futures_lite::future::block_on(async {
//!     rx.changed().await.unwrap();
//!     assert_eq!(*rx.borrow_and_update(), "ready");
//! });
//! ```

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use super::notify::Notify;

/// Bit 0 of `Shared::version`: the sender is gone.
const CLOSED: usize = 1;
/// `Shared::version` grows by this on each send (above the `CLOSED` bit).
const STEP: usize = 2;

#[derive(Debug)]
struct Shared<T> {
    value: RwLock<T>,
    /// Number of sends times `STEP`, plus `CLOSED`.
    version: AtomicUsize,
    receivers: AtomicUsize,
    /// Wakes receivers on a send or when the sender goes.
    value_changed: Notify,
    /// Wakes `Sender::closed` when the last receiver goes.
    receivers_gone: Notify,
}

/// Publishes values; created by [`channel`].
///
/// ```
/// let (tx, rx) = eddy::sync::watch::channel(1);
/// tx.send(2).unwrap();
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Reads the latest value and waits for changes; clone for more receivers.
///
/// ```
/// let (tx, mut rx) = eddy::sync::watch::channel(1);
/// tx.send(2).unwrap();
/// futures_lite::future::block_on(rx.changed()).unwrap();
/// assert_eq!(*rx.borrow_and_update(), 2);
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version (without `CLOSED`) this receiver has seen.
    seen: usize,
}

/// A read borrow of the current value; holds a read lock, so keep it short
/// and never across an `.await`.
///
/// ```
/// let (_tx, rx) = eddy::sync::watch::channel(String::from("a"));
/// let value = rx.borrow();
/// assert_eq!(value.as_str(), "a");
/// ```
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

/// The sender is gone; returned by [`Receiver::changed`].
///
/// ```
/// let (tx, mut rx) = eddy::sync::watch::channel(0);
/// drop(tx);
/// assert!(futures_lite::future::block_on(rx.changed()).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed: the sender is gone")
    }
}

impl std::error::Error for RecvError {}

/// Every receiver is gone; the value is returned inside.
///
/// ```
/// let (tx, rx) = eddy::sync::watch::channel(0);
/// drop(rx);
/// assert_eq!(tx.send(5).unwrap_err().0, 5);
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed: every receiver is gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Creates a watch channel holding `init`, which receivers count as seen.
///
/// ```
/// let (tx, rx) = eddy::sync::watch::channel(0);
/// tx.send(1).unwrap();
/// assert_eq!(*rx.borrow(), 1);
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        version: AtomicUsize::new(0),
        receivers: AtomicUsize::new(1),
        value_changed: Notify::new(),
        receivers_gone: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        // A panic inside `send_modify` poisons the lock; the value is still a
        // valid `T`, so keep serving it.
        self.value.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Sender<T> {
    /// Publishes `value` and wakes waiting receivers.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if there is no receiver.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(0);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Publishes `value` even with no receiver; returns the previous value.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut value = value;
        self.send_modify(|current| std::mem::swap(current, &mut value));
        value
    }

    /// Changes the value in place and wakes receivers (even with none left).
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Lets `modify` change the value; only if it returns `true` do receivers
    /// see a change. Returns what `modify` returned.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(1);
    /// assert!(!tx.send_if_modified(|_| false));
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let mut guard = self
            .shared
            .value
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if !modify(&mut guard) {
            return false;
        }
        self.shared.version.fetch_add(STEP, Ordering::AcqRel);
        drop(guard);
        self.shared.value_changed.notify_waiters();
        true
    }

    /// Borrows the current value.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::watch::channel(5);
    /// assert_eq!(*tx.borrow(), 5);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver that counts the current value as seen.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// assert!(tx.send(1).is_ok());
    /// # drop(rx);
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Ordering::AcqRel);
        let seen = self.shared.version.load(Ordering::Acquire) & !CLOSED;
        Receiver {
            shared: self.shared.clone(),
            seen,
        }
    }

    /// Number of receivers.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(0);
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Ordering::Acquire)
    }

    /// Whether every receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(0);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone. Cancel-safe: it consumes nothing.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(0);
    /// std::thread::spawn(move || drop(rx));
    /// futures_lite::future::block_on(tx.closed());
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.receivers_gone.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.version.fetch_or(CLOSED, Ordering::AcqRel);
        self.shared.value_changed.notify_waiters();
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("value", &*self.borrow())
            .finish()
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow().has_changed());
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let version = self.shared.version.load(Ordering::Acquire) & !CLOSED;
        Ref {
            guard,
            has_changed: version != self.seen,
        }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 1);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        // Read under the lock: no send can slip between value and version.
        let version = self.shared.version.load(Ordering::Acquire) & !CLOSED;
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether a value not yet seen is available.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender is gone and nothing new is left.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let version = self.shared.version.load(Ordering::Acquire);
        if version & !CLOSED != self.seen {
            Ok(true)
        } else if version & CLOSED != 0 {
            Err(RecvError(()))
        } else {
            Ok(false)
        }
    }

    /// Marks the current value as seen.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.load(Ordering::Acquire) & !CLOSED;
    }

    /// Marks the current value as not yet seen.
    ///
    /// ```
    /// let (_tx, mut rx) = eddy::sync::watch::channel(0);
    /// rx.mark_changed();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = self.seen.wrapping_sub(STEP);
    }

    /// Waits until a value not yet seen is available, and marks it seen.
    ///
    /// Cancel-safe: if dropped, the receiver still sees the change later.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender is gone and nothing new is left.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// futures_lite::future::block_on(async {
    ///     assert!(rx.changed().await.is_ok());
    ///     assert!(rx.changed().await.is_err());
    /// });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        loop {
            let notified = self.shared.value_changed.notified();
            let version = self.shared.version.load(Ordering::Acquire);
            if version & !CLOSED != self.seen {
                self.seen = version & !CLOSED;
                return Ok(());
            }
            if version & CLOSED != 0 {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Whether both receivers watch the same channel.
    ///
    /// ```
    /// let (_tx, rx) = eddy::sync::watch::channel(0);
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Ordering::AcqRel);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.receivers_gone.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("value", &*self.borrow())
            .finish()
    }
}

impl<T> Ref<'_, T> {
    /// Whether this value was new to the receiver when borrowed.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow_and_update().has_changed());
    /// assert!(!rx.borrow_and_update().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
