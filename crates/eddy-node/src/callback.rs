//! Running user callbacks: the `next_tick` and microtask queues drained after
//! every callback, and panics turned into "uncaught exceptions".
//!
//! Node (since v11) drains `process.nextTick` callbacks, then the microtask
//! (promise) queue, after *each* callback it runs, and repeats until both are
//! empty; next ticks queued by next ticks run before any microtask. Every
//! callback the loop runs goes through [`LoopInner::run_callback`], which
//! does exactly that.
//!
//! A panic in a callback is caught; without an [`on_uncaught`] handler it is
//! printed on stderr with the site where the callback was registered (a
//! `#[track_caller]` location captured at registration), and the loop stops:
//! `run` returns `Err` with code `ERR_UNCAUGHT_PANIC`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Once;

use crate::Error;
use crate::r#loop::{LoopInner, with_current};

/// A one-shot callback and the place where it was registered.
pub(crate) struct Callback {
    pub(crate) f: Box<dyn FnOnce()>,
    pub(crate) site: &'static Location<'static>,
}

impl Callback {
    pub(crate) fn new(site: &'static Location<'static>, f: impl FnOnce() + 'static) -> Callback {
        Callback {
            f: Box::new(f),
            site,
        }
    }
}

/// What an [`on_uncaught`] handler receives for a panicking callback.
pub struct Uncaught {
    /// The panic as an error (code `ERR_UNCAUGHT_PANIC`, message included).
    pub error: Error,
    /// The panic payload, as `catch_unwind` returned it.
    pub payload: Box<dyn Any + Send>,
    /// Where the panicking callback was registered.
    pub site: &'static Location<'static>,
}

impl fmt::Debug for Uncaught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Uncaught")
            .field("error", &self.error)
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Set while this thread runs code whose panics we report ourselves, so
    /// the panic hook stays quiet for them.
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
    /// The location of the last quiet panic, recorded by the hook.
    static LAST_PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per process) a panic hook that records the location of
/// panics we catch and report ourselves instead of printing them twice.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET_PANICS.with(Cell::get) {
                let location = info.location().map(|l| l.to_string());
                LAST_PANIC_LOCATION.with(|last| *last.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f` with panics caught quietly (no hook output); returns the payload
/// and the panic location on failure. Used by the loop and the pool threads.
pub(crate) fn catch_quietly<R>(
    f: impl FnOnce() -> R,
) -> Result<R, (Box<dyn Any + Send>, Option<String>)> {
    install_panic_hook();
    let was_quiet = QUIET_PANICS.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(was_quiet));
    result.map_err(|payload| {
        let location = LAST_PANIC_LOCATION.with(|last| last.borrow_mut().take());
        (payload, location)
    })
}

/// The message inside a panic payload (`&str` or `String`), if any.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

impl LoopInner {
    /// Runs one callback, then drains the next-tick and microtask queues.
    pub(crate) fn run_callback(&self, cb: Callback) {
        self.invoke(cb);
        self.drain_ticks_and_microtasks();
    }

    /// Runs `f` (registered at `site`) as a callback.
    pub(crate) fn run_fn(&self, site: &'static Location<'static>, f: impl FnOnce()) {
        if let Err((payload, location)) = catch_quietly(f) {
            self.report_uncaught(payload, location, site);
        }
        self.drain_ticks_and_microtasks();
    }

    fn invoke(&self, cb: Callback) {
        if let Err((payload, location)) = catch_quietly(cb.f) {
            self.report_uncaught(payload, location, cb.site);
        }
    }

    /// Node's `processTicksAndRejections`: all next ticks (including the
    /// ones they queue), then all microtasks, until both queues are empty.
    pub(crate) fn drain_ticks_and_microtasks(&self) {
        if self.draining.replace(true) {
            return; // a callback run from inside the drain: the drain continues
        }
        loop {
            // (Each pop is its own statement: the queue is not borrowed
            // while the callback runs and queues more.)
            loop {
                let next = self.next_ticks.borrow_mut().pop_front();
                match next {
                    Some(cb) if !self.stopped() => self.invoke(cb),
                    _ => break,
                }
            }
            loop {
                let next = self.microtasks.borrow_mut().pop_front();
                match next {
                    Some(cb) if !self.stopped() => self.invoke(cb),
                    _ => break,
                }
            }
            if self.stopped() || self.next_ticks.borrow().is_empty() {
                break;
            }
        }
        self.draining.set(false);
    }

    /// Hands a caught panic to the `on_uncaught` handler, or prints it and
    /// stops the loop.
    pub(crate) fn report_uncaught(
        &self,
        payload: Box<dyn Any + Send>,
        location: Option<String>,
        site: &'static Location<'static>,
    ) {
        let message = panic_message(&*payload);
        let panicked_at = location.map_or(String::new(), |l| format!(" (panicked at {l})"));
        let error = Error::new(
            "ERR_UNCAUGHT_PANIC",
            format!("uncaught panic in a callback registered at {site}: {message}{panicked_at}"),
        );
        let handler = self.uncaught_handler.borrow_mut().take();
        match handler {
            Some(mut handler) => {
                let uncaught = Uncaught {
                    error,
                    payload,
                    site,
                };
                if let Err((payload, location)) = catch_quietly(|| handler(uncaught)) {
                    // A panicking handler is fatal, as a throwing one in Node.
                    let message = panic_message(&*payload);
                    eprintln!(
                        "Uncaught panic in the on_uncaught handler: {message}{}",
                        location.map_or(String::new(), |l| format!(" (panicked at {l})"))
                    );
                    self.fail(Error::new("ERR_UNCAUGHT_PANIC", message));
                    return;
                }
                let mut slot = self.uncaught_handler.borrow_mut();
                if slot.is_none() {
                    *slot = Some(handler);
                }
            }
            None => {
                eprintln!("Uncaught panic: {message}");
                if !panicked_at.is_empty() {
                    eprintln!(
                        "    at {}",
                        panicked_at
                            .trim_start_matches(" (panicked at ")
                            .trim_end_matches(')')
                    );
                }
                eprintln!("    in a callback registered at {site}");
                self.fail(error);
            }
        }
    }

    /// Records the first fatal error and stops the loop.
    pub(crate) fn fail(&self, error: Error) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(error);
        }
        self.stop.set(true);
    }
}

/// Queues `f` to run right after the current callback, before any
/// microtask and before the loop moves on (Node's `process.nextTick`).
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// eddy_node::run(move || {
///     let (a, b) = (l.clone(), l.clone());
///     eddy_node::queue_microtask(move || a.borrow_mut().push("microtask"));
///     eddy_node::next_tick(move || b.borrow_mut().push("tick"));
///     l.borrow_mut().push("main");
/// })?;
/// assert_eq!(*log.borrow(), ["main", "tick", "microtask"]);
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn next_tick(f: impl FnOnce() + 'static) {
    let cb = Callback::new(Location::caller(), f);
    with_current(|lp| lp.next_ticks.borrow_mut().push_back(cb));
}

/// Queues `f` on the microtask queue (Node's `queueMicrotask`): it runs after
/// the next ticks, before the loop moves on.
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn queue_microtask(f: impl FnOnce() + 'static) {
    let cb = Callback::new(Location::caller(), f);
    with_current(|lp| lp.microtasks.borrow_mut().push_back(cb));
}

/// Installs a handler for panicking callbacks (Node's
/// `process.on('uncaughtException')`): the loop reports the panic to it and
/// goes on instead of stopping.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// let caught = Rc::new(Cell::new(false));
/// let c = caught.clone();
/// eddy_node::run(move || {
///     eddy_node::on_uncaught(move |u| c.set(u.error.to_string().contains("boom")));
///     eddy_node::timers::set_immediate(|| panic!("boom"));
/// })?;
/// assert!(caught.get());
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
pub fn on_uncaught(handler: impl FnMut(Uncaught) + 'static) {
    with_current(|lp| *lp.uncaught_handler.borrow_mut() = Some(Box::new(handler)));
}
