//! An unbounded mpsc channel for fibers (and futures on the same thread).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::fiber::Waiter;
use crate::scheduler;

struct Shared<T> {
    queue: RefCell<VecDeque<T>>,
    /// Fibers parked in `recv`.
    waiters: RefCell<Vec<Waiter>>,
    /// A future awaiting `recv_async`.
    task: RefCell<Option<Waker>>,
    senders: Cell<usize>,
    receiver_alive: Cell<bool>,
}

impl<T> Shared<T> {
    fn wake_receiver(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
        if let Some(waker) = self.task.borrow_mut().take() {
            waker.wake();
        }
    }
}

/// Creates a channel: any number of [`Sender`]s (clone it), one
/// [`Receiver`].
///
/// ```
/// let rt = eddy_fiber::Runtime::new()?;
/// let total = rt.block_on(|| {
///     let (tx, rx) = eddy_fiber::sync::channel();
///     for i in 1..=3 {
///         let tx = tx.clone();
///         eddy_fiber::spawn(move || tx.send(i).unwrap());
///     }
///     drop(tx);
///     // recv parks until a message arrives, and fails once every sender is gone.
///     std::iter::from_fn(|| rx.recv().ok()).sum::<i32>()
/// });
/// assert_eq!(total, 6);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(Shared {
        queue: RefCell::new(VecDeque::new()),
        waiters: RefCell::new(Vec::new()),
        task: RefCell::new(None),
        senders: Cell::new(1),
        receiver_alive: Cell::new(true),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

/// The sending half of a [`channel`].
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Queues `value` and wakes the receiver. Fails, giving the value back,
    /// if the receiver is gone. Never parks.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if !self.shared.receiver_alive.get() {
            return Err(SendError(value));
        }
        self.shared.queue.borrow_mut().push_back(value);
        self.shared.wake_receiver();
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.senders.set(self.shared.senders.get() + 1);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let left = self.shared.senders.get() - 1;
        self.shared.senders.set(left);
        if left == 0 {
            self.shared.wake_receiver();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("queued", &self.shared.queue.borrow().len())
            .finish()
    }
}

/// The receiving half of a [`channel`].
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// Takes the next message, parking the fiber until one arrives. Fails
    /// when the queue is empty and every sender is gone (or the runtime is
    /// cancelling the fiber while it unwinds).
    ///
    /// # Panics
    ///
    /// When it would have to park outside a fiber.
    pub fn recv(&self) -> Result<T, RecvError> {
        loop {
            match self.try_recv() {
                Ok(value) => return Ok(value),
                Err(TryRecvError::Disconnected) => return Err(RecvError),
                Err(TryRecvError::Empty) => {}
            }
            let parked = scheduler::expect("Receiver::recv", |s| {
                let waiter = s.begin_wait();
                self.shared.waiters.borrow_mut().push(waiter);
                s.park()
            });
            if parked.is_err() {
                return Err(RecvError);
            }
        }
    }

    /// Takes the next message if there is one, without parking.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.shared.queue.borrow_mut().pop_front() {
            Some(value) => Ok(value),
            None if self.shared.senders.get() == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Like [`recv`](Receiver::recv), as a future (for async code on the
    /// runtime's thread, e.g. in [`block_on_future`](crate::block_on_future)).
    pub async fn recv_async(&self) -> Result<T, RecvError> {
        poll_fn(|cx| match self.try_recv() {
            Ok(value) => Poll::Ready(Ok(value)),
            Err(TryRecvError::Disconnected) => Poll::Ready(Err(RecvError)),
            Err(TryRecvError::Empty) => {
                *self.shared.task.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.receiver_alive.set(false);
        self.shared.queue.borrow_mut().clear();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("queued", &self.shared.queue.borrow().len())
            .finish()
    }
}

/// The receiver is gone; the unsent value is returned.
#[derive(PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a channel whose receiver is gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Every sender is gone and the queue is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty channel whose senders are all gone")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// No message yet.
    Empty,
    /// No message, and every sender is gone.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("the channel is empty"),
            TryRecvError::Disconnected => {
                f.write_str("the channel is empty and its senders are all gone")
            }
        }
    }
}

impl std::error::Error for TryRecvError {}
