//! The reactor's side of I/O resources: [`Registration`] (one source's
//! readiness slot in the current runtime's reactor) and [`PollEvented`] (a
//! source plus its registration, the building block of `eddy::net`).
//!
//! `driver` holds the reactor itself; `scheduled_io` the per-source
//! readiness word and waiters; `waker_slot` the lock-free slot each
//! direction's waiting task registers in.

mod driver;
#[cfg(loom)]
pub mod loom_models;
mod poll_evented;
mod registration;
mod scheduled_io;
mod waker_slot;

pub(crate) use driver::{IoDriver, IoHandle, shutdown_error};
#[allow(unused_imports)]
pub(crate) use poll_evented::PollEvented;
#[allow(unused_imports)]
pub(crate) use registration::Registration;

use scheduled_io::{ERROR, READ_CLOSED, READABLE, WRITABLE, WRITE_CLOSED};

/// Which half of a source a wait is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Readable, read-closed or error.
    Read,
    /// Writable, write-closed or error.
    Write,
}

/// Readiness observed on a source, and the reactor tick it was seen at (so
/// [`Registration::clear_readiness`] forgets only what was observed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: u8,
    pub(crate) tick: u16,
}

#[allow(dead_code)]
impl ReadyEvent {
    /// Data (or a connection) is available.
    pub(crate) fn is_readable(&self) -> bool {
        self.ready & READABLE != 0
    }
    /// There is room to write.
    pub(crate) fn is_writable(&self) -> bool {
        self.ready & WRITABLE != 0
    }
    /// The peer closed its writing half (reads return 0 or an error).
    pub(crate) fn is_read_closed(&self) -> bool {
        self.ready & READ_CLOSED != 0
    }
    /// Writes will fail.
    pub(crate) fn is_write_closed(&self) -> bool {
        self.ready & WRITE_CLOSED != 0
    }
    /// An error is pending on the source.
    pub(crate) fn is_error(&self) -> bool {
        self.ready & ERROR != 0
    }
    /// The runtime shut down: the source can no longer be used.
    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.ready & scheduled_io::SHUTDOWN != 0
    }
}
