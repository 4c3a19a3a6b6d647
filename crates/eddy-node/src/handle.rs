//! Handle state bits and the count that decides whether the loop is alive.
//!
//! Every long-lived thing the loop watches (a timer, an immediate, a socket,
//! a server) is a *handle* carrying these flags, as in libuv. A handle keeps
//! the loop running while it is both [`ACTIVE`] and [`REF`]: `unref()` clears
//! `REF`, stopping or firing clears `ACTIVE`. Each flag change goes through
//! [`HandleCount::set`], so "is the loop alive" is one read of a counter
//! (see `Loop::alive` in `loop.rs`).

use std::cell::Cell;

/// The handle is started: a timer is armed, an immediate is queued, a
/// socket or server is open. Set by start/open, cleared by stop/fire/close.
pub(crate) const ACTIVE: u8 = 1 << 0;
/// The handle counts for loop liveness. Set at creation and by `ref_()`,
/// cleared by `unref()`.
pub(crate) const REF: u8 = 1 << 1;
/// `close` was called; the close callback is queued for the close phase.
/// Set by close, never cleared (the handle is dead after it).
pub(crate) const CLOSING: u8 = 1 << 2;

/// True if a handle with `flags` keeps the loop alive.
pub(crate) fn keeps_alive(flags: u8) -> bool {
    flags & (ACTIVE | REF | CLOSING) == ACTIVE | REF
}

/// The number of handles that keep the loop alive.
#[derive(Debug, Default)]
pub(crate) struct HandleCount(Cell<usize>);

impl HandleCount {
    /// Moves a handle from `old` to `new` flags, keeping the count right.
    pub(crate) fn set(&self, flags: &Cell<u8>, new: u8) {
        self.transition(flags.get(), new);
        flags.set(new);
    }

    /// Accounts for a handle going from `old` to `new` flags.
    pub(crate) fn transition(&self, old: u8, new: u8) {
        match (keeps_alive(old), keeps_alive(new)) {
            (false, true) => self.0.set(self.0.get() + 1),
            (true, false) => self.0.set(self.0.get() - 1),
            _ => {}
        }
    }

    /// How many handles keep the loop alive now.
    pub(crate) fn get(&self) -> usize {
        self.0.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_active_referenced_open_handles() {
        let count = HandleCount::default();
        let flags = Cell::new(REF);
        count.set(&flags, REF | ACTIVE);
        assert_eq!(count.get(), 1);
        count.set(&flags, ACTIVE);
        assert_eq!(count.get(), 0);
        count.set(&flags, ACTIVE | REF);
        count.set(&flags, ACTIVE | REF | CLOSING);
        assert_eq!(count.get(), 0);
    }
}
