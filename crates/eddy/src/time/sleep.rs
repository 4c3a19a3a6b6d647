//! [`Sleep`]: a future that completes at a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use super::Instant;
use super::driver::TimerState;
use crate::runtime::{Handle, coop};

/// Waits until `duration` has elapsed. A zero duration completes on the
/// first poll that reaches the timer (it still yields once to the budget).
///
/// The timer joins the runtime current where it is created, or else where
/// it is first polled.
///
/// # Panics
///
/// When polled outside a runtime (the timer needs one; see
/// [`Handle::current`](crate::runtime::Handle::current)).
///
/// ```
/// use eddy::time::{sleep, Duration, Instant};
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(Instant::far_future);
    Sleep::new(deadline)
}

/// Waits until `deadline` (at once if it has passed).
///
/// # Panics
///
/// When polled outside a runtime.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// The future returned by [`sleep`] and [`sleep_until`]. Dropping it
/// cancels the timer; [`reset`](Sleep::reset) moves it.
pub struct Sleep {
    deadline: Instant,
    /// The deadline in wheel ticks (valid once `handle` is set).
    when: u64,
    state: TimerState,
    /// The runtime whose wheel holds the timer; bound at creation if a
    /// runtime is current, else at the first poll.
    handle: Option<Handle>,
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(deadline: Instant) -> Sleep {
        let handle = Handle::try_current().ok();
        let when = handle
            .as_ref()
            .map_or(0, |h| h.time().deadline_to_tick(deadline.into_std()));
        Sleep {
            deadline,
            when,
            state: TimerState::Unregistered,
            handle,
        }
    }

    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has been reached (as last seen by a poll).
    pub fn is_elapsed(&self) -> bool {
        matches!(self.state, TimerState::Fired)
    }

    /// Moves the deadline (earlier or later); the sleep is pending again
    /// until the new deadline.
    ///
    /// ```
    /// use eddy::time::{sleep, Duration, Instant};
    /// let rt = eddy::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut s = Box::pin(sleep(Duration::from_secs(3600)));
    ///     s.as_mut().reset(Instant::now() + Duration::from_millis(1));
    ///     s.await;
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        if let Some(handle) = &this.handle {
            handle.time().clear_timer(&mut this.state);
            this.when = handle.time().deadline_to_tick(deadline.into_std());
        } else {
            this.state = TimerState::Unregistered;
        }
    }

    /// Polls without consuming coop budget (for `Timeout`, whose inner
    /// future may have spent it).
    #[track_caller]
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let handle = match &self.handle {
            Some(handle) => handle,
            None => {
                let handle = Handle::current();
                self.when = handle.time().deadline_to_tick(self.deadline.into_std());
                self.handle.insert(handle)
            }
        };
        let driver = handle.driver();
        driver
            .time
            .poll_timer(&mut self.state, self.when, cx, driver)
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        ready!(this.poll_elapsed(cx));
        coop.made_progress();
        Poll::Ready(())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.time().clear_timer(&mut self.state);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("state", &self.state)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_pending_timer_stays_small() {
        // PERF.md: memory per pending timer below 97 bytes (the `Sleep`
        // plus its 40-byte wheel entry).
        assert!(
            std::mem::size_of::<Sleep>() <= 56,
            "{}",
            std::mem::size_of::<Sleep>()
        );
    }

    #[test]
    fn dropping_a_sleep_cancels_its_entry() {
        let rt = crate::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let handle = Handle::current();
            let mut s = sleep(Duration::from_secs(3600));
            let waker = std::task::Waker::noop();
            assert!(
                Pin::new(&mut s)
                    .poll(&mut Context::from_waker(waker))
                    .is_pending()
            );
            assert_eq!(handle.time().pending_timers(), 1);
            drop(s);
            assert_eq!(handle.time().pending_timers(), 0);
        });
    }
}
