//! eddy-poll: the OS event queue under every Eddy crate.
//!
//! A program that serves many sockets on one thread asks the kernel "which
//! of these are ready?" instead of blocking on each. This crate is that
//! question, portable and safe: epoll on Linux/Android, kqueue on macOS and
//! the BSDs.
//!
//! # Map of the crate
//!
//! * [`Poll`]: the queue; [`Poll::poll`] waits for events.
//! * [`Registry`]: registers [`event::Source`]s with a [`Token`] and an
//!   [`Interest`]; usable from any thread.
//! * [`Events`] / [`event::Event`]: what a poll returns.
//! * [`Waker`]: wakes a blocked poll from another thread.
//! * [`net`]: non-blocking TCP, UDP and Unix sockets.
//! * [`unix::SourceFd`]: register any file descriptor.
//! * `sys` (private): the one place that talks to the OS.
//!
//! # Guarantees
//!
//! Registration is **edge-triggered**: drain a ready source until
//! `WouldBlock` before waiting on it again. Events are hints (spurious ones
//! are possible). `poll` never fails with `EINTR` and never returns before
//! its timeout without an event. A peer's close is reported as
//! [`is_read_closed`](event::Event::is_read_closed), a reset as
//! [`is_error`](event::Event::is_error) and/or read-closed. Deregistering
//! guarantees that polls starting afterwards do not report the source.
//!
//! # Example
//!
//! ```
//! use eddy_poll::net::{TcpListener, TcpStream};
//! use eddy_poll::{Events, Interest, Poll, Token};
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(16);
//! let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//! poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
//! let _client = TcpStream::connect(listener.local_addr()?)?;
//!
//! poll.poll(&mut events, None)?;
//! let event = events.iter().next().unwrap();
//! assert_eq!(event.token(), Token(0));
//! let (_conn, _peer) = listener.accept()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! See [`Poll`] for a whole echo server loop.
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

#[macro_use]
mod sys;

pub mod event;
mod interest;
pub mod net;
mod poll;
mod token;
pub mod unix;
mod waker;

pub use event::Events;
pub use interest::Interest;
pub use poll::{Poll, Registry};
pub use token::Token;
pub use waker::Waker;

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
