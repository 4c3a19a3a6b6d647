//! `timeout` and `timeout_at`.

use std::time::Duration;

use eddy::runtime::Runtime;
use eddy::time::{Instant, error::Elapsed, sleep, timeout, timeout_at};

#[test]
fn a_ready_future_wins_even_with_a_zero_timeout() {
    let rt = Runtime::new().unwrap();
    assert_eq!(rt.block_on(timeout(Duration::ZERO, async { 1 })), Ok(1));
}

#[test]
fn a_slow_future_times_out_and_is_dropped() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let res = timeout(Duration::from_millis(10), sleep(Duration::from_secs(10))).await;
        assert_eq!(res, Err(Elapsed::new_for_test()));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(10) && took < Duration::from_secs(5),
            "{took:?}"
        );
    });
}

#[test]
fn timeout_at_a_past_deadline_times_out_pending_futures() {
    let rt = Runtime::new().unwrap();
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
    let rt = Runtime::new().unwrap();
    let err = rt
        .block_on(timeout(
            Duration::from_millis(1),
            std::future::pending::<()>(),
        ))
        .unwrap_err();
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

trait ForTest {
    fn new_for_test() -> Self;
}

impl ForTest for Elapsed {
    fn new_for_test() -> Self {
        let rt = Runtime::new().unwrap();
        rt.block_on(timeout(Duration::ZERO, std::future::pending::<()>()))
            .unwrap_err()
    }
}
