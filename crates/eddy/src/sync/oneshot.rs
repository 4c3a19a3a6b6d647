//! A channel for sending exactly one value between tasks.
//!
//! # Example
//!
//! ```
//! use eddy::sync::oneshot;
//!
//! let (tx, rx) = oneshot::channel();
//! std::thread::spawn(move || tx.send("done").unwrap());
//! assert_eq!(futures_lite::future::block_on(rx), Ok("done"));
//! ```
//!
//! # How it works
//!
//! Sender and receiver share one allocation holding the value, one waker per
//! side, and a state word. The state word decides who may touch each cell, so
//! no lock is taken: creating, sending and receiving is one allocation and a
//! handful of atomic operations.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};

/// The receiver's waker is in `rx_waker`; while set, only the sender reads it.
const RX_WAKER_SET: usize = 0b0_0001;
/// The sender's waker is in `tx_waker`; while set, only the receiver reads it.
const TX_WAKER_SET: usize = 0b0_0010;
/// The sender is finished: it sent a value or was dropped. Set once.
const COMPLETE: usize = 0b0_0100;
/// Together with `COMPLETE`: a value is in `value` and belongs to the receiver.
const VALUE_SENT: usize = 0b0_1000;
/// The receiver was dropped or closed; a later send fails. Set once.
const CLOSED: usize = 0b1_0000;

/// The allocation both halves share.
struct Inner<T> {
    state: AtomicUsize,
    /// Written by the sender before it sets `COMPLETE | VALUE_SENT`; read by
    /// the receiver only after it sees them.
    value: UnsafeCell<Option<T>>,
    /// Written by the receiver while `RX_WAKER_SET` is clear.
    rx_waker: UnsafeCell<Option<Waker>>,
    /// Written by the sender while `TX_WAKER_SET` is clear.
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the state word hands each cell to one side at a time (see the field
// docs), so sharing `Inner` across threads only ever moves a `T` between them.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Sends the value; created by [`channel`].
///
/// ```
/// let (tx, rx) = eddy::sync::oneshot::channel();
/// tx.send(1).unwrap();
/// assert_eq!(rx.blocking_recv(), Ok(1));
/// ```
pub struct Sender<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the value by being awaited; created by [`channel`].
///
/// Awaiting it is cancel-safe: a value that arrives while the future is not
/// polled stays in the channel, so polling again (or [`Receiver::try_recv`])
/// still gets it.
///
/// ```
/// let (tx, rx) = eddy::sync::oneshot::channel();
/// tx.send(2).unwrap();
/// assert_eq!(futures_lite::future::block_on(rx), Ok(2));
/// ```
pub struct Receiver<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// The sender was dropped without sending.
///
/// ```
/// let (tx, rx) = eddy::sync::oneshot::channel::<u8>();
/// drop(tx);
/// assert!(futures_lite::future::block_on(rx).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed: the sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
///
/// ```
/// use eddy::sync::oneshot::{self, TryRecvError};
/// let (_tx, mut rx) = oneshot::channel::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing sent yet.
    Empty,
    /// The sender was dropped without sending, or the value was taken already,
    /// or the receiver was closed before a value arrived.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// Creates a sender and receiver for one value.
///
/// ```
/// let (tx, mut rx) = eddy::sync::oneshot::channel();
/// tx.send(5).unwrap();
/// assert_eq!(rx.try_recv(), Ok(5));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

impl<T> Inner<T> {
    /// Stores `waker` in the cell guarded by `flag`, following the protocol in
    /// the field docs. Returns the state after registering; if `stop` was set
    /// meanwhile the caller must not wait.
    fn register(
        &self,
        cell: &UnsafeCell<Option<Waker>>,
        flag: usize,
        stop: usize,
        waker: &Waker,
    ) -> usize {
        let mut state = self.state.load(Ordering::Acquire);
        if state & stop != 0 {
            return state;
        }
        if state & flag != 0 {
            let same = cell.with(|waker_ptr| {
                // SAFETY: while `flag` is set the other side may only read the
                // cell (after it sets `stop`); it never writes, so this shared
                // read is fine.
                let current = unsafe { (*waker_ptr).as_ref() };
                current.is_some_and(|old| old.will_wake(waker))
            });
            if same {
                return state;
            }
            // Take the cell back before writing it: this fails if `stop` got set,
            // and then the other side may be reading it.
            loop {
                if state & stop != 0 {
                    return state;
                }
                match self.state.compare_exchange_weak(
                    state,
                    state & !flag,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(actual) => state = actual,
                }
            }
        }
        // SAFETY: `flag` is clear, so the other side does not touch the cell.
        cell.with_mut(|waker_ptr| unsafe { *waker_ptr = Some(waker.clone()) });
        self.state.fetch_or(flag, Ordering::AcqRel) | flag
    }

    /// Wakes the waker in `cell` if `previous` (the state before our `stop`
    /// bit was set) says it was registered and the other side still waits.
    fn wake_if_set(
        &self,
        cell: &UnsafeCell<Option<Waker>>,
        flag: usize,
        other_stop: usize,
        previous: usize,
    ) {
        if previous & flag != 0 && previous & other_stop == 0 {
            cell.with(|waker_ptr| {
                // SAFETY: the flag was set before our stop bit, and the other
                // side never writes the cell once it sees our stop bit.
                if let Some(waker) = unsafe { (*waker_ptr).as_ref() } {
                    waker.wake_by_ref();
                }
            });
        }
    }

    /// Takes the value out; only the receiver calls this, after seeing
    /// `COMPLETE | VALUE_SENT`.
    fn take_value(&self) -> Option<T> {
        // SAFETY: VALUE_SENT hands the cell to the receiver for good.
        self.value.with_mut(|value| unsafe { (*value).take() })
    }
}

impl<T> Sender<T> {
    /// Sends `value`, consuming the sender. Never waits.
    ///
    /// # Errors
    ///
    /// Gives `value` back if the receiver was dropped or closed.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self
            .inner
            .take()
            .expect("a sender holds its channel until it sends");
        let mut state = inner.state.load(Ordering::Acquire);
        if state & CLOSED != 0 {
            return Err(value);
        }
        // SAFETY: COMPLETE is not set yet, so the receiver does not read the cell.
        inner.value.with_mut(|slot| unsafe { *slot = Some(value) });
        loop {
            if state & CLOSED != 0 {
                // The receiver never reads the cell without VALUE_SENT.
                return Err(inner.take_value().expect("the value was just stored"));
            }
            match inner.state.compare_exchange_weak(
                state,
                state | COMPLETE | VALUE_SENT,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(previous) => {
                    inner.wake_if_set(&inner.rx_waker, RX_WAKER_SET, CLOSED, previous);
                    return Ok(());
                }
                Err(actual) => state = actual,
            }
        }
    }

    /// Whether the receiver was dropped or closed.
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::oneshot::channel::<()>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|inner| inner.state.load(Ordering::Acquire) & CLOSED != 0)
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// Cancel-safe: it consumes nothing.
    ///
    /// ```
    /// let (mut tx, rx) = eddy::sync::oneshot::channel::<()>();
    /// std::thread::spawn(move || drop(rx));
    /// futures_lite::future::block_on(tx.closed());
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await;
    }

    /// Poll form of [`Sender::closed`].
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// let (mut tx, rx) = eddy::sync::oneshot::channel::<()>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(tx.poll_closed(&mut cx).is_pending());
    /// drop(rx);
    /// assert!(tx.poll_closed(&mut cx).is_ready());
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = self.inner.as_ref() else {
            return Poll::Ready(());
        };
        let state = inner.register(&inner.tx_waker, TX_WAKER_SET, CLOSED, cx.waker());
        if state & CLOSED != 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let previous = inner.state.fetch_or(COMPLETE, Ordering::AcqRel);
            inner.wake_if_set(&inner.rx_waker, RX_WAKER_SET, CLOSED, previous);
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing was sent yet, [`TryRecvError::Closed`]
    /// if nothing ever will be (or the value was already taken).
    ///
    /// ```
    /// use eddy::sync::oneshot::{self, TryRecvError};
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = self.inner.as_ref() else {
            return Err(TryRecvError::Closed);
        };
        let state = inner.state.load(Ordering::Acquire);
        if state & COMPLETE != 0 {
            let value = if state & VALUE_SENT != 0 {
                inner.take_value()
            } else {
                None
            };
            self.inner = None;
            return value.ok_or(TryRecvError::Closed);
        }
        if state & CLOSED != 0 {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Waits for the value, parking this thread. For use outside async code.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender was dropped without sending.
    ///
    /// # Panics
    ///
    /// If called from a thread that runs an Eddy runtime.
    ///
    /// ```
    /// let (tx, rx) = eddy::sync::oneshot::channel();
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(1));
    /// ```
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        super::park::block_on("oneshot::Receiver::blocking_recv", self)
    }

    /// Refuses the value: a later [`Sender::send`] fails. A value sent before
    /// this call can still be taken with [`Receiver::try_recv`].
    ///
    /// ```
    /// let (tx, mut rx) = eddy::sync::oneshot::channel();
    /// rx.close();
    /// assert_eq!(tx.send(1), Err(1));
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = self.inner.as_ref() {
            let previous = inner.state.fetch_or(CLOSED, Ordering::AcqRel);
            inner.wake_if_set(&inner.tx_waker, TX_WAKER_SET, COMPLETE, previous);
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after it completed");
        let state = inner.register(&inner.rx_waker, RX_WAKER_SET, COMPLETE | CLOSED, cx.waker());
        if state & COMPLETE != 0 {
            let value = if state & VALUE_SENT != 0 {
                inner.take_value()
            } else {
                None
            };
            self.inner = None;
            return Poll::Ready(value.ok_or(RecvError(())));
        }
        if state & CLOSED != 0 {
            self.inner = None;
            return Poll::Ready(Err(RecvError(())));
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver")
            .field("done", &self.inner.is_none())
            .finish()
    }
}
