//! Timers and immediates: `set_timeout`, `set_interval`, `set_immediate`.
//!
//! Timers fire in `(deadline, start id)` order, as libuv's timer heap:
//! earlier deadlines first, equal deadlines in the order they were started.
//! They are kept as Node keeps them, in one FIFO list per deadline (a hash
//! map of deadlines to queues, plus a min-heap of the distinct deadlines):
//! start ids only grow, so appending keeps each list in order, and a million
//! timers over a thousand distinct deadlines cost O(1) each instead of a
//! heap's O(log n).
//!
//! Deadlines are in loop-time milliseconds. As in Node (whose
//! `getLibuvNow()` calls `uv_update_time` first), starting, refreshing or
//! re-arming a timer first brings the loop time up to date, so a timer set
//! late in a long callback still waits its full delay. The due check of the
//! timers phase uses the time cached at the start of the iteration. A delay
//! below 1 ms becomes 1 ms as in Node, and an interval is re-armed (from the
//! updated loop time) just before its callback runs.
//! Cancelled or re-armed timers leave stale list entries that are skipped
//! when popped (their start id no longer matches).
//!
//! Immediates run in the check phase, in the order they were set; those set
//! while the check phase runs wait for the next iteration, as in Node.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::handle::{ACTIVE, HandleCount, REF};
use crate::r#loop::{LoopInner, with_current};
use crate::promise::{Promise, promise};
use crate::slab::{Key, Slab};

/// Node's largest delay (2^31 - 1 ms); larger delays become 1 ms, as in Node.
pub const TIMEOUT_MAX: u64 = 2_147_483_647;

enum TimerCallback {
    Once(Box<dyn FnOnce()>),
    Repeat(Box<dyn FnMut()>),
    /// A timeout kept after it fires, so `refresh()` can run it again.
    Refreshable(Box<dyn FnMut()>),
}

struct TimerEntry {
    /// The start id of the list entry that is current for this timer.
    start_id: u64,
    delay: u64,
    repeat: bool,
    /// `None` while the callback runs (taken out so it may re-enter the API).
    callback: Option<TimerCallback>,
    site: &'static Location<'static>,
    flags: Cell<u8>,
}

/// The loop's timers (phase 2).
#[derive(Default)]
pub(crate) struct TimerQueue {
    /// Deadline -> (start id, timer) in start order; entries whose start id
    /// is no longer the timer's are stale and skipped.
    lists: HashMap<u64, VecDeque<(u64, Key)>, BuildHasherDefault<DeadlineHasher>>,
    /// The deadlines that have a list, earliest on top (one entry each).
    deadlines: BinaryHeap<Reverse<u64>>,
    entries: Slab<TimerEntry>,
    next_start_id: u64,
}

/// Deadlines are small integers: one multiply spreads them well enough.
#[derive(Default)]
struct DeadlineHasher(u64);

impl Hasher for DeadlineHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl TimerQueue {
    /// The earliest deadline among armed timers (stale entries included:
    /// a too-early wake-up is harmless).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.deadlines.peek().map(|Reverse(deadline)| *deadline)
    }

    /// The earliest list, if its deadline is at or before `limit`.
    fn first_list(&mut self, limit: u64) -> Option<(u64, &mut VecDeque<(u64, Key)>)> {
        loop {
            let &Reverse(deadline) = self.deadlines.peek()?;
            if deadline > limit {
                return None;
            }
            if self.lists.contains_key(&deadline) {
                let list = self.lists.get_mut(&deadline)?;
                return Some((deadline, list));
            }
            // Cannot happen (lists and heap entries come and go together);
            // skipping keeps the loop going if it ever did.
            self.deadlines.pop();
        }
    }

    /// Drops the earliest list (it is empty).
    fn drop_first_list(&mut self, deadline: u64) {
        self.lists.remove(&deadline);
        self.deadlines.pop();
    }

    /// Removes and returns the first entry due at `now`, stale or not.
    fn pop_due(&mut self, now: u64) -> Option<(u64, Key)> {
        let (deadline, list) = self.first_list(now)?;
        let entry = list.pop_front();
        if list.is_empty() {
            self.drop_first_list(deadline);
        }
        entry
    }

    /// Adds `key` to the list of `deadline` with a fresh start id.
    fn push(&mut self, key: Key, deadline: u64) -> u64 {
        let start_id = self.next_start_id;
        self.next_start_id += 1;
        let list = self.lists.entry(deadline).or_insert_with(|| {
            self.deadlines.push(Reverse(deadline));
            VecDeque::new()
        });
        list.push_back((start_id, key));
        start_id
    }

    /// Stores a new timer and arms it.
    fn insert(&mut self, mut entry: TimerEntry, deadline: u64, handles: &HandleCount) -> Key {
        handles.transition(0, REF | ACTIVE);
        entry.flags = Cell::new(REF | ACTIVE);
        let key = self.entries.insert(entry);
        let start_id = self.push(key, deadline);
        if let Some(entry) = self.entries.get_mut(key) {
            entry.start_id = start_id;
        }
        key
    }

    /// Re-arms an existing timer (interval, refresh).
    fn arm(&mut self, key: Key, deadline: u64, handles: &HandleCount) {
        if self.entries.get(key).is_none() {
            return;
        }
        let start_id = self.push(key, deadline);
        if let Some(entry) = self.entries.get_mut(key) {
            entry.start_id = start_id;
            handles.set(&entry.flags, entry.flags.get() | ACTIVE);
        }
    }

    /// Forgets a timer that just fired (its list entry is already gone).
    fn forget(&mut self, key: Key, handles: &HandleCount) {
        if let Some(entry) = self.entries.remove(key) {
            handles.set(&entry.flags, 0);
        }
    }

    fn remove(&mut self, key: Key, handles: &HandleCount) {
        self.forget(key, handles);
        // Drop stale heads so an idle loop does not wake for dead timers.
        while let Some(&Reverse(deadline)) = self.deadlines.peek() {
            let Some(list) = self.lists.get_mut(&deadline) else {
                self.deadlines.pop();
                continue;
            };
            while let Some(&(start_id, head)) = list.front() {
                match self.entries.get(head) {
                    Some(entry) if entry.start_id == start_id => return,
                    _ => {
                        list.pop_front();
                    }
                }
            }
            self.drop_first_list(deadline);
        }
    }
}

/// Phase 2: runs every timer whose deadline is at or before the loop time.
pub(crate) fn run_due_timers(lp: &LoopInner) {
    let now = lp.now();
    loop {
        let (key, callback, site) = {
            let mut timers = lp.timers.borrow_mut();
            let Some((start_id, key)) = timers.pop_due(now) else {
                return;
            };
            let Some(entry) = timers.entries.get_mut(key) else {
                continue;
            };
            if entry.start_id != start_id {
                continue; // re-armed or refreshed since: a stale entry
            }
            let Some(callback) = entry.callback.take() else {
                continue;
            };
            let site = entry.site;
            if entry.repeat {
                let delay = entry.delay;
                lp.update_time();
                timers.arm(key, lp.now() + delay, &lp.handles);
            } else {
                let flags = entry.flags.get() & !ACTIVE;
                lp.handles.set(&entry.flags, flags);
            }
            (key, callback, site)
        };
        match callback {
            TimerCallback::Once(f) => {
                lp.timers.borrow_mut().forget(key, &lp.handles);
                lp.run_fn(site, f);
            }
            TimerCallback::Repeat(mut f) => {
                lp.run_fn(site, &mut f);
                // Put the callback back unless the interval was cleared.
                if let Some(entry) = lp.timers.borrow_mut().entries.get_mut(key) {
                    entry.callback = Some(TimerCallback::Repeat(f));
                }
            }
            TimerCallback::Refreshable(mut f) => {
                // Kept (inactive) after firing, so `refresh` can re-arm it.
                lp.run_fn(site, &mut f);
                if let Some(entry) = lp.timers.borrow_mut().entries.get_mut(key) {
                    entry.callback = Some(TimerCallback::Refreshable(f));
                }
            }
        }
        if lp.stopped() {
            return;
        }
    }
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
            timers.entries.get(self.key)?;
            Some(f(lp, &mut timers))
        })
    }

    /// Lets the loop exit while this timer is still pending.
    pub fn unref(&self) -> &Self {
        self.with_entry(|lp, timers| {
            if let Some(entry) = timers.entries.get(self.key) {
                lp.handles.set(&entry.flags, entry.flags.get() & !REF);
            }
        });
        self
    }

    /// Makes the timer keep the loop alive again (the default).
    pub fn ref_(&self) -> &Self {
        self.with_entry(|lp, timers| {
            if let Some(entry) = timers.entries.get(self.key) {
                lp.handles.set(&entry.flags, entry.flags.get() | REF);
            }
        });
        self
    }

    /// Whether the timer keeps the loop alive.
    pub fn has_ref(&self) -> bool {
        self.with_entry(|_, timers| {
            timers
                .entries
                .get(self.key)
                .is_some_and(|e| e.flags.get() & REF != 0)
        })
        .unwrap_or(false)
    }

    /// Restarts the timer's delay from the current loop time (Node's
    /// `timeout.refresh()`). On a fired [`set_refreshable_timeout`] (or
    /// from inside its callback) it arms the timer again, as Node does; a
    /// [`set_timeout`] is gone once fired (its callback ran once), so there
    /// it does nothing.
    pub fn refresh(&self) -> &Self {
        self.with_entry(|lp, timers| {
            if let Some(entry) = timers.entries.get(self.key) {
                lp.update_time();
                let deadline = lp.now() + entry.delay;
                timers.arm(self.key, deadline, &lp.handles);
            }
        });
        self
    }
}

fn node_delay(ms: u64) -> u64 {
    if (1..=TIMEOUT_MAX).contains(&ms) {
        ms
    } else {
        1
    }
}

#[track_caller]
fn start_timer(ms: u64, callback: TimerCallback, repeat: bool) -> Timeout {
    let site = Location::caller();
    let delay = node_delay(ms);
    with_current(|lp| {
        lp.update_time();
        let entry = TimerEntry {
            start_id: 0,
            delay,
            repeat,
            callback: Some(callback),
            site,
            flags: Cell::new(0),
        };
        let key = lp
            .timers
            .borrow_mut()
            .insert(entry, lp.now() + delay, &lp.handles);
        Timeout {
            key,
            loop_id: lp.id,
        }
    })
}

/// Calls `f` once, `ms` milliseconds from the loop time (0 means 1, as in
/// Node).
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
pub fn set_timeout(ms: u64, f: impl FnOnce() + 'static) -> Timeout {
    start_timer(ms, TimerCallback::Once(Box::new(f)), false)
}

/// [`set_timeout`] for a callback that may run again: after it fires, the
/// timer stays (without keeping the loop alive) so that
/// [`Timeout::refresh`] re-arms it and `f` runs again, as with Node's
/// `timeout.refresh()` on a fired timeout. The callback is kept until
/// [`clear_timeout`] or the end of the loop.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// eddy_node::run(|| {
///     let runs = Rc::new(Cell::new(0));
///     let handle: Rc<Cell<Option<eddy_node::timers::Timeout>>> = Rc::default();
///     let h = handle.clone();
///     handle.set(Some(eddy_node::timers::set_refreshable_timeout(1, move || {
///         runs.set(runs.get() + 1);
///         if runs.get() < 3 {
///             h.get().unwrap().refresh(); // runs again 1 ms from now
///         }
///     })));
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn set_refreshable_timeout(ms: u64, f: impl FnMut() + 'static) -> Timeout {
    start_timer(ms, TimerCallback::Refreshable(Box::new(f)), false)
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
    start_timer(ms, TimerCallback::Repeat(Box::new(f)), true)
}

/// Cancels a timeout; does nothing if it already fired or was cleared.
pub fn clear_timeout(timeout: &Timeout) {
    if let Some(lp) = crate::r#loop::try_current()
        && lp.id == timeout.loop_id
    {
        lp.timers.borrow_mut().remove(timeout.key, &lp.handles);
    }
}

/// Cancels an interval (the same as [`clear_timeout`], as in Node).
pub fn clear_interval(interval: &Timeout) {
    clear_timeout(interval);
}

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
