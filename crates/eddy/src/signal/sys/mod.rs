//! The operating-system half of [`signal`](super): everything that touches
//! `sigaction`, the handler and the self-pipe, behind one set of names.
//!
//! # Backend contract
//!
//! A backend exports:
//!
//! * `SIGNAL_LIMIT`: one more than the largest signal number accepted.
//! * `deliveries(signum) -> u64`: deliveries of `signum` counted by the
//!   handler so far (monotonic, never reset).
//! * `pipe_read_fd() -> io::Result<RawFd>`: the read end of the process-wide
//!   self-pipe (non-blocking; created on first use, never closed), readable
//!   whenever a delivery has happened since it was last drained.
//! * `drain_pipe(fd) -> io::Result<()>`: reads the pipe until it is empty.
//! * `install(signum) -> io::Result<SavedAction>`: routes `signum` to the
//!   handler, which counts, wakes the pipe and then calls the previous
//!   handler if it was a function; returns the previous disposition.
//! * `restore(signum, &SavedAction) -> io::Result<()>`: puts the previous
//!   disposition back. A delivery racing the restore is either counted and
//!   chained by our handler or handled by the restored disposition: never
//!   lost, never a crash (the handler touches only statics).
//!
//! Only Unix has one (`unix.rs`); elsewhere the crate does not build, with
//! a message saying so.

#[cfg(unix)]
mod unix;

#[cfg(unix)]
pub(crate) use unix::{
    SIGNAL_LIMIT, SavedAction, deliveries, drain_pipe, install, pipe_read_fd, restore,
};

#[cfg(not(unix))]
compile_error!(
    "eddy::signal supports Unix only (sigaction and a self-pipe); \
     there is no backend for this platform yet"
);
