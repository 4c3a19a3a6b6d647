//! How an idle worker sleeps: [`Parker`] (one per worker, moves with the
//! worker's core) and [`Unparker`] (kept where other threads can reach it).
//!
//! One driver (the I/O reactor and timers) serves the whole runtime. A
//! parking worker first tries to lock it: the one that gets it sleeps in
//! `epoll_wait` (so I/O and timers are served while everyone is idle); the
//! others sleep on their own condition variable.
//!
//! # States
//!
//! The parker's state word goes `EMPTY -> PARKED_CONDVAR | PARKED_DRIVER ->
//! EMPTY` on the parking side; an unpark swaps in `NOTIFIED` and, depending
//! on what it replaced, signals the condition variable (under its mutex, so
//! the signal cannot fall between the sleeper's check and its wait) or
//! wakes the driver through the driver handle (an eventfd write). A
//! `NOTIFIED` seen before sleeping is consumed and the park returns at
//! once, so an unpark is never lost.

use std::fmt;
use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::runtime::driver;

/// Not parked, no pending unpark.
const EMPTY: usize = 0;
/// Sleeping on the condition variable.
const PARKED_CONDVAR: usize = 1;
/// Sleeping in the driver.
const PARKED_DRIVER: usize = 2;
/// Unparked: the next (or current) park returns.
const NOTIFIED: usize = 3;

/// What a worker can sleep in: the runtime's driver stack (or a stand-in
/// in the loom models).
pub(crate) trait ParkDriver: Send + 'static {
    /// The shared half that wakes a sleeping driver.
    type Handle: Send + Sync + 'static;
    /// Sleeps until an event, a timer, or [`unpark`](Self::unpark). May
    /// return spuriously.
    fn park(&mut self, handle: &Self::Handle);
    /// Processes what is ready without sleeping.
    fn poll(&mut self, handle: &Self::Handle);
    /// Wakes the thread sleeping in [`park`](Self::park).
    fn unpark(handle: &Self::Handle);
    /// Fails I/O and fires timers (runtime shutdown).
    fn shutdown(&mut self, handle: &Self::Handle);
}

impl ParkDriver for driver::Driver {
    type Handle = driver::Handle;

    fn park(&mut self, handle: &driver::Handle) {
        driver::Driver::park(self, handle);
    }

    fn poll(&mut self, handle: &driver::Handle) {
        self.park_timeout(handle, Duration::ZERO);
    }

    fn unpark(handle: &driver::Handle) {
        handle.unpark();
    }

    fn shutdown(&mut self, handle: &driver::Handle) {
        driver::Driver::shutdown(self, handle);
    }
}

/// The driver shared by all workers of a runtime.
pub(crate) struct SharedDriver<D> {
    driver: Mutex<Option<D>>,
}

impl<D: ParkDriver> SharedDriver<D> {
    pub(crate) fn new(driver: D) -> Arc<SharedDriver<D>> {
        Arc::new(SharedDriver {
            driver: Mutex::new(Some(driver)),
        })
    }

    /// Runs `f` with the driver if no other worker holds it.
    fn try_with(&self, f: impl FnOnce(&mut D)) -> bool {
        match self.driver.try_lock() {
            Ok(mut guard) => match guard.as_mut() {
                Some(driver) => {
                    f(driver);
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    /// Shuts the driver down and drops it (waits for a worker still in it).
    pub(crate) fn shutdown(&self, handle: &D::Handle) {
        let mut guard = self.driver.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut driver) = guard.take() {
            driver.shutdown(handle);
        }
    }
}

struct Inner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

/// The sleeping side, owned by one worker.
pub(crate) struct Parker<D> {
    inner: Arc<Inner>,
    shared: Arc<SharedDriver<D>>,
}

/// The waking side; cloneable, usable from any thread.
#[derive(Clone)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

impl<D: ParkDriver> Parker<D> {
    pub(crate) fn new(shared: Arc<SharedDriver<D>>) -> Parker<D> {
        Parker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
            }),
            shared,
        }
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Sleeps until unparked (may return spuriously: callers re-check).
    pub(crate) fn park(&mut self, handle: &D::Handle) {
        if self.consume_notification() {
            return;
        }
        let inner = &self.inner;
        let in_driver = self.shared.try_with(|driver| {
            match inner
                .state
                .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
            {
                Ok(_) => {}
                Err(NOTIFIED) => {
                    inner.state.store(EMPTY, SeqCst);
                    return;
                }
                Err(other) => unreachable!("parker state {other} while parking"),
            }
            driver.park(handle);
            match inner.state.swap(EMPTY, SeqCst) {
                NOTIFIED | PARKED_DRIVER => {}
                other => unreachable!("parker state {other} after the driver"),
            }
        });
        if !in_driver {
            self.park_condvar();
        }
    }

    fn consume_notification(&self) -> bool {
        self.inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
    }

    fn park_condvar(&self) {
        let inner = &self.inner;
        let mut guard = inner.mutex.lock().unwrap_or_else(|e| e.into_inner());
        match inner
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                inner.state.store(EMPTY, SeqCst);
                return;
            }
            Err(other) => unreachable!("parker state {other} while parking"),
        }
        loop {
            guard = inner.condvar.wait(guard).unwrap_or_else(|e| e.into_inner());
            if self.consume_notification() {
                return;
            }
            // Spurious wake-up: keep sleeping.
        }
    }

    /// Lets the driver process ready I/O and due timers without sleeping,
    /// if no other worker holds it.
    pub(crate) fn poll_driver(&mut self, handle: &D::Handle) {
        self.shared.try_with(|driver| driver.poll(handle));
    }
}

impl Unparker {
    /// Wakes the worker, or makes its next park return at once.
    pub(crate) fn unpark<D: ParkDriver>(&self, handle: &D::Handle) {
        match self.inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Taking the mutex orders this signal after the sleeper's
                // wait began (it holds the mutex from its check to its wait).
                drop(self.inner.mutex.lock().unwrap_or_else(|e| e.into_inner()));
                self.inner.condvar.notify_one();
            }
            PARKED_DRIVER => D::unpark(handle),
            other => unreachable!("parker state {other}"),
        }
    }
}

impl<D> fmt::Debug for Parker<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker")
            .field("state", &self.inner.state.load(SeqCst))
            .finish()
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unparker")
            .field("state", &self.inner.state.load(SeqCst))
            .finish()
    }
}

impl<D> fmt::Debug for SharedDriver<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedDriver").finish_non_exhaustive()
    }
}
