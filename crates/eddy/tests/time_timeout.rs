//! `timeout` and `timeout_at`.

use std::time::Duration;

use eddy::runtime::Builder;
use eddy::time::{Instant, error::Elapsed, sleep, timeout, timeout_at};

#[test]
fn a_ready_future_wins_even_with_a_zero_timeout() {
    let rt = Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(timeout(Duration::ZERO, async { 1 })), Ok(1));
}

#[test]
fn a_slow_future_times_out_and_is_dropped() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let res = timeout(Duration::from_millis(10), sleep(Duration::from_secs(10))).await;
        let err: Elapsed = res.unwrap_err();
        assert_eq!(err.to_string(), "deadline has elapsed");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(10) && took < Duration::from_secs(5),
            "{took:?}"
        );
    });
}

#[test]
fn timeout_at_a_past_deadline_times_out_pending_futures() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let res = timeout_at(
            Instant::now() - Duration::from_secs(1),
            std::future::pending::<()>(),
        )
        .await;
        assert!(res.is_err());
    });
}

#[test]
fn elapsed_converts_to_a_timed_out_io_error() {
    let rt = Builder::new_current_thread().build().unwrap();
    let err = rt
        .block_on(timeout(
            Duration::from_millis(1),
            std::future::pending::<()>(),
        ))
        .unwrap_err();
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}
