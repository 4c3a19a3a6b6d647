//! Signals as async events: [`ctrl_c`] and, on Unix, [`unix::signal`].
//!
//! # How it works
//!
//! The first listener of a signal installs one process-wide handler for it
//! (`sys/`). The handler counts the delivery, writes a byte to the process's
//! one self-pipe, and then calls the handler that was installed before, if
//! that was a function (so a library that set its own handler keeps
//! working). Each runtime with listeners registers that pipe with its
//! reactor once; when it turns readable, the pipe is drained and every
//! listener of a signal whose count moved is woken (`registry.rs`), on
//! whichever runtime it lives. No descriptor per listener, no work in the
//! handler beyond a counter, a `write` and the chained call.
//!
//! When the last listener of a signal is dropped, the previous disposition
//! is put back (`SIG_DFL`, `SIG_IGN` or the earlier handler): a program
//! that stops listening for `SIGINT` can be interrupted again. A delivery
//! racing that restore is handled by one side or the other, never lost.
//!
//! # Delivery rules
//!
//! * Every listener sees every delivery made after it was created, however
//!   many listeners there are and on whichever runtimes.
//! * Deliveries that arrive between two receives are *coalesced*: a
//!   listener learns "at least one since last time" (the OS itself merges
//!   pending standard signals).
//!
//! # Platforms
//!
//! Unix only: elsewhere `sys/` stops the build with a message saying so.

mod registry;
mod sys;
pub mod unix;

use std::io;

/// Waits for the next Ctrl-C (`SIGINT`) delivered after this call starts.
///
/// While the returned future (or any other `SIGINT` listener) is alive,
/// `SIGINT` no longer terminates the process, so the program decides what
/// to do; once it completes or is dropped, and no other listener remains,
/// the previous disposition is back. To keep handling Ctrl-C across several
/// waits, keep one [`unix::signal`]`(SignalKind::interrupt())` listener
/// alive instead of calling this in a loop.
///
/// ```no_run
/// #[eddy::main]
/// async fn main() -> std::io::Result<()> {
///     println!("press Ctrl-C to stop");
///     eddy::signal::ctrl_c().await?;
///     println!("stopping");
///     Ok(())
/// }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = unix::signal(unix::SignalKind::interrupt())?;
    match interrupts.recv().await {
        Some(()) => Ok(()),
        None => Err(io::Error::other(
            "wait for Ctrl-C: the runtime shut down before a signal arrived",
        )),
    }
}
