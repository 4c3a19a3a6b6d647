//! Task notification without data: wake one waiter (storing a permit if none
//! waits) or every current waiter.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::waiters::{WaiterKey, WaiterList};

/// Wakes tasks waiting in [`Notify::notified`].
///
/// * [`Notify::notify_one`] wakes the oldest waiter; if nobody waits it stores
///   a single permit that the next `notified().await` consumes at once.
/// * [`Notify::notify_waiters`] wakes every waiter that exists at the time of
///   the call, *including* `Notified` futures created but not yet polled, and
///   stores no permit.
///
/// The usual pattern checks a condition between creating the future and
/// awaiting it, so no wake-up is missed:
///
/// ```
/// use eddy::sync::Notify;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let notify = Arc::new(Notify::new());
/// let ready = Arc::new(AtomicBool::new(false));
/// let (n, r) = (notify.clone(), ready.clone());
/// let setter = std::thread::spawn(move || {
///     r.store(true, Ordering::Release);
///     n.notify_waiters();
/// });
/// futures_lite::future::block_on(async {
///     loop {
///         let notified = notify.notified();
///         if ready.load(Ordering::Acquire) {
///             break;
///         }
///         notified.await;
///     }
/// });
/// setter.join().unwrap();
/// ```
pub struct Notify {
    state: Mutex<NotifyState>,
    /// Count of `notify_waiters` calls; bumped with the lock held, read
    /// without it when a `Notified` is created.
    generation: AtomicUsize,
}

#[derive(Debug)]
struct NotifyState {
    /// A `notify_one` found nobody waiting.
    permit: bool,
    waiters: WaiterList<Delivery>,
}

/// What a queued waiter has received, kept in its slot.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Nothing yet.
    #[default]
    Waiting,
    /// A `notify_one`: passed on to another waiter if this one is dropped.
    One,
    /// A `notify_waiters`.
    All,
}

impl Notify {
    /// A `Notify` with no stored permit.
    ///
    /// ```
    /// let notify = eddy::sync::Notify::new();
    /// # drop(notify);
    /// ```
    pub fn new() -> Self {
        Notify {
            state: Mutex::new(NotifyState {
                permit: false,
                waiters: WaiterList::new(),
            }),
            generation: AtomicUsize::new(0),
        }
    }

    /// A `Notify` usable in a `static`.
    ///
    /// ```
    /// static WAKE: eddy::sync::Notify = eddy::sync::Notify::const_new();
    /// WAKE.notify_one();
    /// futures_lite::future::block_on(WAKE.notified());
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        Notify {
            state: Mutex::new(NotifyState {
                permit: false,
                waiters: WaiterList::new(),
            }),
            generation: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, NotifyState> {
        // Every critical section leaves the state consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A future that completes at the next notification meant for it.
    ///
    /// It already counts as waiting for [`Notify::notify_waiters`] when
    /// created; it queues for [`Notify::notify_one`] when first polled.
    ///
    /// Cancel-safe: if it is dropped after a `notify_one` chose it but before
    /// it was polled again, that notification goes to the next waiter (or is
    /// stored as the permit).
    ///
    /// ```
    /// let notify = eddy::sync::Notify::new();
    /// notify.notify_one();
    /// futures_lite::future::block_on(notify.notified()); // takes the stored permit
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            generation: self.generation.load(Ordering::Acquire),
            key: None,
        }
    }

    /// Wakes the oldest waiter, or stores a permit if none waits (several calls
    /// store one permit).
    ///
    /// ```
    /// let notify = eddy::sync::Notify::new();
    /// notify.notify_one();
    /// notify.notify_one();
    /// futures_lite::future::block_on(notify.notified());
    /// let mut second = Box::pin(notify.notified());
    /// assert!(futures_lite::future::block_on(futures_lite::future::poll_once(&mut second)).is_none());
    /// ```
    pub fn notify_one(&self) {
        let mut state = self.lock();
        let waker = Self::notify_one_locked(&mut state);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn notify_one_locked(state: &mut NotifyState) -> Option<Waker> {
        match state.waiters.pop_front() {
            Some(key) => {
                *state.waiters.data_mut(key) = Delivery::One;
                state.waiters.take_waker(key)
            }
            None => {
                state.permit = true;
                None
            }
        }
    }

    /// Wakes every current waiter, including `Notified` futures created but
    /// not yet polled. Stores no permit.
    ///
    /// ```
    /// let notify = eddy::sync::Notify::new();
    /// let a = notify.notified();
    /// let b = notify.notified();
    /// notify.notify_waiters();
    /// futures_lite::future::block_on(async { a.await; b.await });
    /// ```
    pub fn notify_waiters(&self) {
        let mut wake = super::waiters::WakeList::new();
        let mut state = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        while let Some(key) = state.waiters.pop_front() {
            *state.waiters.data_mut(key) = Delivery::All;
            if let Some(waker) = state.waiters.take_waker(key) {
                wake.push(waker);
            }
            if wake.is_full() {
                drop(state);
                wake.wake_all();
                state = self.lock();
            }
        }
        drop(state);
        wake.wake_all();
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

/// Future returned by [`Notify::notified`].
///
/// ```
/// let notify = eddy::sync::Notify::new();
/// let notified = notify.notified();
/// notify.notify_waiters();
/// futures_lite::future::block_on(notified);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// `notify_waiters` count when this was created.
    generation: usize,
    /// Our slot once queued.
    key: Option<WaiterKey>,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut state = this.notify.lock();
        match this.key {
            None => {
                if this.notify.generation.load(Ordering::Acquire) != this.generation {
                    return Poll::Ready(());
                }
                if state.permit {
                    state.permit = false;
                    return Poll::Ready(());
                }
                this.key = Some(
                    state
                        .waiters
                        .push_back(Delivery::Waiting, cx.waker().clone()),
                );
                Poll::Pending
            }
            Some(key) => {
                if *state.waiters.data(key) == Delivery::Waiting {
                    state.waiters.set_waker(key, cx.waker());
                    return Poll::Pending;
                }
                state.waiters.remove(key);
                this.key = None;
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut state = self.notify.lock();
        if state.waiters.remove(key) == Delivery::One {
            let waker = Notify::notify_one_locked(&mut state);
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("queued", &self.key.is_some())
            .finish()
    }
}
