//! A multi-producer, multi-consumer channel where every receiver sees every
//! value (values must be `Clone`).
//!
//! The channel keeps the last `capacity` values in a ring. A value is dropped
//! once every receiver has read it, or when a newer one pushes it out. A
//! receiver that falls more than `capacity` values behind gets
//! [`RecvError::Lagged`] with the number it missed, then continues from the
//! oldest value still kept.
//!
//! ```
//! use eddy::sync::broadcast;
//!
//! let (tx, mut rx1) = broadcast::channel(16);
//! let mut rx2 = tx.subscribe();
//! tx.send(10).unwrap();
//! futures_lite::future::block_on(async {
//!     assert_eq!(rx1.recv().await, Ok(10));
//!     assert_eq!(rx2.recv().await, Ok(10));
//! });
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use super::park;
use super::waiters::{WaiterKey, WaiterList, WakeList};

/// One kept value.
#[derive(Debug)]
struct Slot<T> {
    /// `None` once every receiver has read it.
    value: Option<T>,
    /// Receivers that have not read it yet.
    unread: usize,
}

#[derive(Debug)]
struct Ring<T> {
    /// Kept values, oldest first.
    slots: VecDeque<Slot<T>>,
    /// Position (count of values ever sent before it) of `slots[0]`.
    head: u64,
    capacity: usize,
    senders: usize,
    receivers: usize,
    /// Receivers waiting for the next value.
    waiters: WaiterList<()>,
}

impl<T> Ring<T> {
    /// Position the next value will get.
    fn tail(&self) -> u64 {
        self.head + self.slots.len() as u64
    }

    /// Drops fully read values from the front.
    fn trim(&mut self) {
        while self.slots.front().is_some_and(|slot| slot.unread == 0) {
            self.slots.pop_front();
            self.head += 1;
        }
    }

    /// Marks the value at `pos` as read by one receiver; returns it (cloned
    /// unless this was its last reader).
    fn read(&mut self, pos: u64) -> Option<T>
    where
        T: Clone,
    {
        let slot = &mut self.slots[(pos - self.head) as usize];
        slot.unread -= 1;
        let value = if slot.unread == 0 {
            slot.value.take()
        } else {
            slot.value.clone()
        };
        self.trim();
        value
    }
}

/// The channel state shared by senders and receivers.
#[derive(Debug)]
struct Shared<T> {
    ring: Mutex<Ring<T>>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Ring<T>> {
        // Every critical section leaves the ring consistent.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes every waiting receiver, consuming the guard; wakers are called
    /// with the lock released.
    fn wake_waiters<'a>(&'a self, mut ring: MutexGuard<'a, Ring<T>>) {
        let mut wake = WakeList::new();
        loop {
            while !wake.is_full() {
                let Some(key) = ring.waiters.pop_front() else {
                    break;
                };
                if let Some(waker) = ring.waiters.take_waker(key) {
                    wake.push(waker);
                }
            }
            let more = !ring.waiters.is_empty();
            drop(ring);
            wake.wake_all();
            if !more {
                return;
            }
            ring = self.lock();
        }
    }
}

/// Sends to every receiver; clone it for more producers.
///
/// ```
/// let (tx, _rx) = eddy::sync::broadcast::channel::<u8>(4);
/// let tx2 = tx.clone();
/// assert_eq!(tx2.send(1).unwrap(), 1);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives every value sent after it subscribed.
///
/// ```
/// let (tx, mut rx) = eddy::sync::broadcast::channel(4);
/// tx.send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Position of the next value to read.
    next: u64,
    /// Our slot in the waiter list while waiting.
    key: Option<WaiterKey>,
}

/// There was no receiver; the value is returned inside.
///
/// ```
/// let (tx, rx) = eddy::sync::broadcast::channel(1);
/// drop(rx);
/// assert_eq!(tx.send(7).unwrap_err().0, 7);
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
        f.write_str("channel closed: no receiver")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Receiver::recv`] returned no value.
///
/// ```
/// use eddy::sync::broadcast::{self, error::RecvError};
/// let (tx, mut rx) = broadcast::channel::<u8>(1);
/// drop(tx);
/// assert_eq!(rx.blocking_recv(), Err(RecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and every kept value was read.
    Closed,
    /// This receiver fell behind and this many values were dropped before it
    /// read them; the next `recv` returns the oldest value still kept.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel closed: every sender is gone"),
            RecvError::Lagged(n) => write!(f, "receiver lagged behind and missed {n} values"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
///
/// ```
/// use eddy::sync::broadcast::{self, error::TryRecvError};
/// let (_tx, mut rx) = broadcast::channel::<u8>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing new right now.
    Empty,
    /// Every sender is gone and every kept value was read.
    Closed,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed: every sender is gone"),
            TryRecvError::Lagged(n) => write!(f, "receiver lagged behind and missed {n} values"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// Creates a broadcast channel keeping up to `capacity` values.
///
/// # Panics
///
/// If `capacity` is 0 (a programming error).
///
/// ```
/// let (tx, mut rx) = eddy::sync::broadcast::channel(2);
/// for i in 0..3 {
///     tx.send(i).unwrap();
/// }
/// use eddy::sync::broadcast::error::TryRecvError;
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel requires capacity > 0");
    let shared = Arc::new(Shared {
        ring: Mutex::new(Ring {
            slots: VecDeque::with_capacity(capacity.min(1024)),
            head: 0,
            capacity,
            senders: 1,
            receivers: 1,
            waiters: WaiterList::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver {
            shared,
            next: 0,
            key: None,
        },
    )
}

impl<T: Clone> Sender<T> {
    /// Sends `value` to every current receiver; returns how many there are.
    /// Never waits: if the ring is full the oldest value is dropped and slow
    /// receivers will see [`RecvError::Lagged`].
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if there is no receiver.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::broadcast::channel(1);
    /// assert_eq!(tx.send(1).unwrap(), 1);
    /// drop(rx);
    /// assert!(tx.send(2).is_err());
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut ring = self.shared.lock();
        if ring.receivers == 0 {
            return Err(SendError(value));
        }
        if ring.slots.len() == ring.capacity {
            ring.slots.pop_front();
            ring.head += 1;
        }
        let receivers = ring.receivers;
        ring.slots.push_back(Slot {
            value: Some(value),
            unread: receivers,
        });
        self.shared.wake_waiters(ring);
        Ok(receivers)
    }

    /// A new receiver that gets values sent from now on.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// Number of receivers.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::broadcast::channel::<u8>(4);
    /// assert_eq!(tx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.lock().receivers
    }

    /// Values kept that some receiver has not read yet.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.lock().slots.len()
    }

    /// Whether every kept value has been read by every receiver.
    ///
    /// ```
    /// let (tx, _rx) = eddy::sync::broadcast::channel::<u8>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn new_receiver<T>(shared: &Arc<Shared<T>>) -> Receiver<T> {
    let mut ring = shared.lock();
    ring.receivers += 1;
    let next = ring.tail();
    drop(ring);
    Receiver {
        shared: shared.clone(),
        next,
        key: None,
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut ring = self.shared.lock();
        ring.senders -= 1;
        if ring.senders == 0 {
            self.shared.wake_waiters(ring);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").finish_non_exhaustive()
    }
}

impl<T: Clone> Receiver<T> {
    /// The next value, or why there is none yet.
    fn poll_next(&mut self, cx: Option<&mut Context<'_>>) -> Poll<Result<T, TryRecvError>> {
        let mut ring = self.shared.lock();
        if let Some(key) = self.key.take() {
            ring.waiters.remove(key);
        }
        if self.next < ring.head {
            let missed = ring.head - self.next;
            self.next = ring.head;
            return Poll::Ready(Err(TryRecvError::Lagged(missed)));
        }
        if self.next < ring.tail() {
            let value = ring
                .read(self.next)
                .expect("a kept value is present until its last reader");
            self.next += 1;
            return Poll::Ready(Ok(value));
        }
        if ring.senders == 0 {
            return Poll::Ready(Err(TryRecvError::Closed));
        }
        match cx {
            Some(cx) => {
                self.key = Some(ring.waiters.push_back((), cx.waker().clone()));
                Poll::Pending
            }
            None => Poll::Ready(Err(TryRecvError::Empty)),
        }
    }

    /// Waits for the next value.
    ///
    /// Cancel-safe: a value is only consumed when returned, so dropping the
    /// future loses nothing.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] if values were missed, [`RecvError::Closed`] once
    /// every sender is gone and nothing is left.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::broadcast::channel(1);
    /// std::thread::spawn(move || tx.send("hi").unwrap());
    /// assert_eq!(futures_lite::future::block_on(rx.recv()), Ok("hi"));
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        let result = std::future::poll_fn(|cx| self.poll_next(Some(cx))).await;
        result.map_err(|error| match error {
            TryRecvError::Lagged(n) => RecvError::Lagged(n),
            TryRecvError::Closed | TryRecvError::Empty => RecvError::Closed,
        })
    }

    /// Takes the next value if there is one.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], [`TryRecvError::Lagged`] or
    /// [`TryRecvError::Closed`].
    ///
    /// ```
    /// use eddy::sync::broadcast::{self, error::TryRecvError};
    /// let (tx, mut rx) = broadcast::channel::<u8>(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.poll_next(None) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Waits for the next value, parking this thread.
    ///
    /// # Errors
    ///
    /// As [`Receiver::recv`].
    ///
    /// # Panics
    ///
    /// If called from a thread that runs an Eddy runtime.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::broadcast::channel(1);
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.blocking_recv(), Ok(1));
    /// ```
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        park::block_on("broadcast::Receiver::blocking_recv", self.recv())
    }

    /// A new receiver on the same channel, starting at values sent from now on.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::broadcast::channel::<u8>(1);
    /// let _rx2 = rx.resubscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn resubscribe(&self) -> Self {
        new_receiver(&self.shared)
    }
}

impl<T> Receiver<T> {
    /// Values sent that this receiver has not read yet (and still kept).
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let ring = self.shared.lock();
        (ring.tail() - self.next.max(ring.head)) as usize
    }

    /// Whether nothing is waiting for this receiver.
    ///
    /// ```
    /// let (_tx, rx) = eddy::sync::broadcast::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut ring = self.shared.lock();
        if let Some(key) = self.key.take() {
            ring.waiters.remove(key);
        }
        ring.receivers -= 1;
        // Values this receiver will never read no longer wait for it.
        let start = self.next.max(ring.head);
        for pos in start..ring.tail() {
            let index = (pos - ring.head) as usize;
            let slot = &mut ring.slots[index];
            slot.unread -= 1;
            if slot.unread == 0 {
                slot.value = None;
            }
        }
        ring.trim();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish()
    }
}

/// The broadcast error types, also under `broadcast::error` as in tokio.
///
/// ```
/// use eddy::sync::broadcast::error::{RecvError, TryRecvError};
/// assert_ne!(RecvError::Closed, RecvError::Lagged(1));
/// assert_ne!(TryRecvError::Empty, TryRecvError::Closed);
/// ```
pub mod error {
    pub use super::{RecvError, SendError, TryRecvError};
}
