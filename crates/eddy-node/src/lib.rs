//! eddy-node: a Node.js-style callback event loop on `eddy-poll`, with
//! libuv's real phase order and a thread pool.
//!
//! Node programs are callbacks on one thread: timers, I/O, pool work and
//! promise continuations, ordered by precise rules (timers before I/O,
//! immediates after it, next ticks and microtasks after every callback).
//! This crate is that loop for Rust closures, checked line by line against
//! real Node (`tests/node_parity`).
//!
//! # Map of the crate
//!
//! * [`run`] / [`Loop`]: the loop; `loop.rs` is libuv's `uv_run`, one phase
//!   per line; `handle.rs` holds the ACTIVE/REF/CLOSING bits that decide
//!   when it exits.
//! * [`timers`]: `set_timeout`, `set_interval`, `set_immediate` and their
//!   handles (`unref`, `ref_`, `refresh`), [`timers::sleep`].
//! * [`next_tick`], [`queue_microtask`], [`on_uncaught`]: the queues drained
//!   after every callback, and what happens when a callback panics.
//! * [`threadpool`]: the fixed-size pool (`EDDY_THREADPOOL_SIZE`), and
//!   [`work::queue_work`] to run blocking code on it.
//! * [`fs`], [`crypto`], [`dns`]: pool-backed modules.
//! * [`net`], [`http`]: TCP sockets and servers, HTTP/1.1 client and server.
//! * [`spawn`], [`promise`]: futures as promises, `async` twins of the API.
//! * [`Error`]: the error-first callbacks' error, with Node's codes.
//! * `small_fn.rs`: timer callbacks stored inline; `sys.rs`: the loop's
//!   clock (the crate's only `unsafe` code and platform `cfg`s).
//!
//! # Example
//!
//! ```
//! use eddy_node::{next_tick, timers};
//!
//! eddy_node::run(|| {
//!     timers::set_timeout(1, || println!("3: timer"));
//!     timers::set_immediate(|| println!("2: immediate (or after the timer)"));
//!     next_tick(|| println!("1: next tick"));
//! })?;
//! # Ok::<(), eddy_node::Error>(())
//! ```
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]
#![deny(unsafe_code)] // allowed in `small_fn` and `sys` only

mod callback;
mod error;
mod handle;
mod r#loop;
mod slab;
mod small_fn;
mod sys;
mod task;

pub mod crypto;
pub mod dns;
pub mod fs;
pub mod http;
pub mod net;
pub mod promise;
pub mod threadpool;
pub mod timers;
pub mod work;

pub use callback::{Uncaught, next_tick, on_uncaught, queue_microtask};
pub use error::Error;
pub use r#loop::Loop;
pub use task::spawn;

/// Runs `main`, then the loop until nothing referenced is left (Node
/// running a script). Returns `Err` if the loop could not be created, or if
/// a callback panicked with no [`on_uncaught`] handler installed.
///
/// ```
/// eddy_node::run(|| {
///     eddy_node::timers::set_timeout(5, || println!("done"));
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
#[track_caller]
pub fn run(main: impl FnOnce()) -> Result<(), Error> {
    Loop::new()?.run(main)
}
