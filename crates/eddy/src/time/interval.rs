//! [`Interval`]: ticks at a fixed period.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use super::{Instant, Sleep, sleep_until};

/// Ticks every `period`, the first tick at once.
///
/// # Panics
///
/// If `period` is zero; when polled outside a runtime.
///
/// ```
/// use eddy::time::{interval, Duration, Instant};
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         ticks.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(4));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero; when polled outside a runtime.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        period > Duration::ZERO,
        "eddy::time::interval: the period must be non-zero"
    );
    Interval {
        delay: sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when ticks were missed (the task was busy for
/// longer than a period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, one after the other, then continue on
    /// the original schedule (the default, as tokio).
    #[default]
    Burst,
    /// Continue one period after the late tick: the schedule shifts.
    Delay,
    /// Drop the missed ticks and continue on the original schedule's next
    /// multiple of the period.
    Skip,
}

impl MissedTickBehavior {
    fn next_deadline(self, deadline: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => deadline + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                let late = now.duration_since(deadline).as_nanos();
                let into_period = (late % period.as_nanos()) as u64;
                now + period - Duration::from_nanos(into_period)
            }
        }
    }
}

/// The stream of ticks returned by [`interval`].
#[derive(Debug)]
pub struct Interval {
    delay: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick; returns its scheduled time.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (see [`tick`](Self::tick)).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.delay).poll(cx));
        let deadline = self.delay.deadline();
        let now = Instant::now();
        // Up to 5 ms late counts as on time (timer resolution and wake-up).
        let next = if now.duration_since(deadline) > Duration::from_millis(5) {
            self.missed_tick_behavior
                .next_deadline(deadline, now, self.period)
        } else {
            deadline + self.period
        };
        Pin::new(&mut self.delay).reset(next);
        Poll::Ready(deadline)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        Pin::new(&mut self.delay).reset(Instant::now() + self.period);
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens to missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn missed_tick_policies() {
        let t0 = Instant::now();
        let period = Duration::from_millis(10);
        let now = t0 + Duration::from_millis(35);
        assert_eq!(
            MissedTickBehavior::Burst.next_deadline(t0, now, period),
            t0 + period
        );
        assert_eq!(
            MissedTickBehavior::Delay.next_deadline(t0, now, period),
            now + period
        );
        assert_eq!(
            MissedTickBehavior::Skip.next_deadline(t0, now, period),
            t0 + Duration::from_millis(40)
        );
    }
}
