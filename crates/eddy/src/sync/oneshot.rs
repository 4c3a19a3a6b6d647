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
//! Sender and receiver share one allocation (a `Box`, not an `Arc`) holding
//! the value, one waker per side, and a state word. The state word decides
//! who may touch each cell and who frees the allocation, so no lock and no
//! reference count are needed: on the fast path (the receiver is not waiting
//! when the value is sent) sending is one compare-and-swap, and receiving a
//! value that is already there is a load, with no read-modify-write at all.
//!
//! Each side owns the allocation until it sets its `*_GONE` bit; after that
//! it never touches the allocation again. The side that sees the other's
//! `*_GONE` bit (in the result of its own read-modify-write, or in a load
//! when it is about to leave) frees it. A side that must wake the other one
//! after finishing sets its `*_GONE` bit only after the wake, so the waker
//! cannot be freed under it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};

/// The receiver's waker is in `rx_waker`; while set, only the sender reads it.
const RX_WAKER_SET: usize = 0b000_0001;
/// The sender's waker is in `tx_waker`; while set, only the receiver reads it.
const TX_WAKER_SET: usize = 0b000_0010;
/// The sender is finished: it sent a value or was dropped. Set once.
const COMPLETE: usize = 0b000_0100;
/// Together with `COMPLETE`: a value is in `value` and belongs to the receiver.
const VALUE_SENT: usize = 0b000_1000;
/// The receiver was dropped or closed; a later send fails. Set once.
const CLOSED: usize = 0b001_0000;
/// The sender no longer touches the allocation (set with or after
/// `COMPLETE`).
const TX_GONE: usize = 0b010_0000;
/// The receiver no longer touches the allocation (set with or after
/// `CLOSED`).
const RX_GONE: usize = 0b100_0000;

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
    /// Under loom the allocation is never returned: `free` empties it and
    /// sets this, and every access checks it, so a use after free or a
    /// double free in some interleaving fails the model.
    #[cfg(loom)]
    freed: std::sync::atomic::AtomicBool,
}

/// One side's handle on the shared allocation: valid until that side sets
/// its `*_GONE` bit (or frees the allocation itself).
struct Shared<T> {
    ptr: NonNull<Inner<T>>,
    /// The allocation owns (and may drop) a `T`; `Box` keeps the handles
    /// `Unpin` whatever `T` is, as the allocation never moves.
    _owns: PhantomData<Box<Inner<T>>>,
}

// SAFETY: the state word hands each cell to one side at a time (see the field
// docs), so sharing the allocation across threads only ever moves a `T`
// between them.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: through `&Shared` only the atomic state word is read (`is_closed`,
// `Debug`).
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    fn inner(&self) -> &Inner<T> {
        // SAFETY: the side holding this handle has not set its `*_GONE` bit
        // (it does so only when it gives the handle up), so the other side
        // has not freed the allocation.
        let inner = unsafe { self.ptr.as_ref() };
        inner.check_not_freed();
        inner
    }

    /// Frees the allocation (dropping a value still in it).
    ///
    /// # Safety
    ///
    /// The caller must have seen (with acquire ordering) the other side's
    /// `*_GONE` bit, so nobody else touches the allocation any more.
    unsafe fn free(self) {
        #[cfg(not(loom))]
        // SAFETY: the pointer came from `Box::leak` in `channel`, and by the
        // caller's promise this is its last user.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
        #[cfg(loom)]
        {
            let inner = self.inner();
            drop(inner.take_value());
            // SAFETY: by the caller's promise nobody else uses the cells.
            inner
                .rx_waker
                .with_mut(|waker| drop(unsafe { (*waker).take() }));
            // SAFETY: as above.
            inner
                .tx_waker
                .with_mut(|waker| drop(unsafe { (*waker).take() }));
            inner.freed.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Sends the value; created by [`channel`].
/// Sends the value; created by [`channel`].
///
/// ```
/// let (tx, rx) = eddy::sync::oneshot::channel();
/// tx.send(1).unwrap();
/// assert_eq!(rx.blocking_recv(), Ok(1));
/// ```
pub struct Sender<T> {
    inner: Option<Shared<T>>,
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
    inner: Option<Shared<T>>,
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
    let ptr = NonNull::from(Box::leak(Box::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
        #[cfg(loom)]
        freed: std::sync::atomic::AtomicBool::new(false),
    })));
    let shared = || Shared {
        ptr,
        _owns: PhantomData,
    };
    (
        Sender {
            inner: Some(shared()),
        },
        Receiver {
            inner: Some(shared()),
        },
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
            self.check_not_freed();
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
        self.check_not_freed();
        // SAFETY: `flag` is clear, so the other side does not touch the cell.
        cell.with_mut(|waker_ptr| unsafe { *waker_ptr = Some(waker.clone()) });
        self.state.fetch_or(flag, Ordering::AcqRel) | flag
    }

    /// Takes the value out; only the receiver calls this, after seeing
    /// `COMPLETE | VALUE_SENT`.
    fn take_value(&self) -> Option<T> {
        self.check_not_freed();
        // SAFETY: VALUE_SENT hands the cell to the receiver for good.
        self.value.with_mut(|value| unsafe { (*value).take() })
    }
}

impl<T> Shared<T> {
    /// The sender leaves without a value in the cell (dropped, or its send
    /// failed), `state` being a recent load: marks the channel complete,
    /// wakes a waiting receiver, and frees the allocation if the receiver
    /// left already.
    fn leave_tx(self, mut state: usize) {
        loop {
            if state & RX_GONE != 0 {
                // SAFETY: the receiver is gone for good (acquire load or
                // failed compare-and-swap).
                unsafe { self.free() };
                return;
            }
            let wake = state & RX_WAKER_SET != 0 && state & CLOSED == 0;
            let next = state | COMPLETE | if wake { 0 } else { TX_GONE };
            match self.inner().state.compare_exchange_weak(
                state,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) if wake => return self.wake_rx_then_leave(),
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
    }

    /// The sender set `COMPLETE` while the receiver waited: wakes it, then
    /// sets `TX_GONE` (not before: the receiver could free the waker).
    fn wake_rx_then_leave(self) {
        let inner = self.inner();
        inner.rx_waker.with(|waker_ptr| {
            inner.check_not_freed();
            // SAFETY: `RX_WAKER_SET` was set before our `COMPLETE`, and the
            // receiver never writes the cell once it sees `COMPLETE`.
            if let Some(waker) = unsafe { (*waker_ptr).as_ref() } {
                waker.wake_by_ref();
            }
        });
        inner.check_not_freed();
        if inner.state.fetch_or(TX_GONE, Ordering::AcqRel) & RX_GONE != 0 {
            // SAFETY: the receiver left before our `TX_GONE`.
            unsafe { self.free() };
        }
    }

    /// The receiver leaves (finished, closed or dropped), `state` being a
    /// recent load: marks the channel closed, wakes a sender waiting in
    /// [`Sender::closed`], and frees the allocation if the sender left
    /// already. A value still in the cell is dropped with the allocation.
    fn leave_rx(self, mut state: usize) {
        loop {
            if state & TX_GONE != 0 {
                // SAFETY: the sender is gone for good (acquire load or failed
                // compare-and-swap): the fast path, no read-modify-write.
                unsafe { self.free() };
                return;
            }
            let wake = state & TX_WAKER_SET != 0 && state & (COMPLETE | CLOSED) == 0;
            let next = state | CLOSED | if wake { 0 } else { RX_GONE };
            match self.inner().state.compare_exchange_weak(
                state,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) if wake => {
                    let inner = self.inner();
                    inner.wake_tx();
                    inner.check_not_freed();
                    if inner.state.fetch_or(RX_GONE, Ordering::AcqRel) & TX_GONE != 0 {
                        // SAFETY: the sender left before our `RX_GONE`.
                        unsafe { self.free() };
                    }
                    return;
                }
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
    }
}

impl<T> Inner<T> {
    /// Under loom, fails the model if the allocation was freed (see `freed`).
    #[inline(always)]
    fn check_not_freed(&self) {
        #[cfg(loom)]
        assert!(
            !self.freed.load(std::sync::atomic::Ordering::SeqCst),
            "oneshot: allocation used after it was freed"
        );
    }

    /// Wakes the sender's waker; only the receiver calls this, right after
    /// it set `CLOSED` and saw `TX_WAKER_SET` without `COMPLETE`.
    fn wake_tx(&self) {
        self.check_not_freed();
        self.tx_waker.with(|waker_ptr| {
            // SAFETY: the flag was set before our `CLOSED`, and the sender
            // never writes the cell once it sees `CLOSED`.
            if let Some(waker) = unsafe { (*waker_ptr).as_ref() } {
                waker.wake_by_ref();
            }
        });
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
        let shared = self
            .inner
            .take()
            .expect("a sender holds its channel until it sends");
        let inner = shared.inner();
        let mut state = inner.state.load(Ordering::Acquire);
        if state & CLOSED != 0 {
            shared.leave_tx(state);
            return Err(value);
        }
        // SAFETY: COMPLETE is not set yet, so the receiver does not read the cell.
        inner.value.with_mut(|slot| unsafe { *slot = Some(value) });
        loop {
            if state & CLOSED != 0 {
                // The receiver never reads the cell without VALUE_SENT.
                let value = inner.take_value().expect("the value was just stored");
                shared.leave_tx(state);
                return Err(value);
            }
            // A receiver that is not waiting needs no wake, so the sender
            // leaves in the same compare-and-swap.
            let wake = state & RX_WAKER_SET != 0;
            let next = state | COMPLETE | VALUE_SENT | if wake { 0 } else { TX_GONE };
            match inner.state.compare_exchange_weak(
                state,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if wake {
                        shared.wake_rx_then_leave();
                    }
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
            .is_some_and(|shared| shared.inner().state.load(Ordering::Acquire) & CLOSED != 0)
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
        let Some(shared) = self.inner.as_ref() else {
            return Poll::Ready(());
        };
        let inner = shared.inner();
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
        if let Some(shared) = self.inner.take() {
            let state = shared.inner().state.load(Ordering::Acquire);
            shared.leave_tx(state);
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
        let Some(shared) = self.inner.as_ref() else {
            return Err(TryRecvError::Closed);
        };
        let state = shared.inner().state.load(Ordering::Acquire);
        if state & COMPLETE != 0 {
            return self.finish(state).ok_or(TryRecvError::Closed);
        }
        if state & CLOSED != 0 {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Takes the value (if one was sent) and leaves the channel; `state` is
    /// a recent load that shows `COMPLETE`.
    fn finish(&mut self, state: usize) -> Option<T> {
        let shared = self.inner.take()?;
        let value = if state & VALUE_SENT != 0 {
            shared.inner().take_value()
        } else {
            None
        };
        shared.leave_rx(state);
        value
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
        if let Some(shared) = self.inner.as_ref() {
            let inner = shared.inner();
            let previous = inner.state.fetch_or(CLOSED, Ordering::AcqRel);
            if previous & TX_WAKER_SET != 0 && previous & (COMPLETE | CLOSED) == 0 {
                inner.wake_tx();
            }
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after it completed")
            .inner();
        let state = inner.register(&inner.rx_waker, RX_WAKER_SET, COMPLETE | CLOSED, cx.waker());
        if state & COMPLETE != 0 {
            return Poll::Ready(self.finish(state).ok_or(RecvError(())));
        }
        if state & CLOSED != 0 {
            if let Some(shared) = self.inner.take() {
                shared.leave_rx(state);
            }
            return Poll::Ready(Err(RecvError(())));
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.inner.take() {
            let state = shared.inner().state.load(Ordering::Acquire);
            shared.leave_rx(state);
        }
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
