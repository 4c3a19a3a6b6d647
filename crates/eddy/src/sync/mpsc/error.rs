//! Errors returned by the [`mpsc`](super) channels.
//!
//! ```
//! use eddy::sync::mpsc::{self, error::TrySendError};
//! let (tx, rx) = mpsc::channel(1);
//! drop(rx);
//! assert_eq!(tx.try_send(1), Err(TrySendError::Closed(1)));
//! ```

use std::fmt;

/// The receiver was dropped or closed; the unsent value is returned inside.
///
/// ```
/// let (tx, rx) = eddy::sync::mpsc::unbounded_channel();
/// drop(rx);
/// assert_eq!(tx.send(3).unwrap_err().0, 3);
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
        f.write_str("channel closed: the receiver is gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Sender::try_send`](super::Sender::try_send) did not send; the value
/// is returned inside.
///
/// ```
/// use eddy::sync::mpsc::{self, error::TrySendError};
/// let (tx, _rx) = mpsc::channel(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is at capacity.
    Full(T),
    /// The receiver was dropped or closed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let error = eddy::sync::mpsc::error::TrySendError::Full(3);
    /// assert_eq!(error.into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("channel full"),
            TrySendError::Closed(_) => f.write_str("channel closed: the receiver is gone"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(error: SendError<T>) -> Self {
        TrySendError::Closed(error.0)
    }
}

/// Why [`Sender::send_timeout`](super::Sender::send_timeout) did not send;
/// the value is returned inside.
///
/// ```
/// use eddy::sync::mpsc::{self, error::SendTimeoutError};
/// use std::time::Duration;
///
/// let rt = eddy::runtime::Builder::new_current_thread().build()?;
/// rt.block_on(async {
///     let (tx, _rx) = mpsc::channel(1);
///     tx.send(1).await.unwrap();
///     let error = tx.send_timeout(2, Duration::from_millis(1)).await.unwrap_err();
///     assert_eq!(error, SendTimeoutError::Timeout(2));
///     assert_eq!(error.into_inner(), 2);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// No slot became free before the timeout.
    Timeout(T),
    /// The receiver was dropped or closed.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let error = eddy::sync::mpsc::error::SendTimeoutError::Closed('v');
    /// assert_eq!(error.into_inner(), 'v');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(value) | SendTimeoutError::Closed(value) => value,
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            SendTimeoutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => {
                f.write_str("timed out waiting for room in the channel")
            }
            SendTimeoutError::Closed(_) => f.write_str("channel closed: the receiver is gone"),
        }
    }
}

impl<T> std::error::Error for SendTimeoutError<T> {}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned nothing.
///
/// ```
/// use eddy::sync::mpsc::{self, error::TryRecvError};
/// let (_tx, mut rx) = mpsc::unbounded_channel::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// ```
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// No message right now; senders remain.
    Empty,
    /// No message, and every sender is gone.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Disconnected => f.write_str("channel closed: every sender is gone"),
        }
    }
}

impl std::error::Error for TryRecvError {}
