//! Signals as async events: [`ctrl_c`] and, on Unix, [`unix::signal`].
//!
//! A process-global handler (installed the first time a signal is listened
//! for) counts each delivery and writes a byte to a self-pipe whose read end
//! every listener registers with its runtime's reactor; a listener wakes,
//! drains the pipe and compares the signal's delivery count with the count
//! it last saw. So any number of listeners, on any runtimes, each see every
//! delivery, and no work happens in the handler beyond a counter and a
//! `write`.
//!
//! Deliveries that arrive between two receives are *coalesced*: a listener
//! learns "at least one since last time" (the OS itself merges pending
//! standard signals). A listener sees only deliveries after it was created.

mod sys;
pub mod unix;

use std::io;

/// Waits for the next Ctrl-C (`SIGINT`) delivered after this call starts.
///
/// The first call installs a process-wide handler: from then on `SIGINT`
/// no longer terminates the process, so the program decides what to do.
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
