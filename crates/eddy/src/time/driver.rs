//! The time driver: the runtime's [`TimerWheel`] behind a mutex, the clock
//! that maps `Instant`s to wheel ticks (milliseconds since the runtime
//! started), and the two hooks the driver stack calls around each park:
//! [`TimeHandle::prepare_park`] (how long `epoll_wait` may sleep) and
//! [`TimeHandle::process`] (fire what is due).
//!
//! A timer registered from another thread while the driver sleeps wakes it
//! if its deadline is earlier than the one the driver is sleeping until.

use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::wheel::{TimerKey, TimerWheel};

/// `sleeping_until` when the driver is not parked: no wake needed.
const NOT_PARKED: u64 = 0;

/// The shared time state of one runtime (inside its `Handle`).
#[derive(Debug)]
pub(crate) struct TimeHandle {
    start: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    wheel: TimerWheel,
    /// The tick the parked driver will wake at (`u64::MAX`: no timer), or
    /// `NOT_PARKED`.
    sleeping_until: u64,
    is_shutdown: bool,
}

/// What a registration needs from the driver stack: a way to wake it.
pub(crate) trait Unpark {
    fn unpark(&self);
}

/// A timer as seen by its owner ([`Sleep`](super::Sleep)).
#[derive(Debug, Default)]
pub(crate) enum TimerState {
    /// Not in the wheel yet (or reset): registered on the next poll.
    #[default]
    Unregistered,
    Registered(TimerKey),
    /// The deadline passed; the entry is freed.
    Fired,
}

impl TimeHandle {
    pub(crate) fn new() -> TimeHandle {
        TimeHandle {
            start: Instant::now(),
            inner: Mutex::new(Inner {
                wheel: TimerWheel::new(),
                sleeping_until: NOT_PARKED,
                is_shutdown: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tick at or after `deadline` (rounded up, so timers never fire
    /// early).
    pub(crate) fn deadline_to_tick(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.start);
        // u64 arithmetic (a u128 division costs more than the rest of a
        // timer registration).
        let ms = since
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(since.subsec_nanos().div_ceil(1_000_000)));
        ms.min(u64::MAX - 1)
    }

    fn now_tick(&self) -> u64 {
        let since = Instant::now().saturating_duration_since(self.start);
        since.as_secs().saturating_mul(1000) + u64::from(since.subsec_millis())
    }

    /// Polls a timer for tick `when`: registers it on first use, reports
    /// whether it fired, keeps the latest waker.
    pub(crate) fn poll_timer(
        &self,
        state: &mut TimerState,
        when: u64,
        cx: &Context<'_>,
        unpark: &dyn Unpark,
    ) -> Poll<()> {
        match *state {
            TimerState::Fired => Poll::Ready(()),
            TimerState::Unregistered => {
                let mut inner = self.lock();
                if inner.is_shutdown {
                    *state = TimerState::Fired;
                    return Poll::Ready(());
                }
                match inner.wheel.insert(when, cx.waker().clone()) {
                    None => {
                        *state = TimerState::Fired;
                        Poll::Ready(())
                    }
                    Some(key) => {
                        *state = TimerState::Registered(key);
                        let wake =
                            inner.sleeping_until != NOT_PARKED && when < inner.sleeping_until;
                        drop(inner);
                        if wake {
                            unpark.unpark();
                        }
                        Poll::Pending
                    }
                }
            }
            TimerState::Registered(key) => {
                let mut inner = self.lock();
                if inner.wheel.is_fired(key) {
                    inner.wheel.remove(key);
                    *state = TimerState::Fired;
                    Poll::Ready(())
                } else {
                    inner.wheel.set_waker(key, cx.waker());
                    Poll::Pending
                }
            }
        }
    }

    /// Forgets a timer (reset or drop).
    pub(crate) fn clear_timer(&self, state: &mut TimerState) {
        if let TimerState::Registered(key) = std::mem::take(state) {
            self.lock().wheel.remove(key);
        }
    }

    /// Before parking: how long the driver may sleep (`requested`, cut
    /// short by the next timer); records the wake-up tick.
    pub(crate) fn prepare_park(&self, requested: Option<Duration>) -> Option<Duration> {
        if requested == Some(Duration::ZERO) {
            return requested;
        }
        let mut inner = self.lock();
        match inner.wheel.next_deadline() {
            None => {
                inner.sleeping_until = u64::MAX;
                requested
            }
            Some(tick) => {
                inner.sleeping_until = tick.max(1);
                drop(inner);
                let deadline = self.start + Duration::from_millis(tick);
                let until = deadline.saturating_duration_since(Instant::now());
                Some(requested.map_or(until, |r| r.min(until)))
            }
        }
    }

    /// After parking: fires every due timer (wakers are moved into `buf`
    /// and woken outside the lock).
    pub(crate) fn process(&self, buf: &mut Vec<Waker>) {
        let now = self.now_tick();
        {
            let mut inner = self.lock();
            inner.sleeping_until = NOT_PARKED;
            inner.wheel.process(now, buf);
        }
        for waker in buf.drain(..) {
            waker.wake();
        }
    }

    /// Shutdown: fires every timer and refuses new ones (they complete at
    /// once).
    pub(crate) fn shutdown(&self, buf: &mut Vec<Waker>) {
        {
            let mut inner = self.lock();
            inner.is_shutdown = true;
            inner.wheel.fire_all(buf);
        }
        for waker in buf.drain(..) {
            waker.wake();
        }
    }

    /// Pending timers (for tests and diagnostics).
    #[allow(dead_code)]
    pub(crate) fn pending_timers(&self) -> usize {
        self.lock().wheel.pending()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let time = TimeHandle::new();
        let at = |d: Duration| time.deadline_to_tick(time.start + d);
        assert_eq!(at(Duration::ZERO), 0);
        assert_eq!(at(Duration::from_nanos(1)), 1);
        assert_eq!(at(Duration::from_millis(5)), 5);
        assert_eq!(at(Duration::from_micros(5001)), 6);
        assert_eq!(
            at(Duration::from_secs(3) + Duration::from_nanos(999_999_999)),
            4000
        );
        assert_eq!(
            time.deadline_to_tick(time.start - Duration::from_secs(1)),
            0
        );
        assert!(time.now_tick() < 1000);
    }
}
