//! Multi-producer, single-consumer channels: many [`Sender`]s (cloned), one
//! [`Receiver`], messages delivered in the order they were sent.
//!
//! * [`channel(n)`](channel) is bounded: at most `n` messages wait in the
//!   channel, and [`Sender::send`] waits for room (backpressure). Waiting
//!   senders get room in FIFO order.
//! * [`unbounded_channel`] never makes a sender wait; memory is the bound.
//!
//! Closing: when every sender is dropped, `recv` returns the queued messages
//! and then `None`. When the receiver is dropped or [closed](Receiver::close),
//! sends fail and hand the value back inside the error. A
//! [`WeakSender`] (from [`Sender::downgrade`]) does not keep the channel
//! open: it upgrades to a `Sender` only while another one is alive.
//!
//! [`Receiver::recv_many`] takes a batch of queued messages at once (one
//! lock for the batch); [`Sender::send_timeout`] gives up after a deadline
//! and hands the value back.
//!
//! ```
//! use eddy::sync::mpsc;
//!
//! let (tx, mut rx) = mpsc::channel(8);
//! let producer = std::thread::spawn(move || {
//!     for i in 0..3 {
//!         tx.blocking_send(i).unwrap();
//!     }
//! });
//! let mut got = Vec::new();
//! while let Some(i) = rx.blocking_recv() {
//!     got.push(i);
//! }
//! producer.join().unwrap();
//! assert_eq!(got, [0, 1, 2]);
//! ```

mod bounded;
mod chan;
pub mod error;
mod unbounded;
mod weak;

pub use bounded::{Permit, Receiver, Sender, channel};
pub use unbounded::{UnboundedReceiver, UnboundedSender, unbounded_channel};
pub use weak::{WeakSender, WeakUnboundedSender};
