//! Timers and immediates: `set_timeout`, `set_interval`, `set_immediate`.
//!
//! Timers fire in `(deadline, start order)`, as libuv's timer heap; the
//! queue that keeps them is `queue.rs` (one FIFO list per deadline, as Node).
//! Immediates run in the check phase, see `immediate.rs`.
//!
//! Deadlines are in loop-time milliseconds. As in Node (whose
//! `getLibuvNow()` calls `uv_update_time` first), starting, refreshing or
//! re-arming a timer first brings the loop time up to date, so a timer set
//! late in a long callback still waits its full delay. The due check of the
//! timers phase uses the time cached at the start of the iteration. A delay
//! below 1 ms becomes 1 ms as in Node, and an interval is re-armed (from the
//! updated loop time) just before its callback runs.
//!
//! # `refresh()` after a timeout fired
//!
//! Node's `timeout.refresh()` on a timeout that already fired (or from
//! inside its own callback) arms it again with the same callback. A Rust
//! callback can only run twice if it is `FnMut`, and [`set_timeout`] takes
//! any `FnOnce` closure (the common case: a promise resolver, a moved
//! buffer). So [`set_timeout`] accepts a [`TimerCallback`]: every `FnOnce()`
//! closure is one (it runs once; the timer is forgotten when it fires, and
//! a later `refresh()` does nothing), and so is [`refreshable`]`(f)` for an
//! `FnMut()` closure, which gives Node's behaviour: the fired timer is kept
//! (inactive, not keeping the loop alive) and `refresh()` runs `f` again,
//! until [`clear_timeout`] or the loop's end.

mod immediate;
mod queue;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use immediate::{Immediate, clear_immediate, set_immediate};
pub(crate) use immediate::{ImmediateQueue, run_immediates};
pub(crate) use queue::{TimerQueue, run_due_timers};

use crate::handle::REF;
use crate::r#loop::{LoopInner, with_current};
use crate::promise::{Promise, promise};
use crate::slab::Key;
use crate::small_fn::SmallFn;
use queue::{KEEP, REPEAT, TimerEntry};

/// Node's largest delay (2^31 - 1 ms); larger delays become 1 ms, as in Node.
pub const TIMEOUT_MAX: u64 = 2_147_483_647;

/// A callback [`set_timeout`] accepts: any `FnOnce()` closure (runs once),
/// or [`refreshable`]`(f)` with an `FnMut()` closure (kept after it fires,
/// so [`Timeout::refresh`] runs it again, as in Node).
///
/// This trait is sealed: it cannot be implemented outside this crate.
pub trait TimerCallback: sealed::Sealed + 'static {}

mod sealed {
    use crate::small_fn::SmallFn;

    /// Keeps [`super::TimerCallback`] to the two kinds this module knows,
    /// and turns them into what the queue stores.
    pub trait Sealed {
        /// The callback as the queue stores it, and whether the timer is
        /// kept after it fires.
        fn into_timer_fn(self) -> (SmallFn, bool);
    }

    impl<F: FnOnce() + 'static> Sealed for F {
        fn into_timer_fn(self) -> (SmallFn, bool) {
            // Stored as FnMut like the others; the queue forgets a one-shot
            // timer before running it, so this never runs twice.
            let mut f = Some(self);
            let once = move || {
                if let Some(f) = f.take() {
                    f();
                }
            };
            (SmallFn::new(once), false)
        }
    }

    impl<F: FnMut() + 'static> Sealed for super::Refreshable<F> {
        fn into_timer_fn(self) -> (SmallFn, bool) {
            (SmallFn::new(self.0), true)
        }
    }
}

impl<F: FnOnce() + 'static> TimerCallback for F {}

/// An `FnMut()` callback for [`set_timeout`] that [`Timeout::refresh`] can
/// run again after it fired (see [`refreshable`]).
pub struct Refreshable<F>(F);

impl<F> fmt::Debug for Refreshable<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Refreshable(..)")
    }
}

impl<F: FnMut() + 'static> TimerCallback for Refreshable<F> {}

/// Marks `f` as a timeout callback that may run again: passed to
/// [`set_timeout`], the timer is kept (without keeping the loop alive)
/// after it fires, so that [`Timeout::refresh`] re-arms it and `f` runs
/// again, as with Node's `timeout.refresh()` on a fired timeout. The
/// callback is kept until [`clear_timeout`] or the end of the loop.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use eddy_node::timers::{Timeout, refreshable, set_timeout};
/// eddy_node::run(|| {
///     let runs = Rc::new(Cell::new(0));
///     let handle: Rc<Cell<Option<Timeout>>> = Rc::default();
///     let h = handle.clone();
///     handle.set(Some(set_timeout(1, refreshable(move || {
///         runs.set(runs.get() + 1);
///         if runs.get() < 3 {
///             h.get().unwrap().refresh(); // runs again 1 ms from now
///         }
///     }))));
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
pub fn refreshable<F: FnMut() + 'static>(f: F) -> Refreshable<F> {
    Refreshable(f)
}

/// A timer started by [`set_timeout`] or [`set_interval`] (Node's `Timeout`).
///
/// It is a small copyable id: clearing or using it after the timer is gone
/// does nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    key: Key,
    loop_id: usize,
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("index", &self.key.index)
            .finish()
    }
}

impl Timeout {
    fn with_entry<R>(&self, f: impl FnOnce(&LoopInner, &mut TimerQueue) -> R) -> Option<R> {
        with_current(|lp| {
            if lp.id != self.loop_id {
                return None;
            }
            let mut timers = lp.timers.borrow_mut();
            timers.get(self.key)?;
            Some(f(lp, &mut timers))
        })
    }

    fn set_ref(&self, on: bool) {
        self.with_entry(|lp, timers| {
            if let Some(entry) = timers.get(self.key) {
                let flags = entry.flags.get();
                let flags = if on { flags | REF } else { flags & !REF };
                lp.handles.set(&entry.flags, flags);
            }
        });
    }

    /// Lets the loop exit while this timer is still pending.
    pub fn unref(&self) -> &Self {
        self.set_ref(false);
        self
    }

    /// Makes the timer keep the loop alive again (the default).
    pub fn ref_(&self) -> &Self {
        self.set_ref(true);
        self
    }

    /// Whether the timer keeps the loop alive.
    pub fn has_ref(&self) -> bool {
        self.with_entry(|_, timers| {
            timers
                .get(self.key)
                .is_some_and(|e| e.flags.get() & REF != 0)
        })
        .unwrap_or(false)
    }

    /// Restarts the timer's delay from the current loop time (Node's
    /// `timeout.refresh()`). On a fired timeout started with a
    /// [`refreshable`] callback (or from inside its callback) it arms the
    /// timer again, as Node does; a plain `FnOnce` timeout is gone once it
    /// fired (its callback ran once), so there it does nothing.
    pub fn refresh(&self) -> &Self {
        self.with_entry(|lp, timers| {
            if let Some(entry) = timers.get(self.key) {
                lp.update_time();
                let deadline = lp.now() + u64::from(entry.delay);
                timers.arm(self.key, deadline, &lp.handles);
            }
        });
        self
    }
}

fn node_delay(ms: u64) -> u32 {
    match u32::try_from(ms) {
        Ok(ms) if (1..=TIMEOUT_MAX).contains(&u64::from(ms)) => ms,
        _ => 1,
    }
}

#[track_caller]
fn start_timer(ms: u64, callback: SmallFn, kind: u8) -> Timeout {
    let site = Location::caller();
    let delay = node_delay(ms);
    with_current(|lp| {
        lp.update_time();
        let entry = TimerEntry {
            callback: Some(callback),
            site,
            delay,
            kind,
            flags: Cell::new(0),
        };
        let key = lp
            .timers
            .borrow_mut()
            .insert(entry, lp.now() + u64::from(delay), &lp.handles);
        Timeout {
            key,
            loop_id: lp.id,
        }
    })
}

/// Calls `f` once, `ms` milliseconds from the loop time (0 means 1, as in
/// Node). `f` is any `FnOnce()` closure, or [`refreshable`]`(f)` for an
/// `FnMut()` one that [`Timeout::refresh`] may run again after it fired.
///
/// ```
/// eddy_node::run(|| {
///     eddy_node::timers::set_timeout(20, || println!("second"));
///     eddy_node::timers::set_timeout(10, || println!("first"));
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn set_timeout(ms: u64, f: impl TimerCallback) -> Timeout {
    let (callback, keep) = sealed::Sealed::into_timer_fn(f);
    start_timer(ms, callback, if keep { KEEP } else { 0 })
}

/// The same as `set_timeout(ms, refreshable(f))` (see [`refreshable`]).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn set_refreshable_timeout(ms: u64, f: impl FnMut() + 'static) -> Timeout {
    set_timeout(ms, refreshable(f))
}

/// Calls `f` every `ms` milliseconds until cleared.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// eddy_node::run(|| {
///     let n = Rc::new(Cell::new(0));
///     let handle: Rc<Cell<Option<eddy_node::timers::Timeout>>> = Rc::default();
///     let h = handle.clone();
///     handle.set(Some(eddy_node::timers::set_interval(1, move || {
///         n.set(n.get() + 1);
///         if n.get() == 3 {
///             eddy_node::timers::clear_interval(&h.get().unwrap());
///         }
///     })));
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn set_interval(ms: u64, f: impl FnMut() + 'static) -> Timeout {
    start_timer(ms, SmallFn::new(f), REPEAT)
}

/// Cancels a timeout; does nothing if it already fired or was cleared.
pub fn clear_timeout(timeout: &Timeout) {
    if let Some(lp) = crate::r#loop::try_current()
        && lp.id == timeout.loop_id
    {
        let entry = lp.timers.borrow_mut().clear(timeout.key, &lp.handles);
        // Dropped here, outside the borrow: its captures may touch timers.
        drop(entry);
    }
}

/// The loop's cached time in ms (what deadlines are measured in).
pub(crate) fn loop_now() -> u64 {
    with_current(|lp| lp.now())
}

/// Arms `timeout` (again) for the absolute loop time `deadline` (ms);
/// its earlier deadline, if any, no longer counts.
pub(crate) fn arm_at(timeout: &Timeout, deadline: u64) {
    with_current(|lp| {
        if lp.id == timeout.loop_id {
            lp.timers
                .borrow_mut()
                .arm(timeout.key, deadline, &lp.handles);
        }
    });
}

/// Cancels an interval (the same as [`clear_timeout`], as in Node).
pub fn clear_interval(interval: &Timeout) {
    clear_timeout(interval);
}

/// A future that completes `ms` milliseconds from now (Node's
/// `timers/promises.setTimeout`), for use in [`crate::spawn`]ed code.
///
/// ```
/// eddy_node::run(|| {
///     eddy_node::spawn(async {
///         eddy_node::timers::sleep(5).await;
///         println!("5 ms later");
///     });
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn sleep(ms: u64) -> Sleep {
    let (resolver, promise) = promise();
    set_timeout(ms, move || resolver.resolve(()));
    Sleep { promise }
}

/// The future returned by [`sleep`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    promise: Promise<()>,
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.promise).poll(cx)
    }
}
