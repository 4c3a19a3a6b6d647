//! `interval`: period, first tick, missed-tick behaviours.

use std::time::Duration;

use eddy::runtime::Builder;
use eddy::time::{Instant, MissedTickBehavior, interval, interval_at};

#[test]
fn ticks_at_the_period_starting_at_once() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut ticks = interval(Duration::from_millis(10));
        let first = ticks.tick().await;
        // The first tick is scheduled at creation and fires at once.
        assert!(first >= start && first <= Instant::now());
        let second = ticks.tick().await;
        let third = ticks.tick().await;
        // The default (Burst) keeps the schedule even when a tick is late.
        assert_eq!(second - first, Duration::from_millis(10));
        assert_eq!(third - second, Duration::from_millis(10));
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
}

#[test]
fn interval_at_starts_later() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let start = Instant::now() + Duration::from_millis(15);
        let mut ticks = interval_at(start, Duration::from_millis(5));
        assert_eq!(ticks.tick().await, start);
        assert!(Instant::now() >= start);
    });
}

fn ticks_after_a_stall(behavior: MissedTickBehavior) -> (Instant, Vec<Instant>) {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let period = Duration::from_millis(10);
        let mut ticks = interval(period);
        ticks.set_missed_tick_behavior(behavior);
        let first = ticks.tick().await;
        // Miss three and a half periods.
        std::thread::sleep(Duration::from_millis(35));
        let mut next = Vec::new();
        for _ in 0..3 {
            next.push(ticks.tick().await);
        }
        (first, next)
    })
}

#[test]
fn burst_fires_missed_ticks_on_the_original_schedule() {
    let (first, next) = ticks_after_a_stall(MissedTickBehavior::Burst);
    let ms = |i: u64| first + Duration::from_millis(10 * i);
    assert_eq!(next, vec![ms(1), ms(2), ms(3)]);
}

#[test]
fn delay_shifts_the_schedule() {
    let (first, next) = ticks_after_a_stall(MissedTickBehavior::Delay);
    assert_eq!(next[0], first + Duration::from_millis(10));
    // After the late tick, ticks are a full period apart from when it ran.
    assert!(
        next[1] >= first + Duration::from_millis(45),
        "{:?}",
        next[1] - first
    );
    // (More than 10 ms only if this busy machine made that tick late too.)
    assert!(next[2] - next[1] >= Duration::from_millis(10));
}

#[test]
fn skip_drops_missed_ticks_and_stays_on_the_grid() {
    let (first, next) = ticks_after_a_stall(MissedTickBehavior::Skip);
    assert_eq!(next[0], first + Duration::from_millis(10));
    let offset = (next[1] - first).as_millis();
    assert_eq!(offset % 10, 0, "off the grid: {offset}");
    assert!(offset >= 40, "{offset}");
    let offset2 = (next[2] - first).as_millis();
    assert!(offset2 % 10 == 0 && offset2 > offset, "{offset2}");
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn a_zero_period_is_refused() {
    let rt = Builder::new_current_thread().build().unwrap();
    let _guard = rt.enter();
    let _ = interval(Duration::ZERO);
}
