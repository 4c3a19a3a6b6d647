//! Immediates: `set_immediate` callbacks, run in the loop's check phase
//! (phase 7) in the order they were set. Those set while the check phase
//! runs wait for the next iteration, as in Node.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;

use crate::handle::{ACTIVE, REF};
use crate::r#loop::{LoopInner, with_current};
use crate::slab::{Key, Slab};

struct ImmediateEntry {
    callback: Box<dyn FnOnce()>,
    site: &'static Location<'static>,
    flags: Cell<u8>,
}

/// The loop's immediates (phase 7).
#[derive(Default)]
pub(crate) struct ImmediateQueue {
    order: VecDeque<Key>,
    entries: Slab<ImmediateEntry>,
}

impl ImmediateQueue {
    /// True if an immediate waits (the poll must not block then).
    pub(crate) fn has_pending(&self) -> bool {
        self.entries.len() > 0
    }
}

/// Phase 7: runs the immediates queued before the phase began; ones they
/// queue run in the next iteration.
pub(crate) fn run_immediates(lp: &LoopInner) {
    let count = lp.immediates.borrow().order.len();
    for _ in 0..count {
        let entry = {
            let mut immediates = lp.immediates.borrow_mut();
            let Some(key) = immediates.order.pop_front() else {
                return;
            };
            immediates.entries.remove(key)
        };
        if let Some(entry) = entry {
            lp.handles.set(&entry.flags, 0);
            lp.run_fn(entry.site, entry.callback);
            if lp.stopped() {
                return;
            }
        }
    }
}

/// An immediate set by [`set_immediate`] (Node's `Immediate`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Immediate {
    key: Key,
    loop_id: usize,
}

impl fmt::Debug for Immediate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Immediate")
            .field("index", &self.key.index)
            .finish()
    }
}

impl Immediate {
    fn set_ref(&self, on: bool) {
        if let Some(lp) = crate::r#loop::try_current() {
            if lp.id != self.loop_id {
                return;
            }
            if let Some(entry) = lp.immediates.borrow().entries.get(self.key) {
                let flags = if on {
                    entry.flags.get() | REF
                } else {
                    entry.flags.get() & !REF
                };
                lp.handles.set(&entry.flags, flags);
            }
        }
    }

    /// Lets the loop exit with this immediate still queued.
    pub fn unref(&self) -> &Self {
        self.set_ref(false);
        self
    }

    /// Makes the immediate keep the loop alive again (the default).
    pub fn ref_(&self) -> &Self {
        self.set_ref(true);
        self
    }
}

/// Calls `f` in the check phase of this (or, from inside the check phase,
/// the next) loop iteration: after I/O callbacks, before timers of the next
/// iteration.
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn set_immediate(f: impl FnOnce() + 'static) -> Immediate {
    let site = Location::caller();
    with_current(|lp| {
        let mut immediates = lp.immediates.borrow_mut();
        let key = immediates.entries.insert(ImmediateEntry {
            callback: Box::new(f),
            site,
            flags: Cell::new(REF),
        });
        if let Some(entry) = immediates.entries.get(key) {
            lp.handles.set(&entry.flags, ACTIVE | REF);
        }
        immediates.order.push_back(key);
        Immediate {
            key,
            loop_id: lp.id,
        }
    })
}

/// Cancels an immediate that has not run yet.
pub fn clear_immediate(immediate: &Immediate) {
    if let Some(lp) = crate::r#loop::try_current() {
        if lp.id != immediate.loop_id {
            return;
        }
        let entry = lp.immediates.borrow_mut().entries.remove(immediate.key);
        if let Some(entry) = entry {
            lp.handles.set(&entry.flags, 0);
        }
    }
}
