//! Synchronization between fibers of one runtime: waiting parks the fiber,
//! never the thread.
//!
//! * [`channel()`]: an unbounded multi-producer, single-consumer queue whose
//!   `recv` parks until a message arrives; it can also be awaited
//!   ([`Receiver::recv_async`]) by a future on the same thread.
//! * [`Mutex`]: mutual exclusion across parks (a fiber holding the guard may
//!   do I/O, sleep, yield); waiters are woken first in, first out.

mod channel;
mod mutex;

pub use channel::{Receiver, RecvError, SendError, Sender, TryRecvError, channel};
pub use mutex::{Mutex, MutexGuard};
