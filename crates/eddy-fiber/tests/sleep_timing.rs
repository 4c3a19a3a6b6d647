//! Timers: sleeps last at least their duration (and not much longer), wake
//! in deadline order, and socket timeouts fire.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use eddy_fiber::{Runtime, sleep, spawn};

#[test]
fn sleep_lasts_at_least_its_duration() {
    let rt = Runtime::new().unwrap();
    let elapsed = rt.block_on(|| {
        let start = Instant::now();
        sleep(Duration::from_millis(50));
        start.elapsed()
    });
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(500),
        "{elapsed:?}: far too late"
    );
}

#[test]
fn sleepers_wake_in_deadline_order_and_concurrently() {
    let rt = Runtime::new().unwrap();
    let start = Instant::now();
    let order = rt.block_on(|| {
        let order = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = [40u64, 10, 30, 20, 0]
            .into_iter()
            .map(|ms| {
                let order = order.clone();
                spawn(move || {
                    sleep(Duration::from_millis(ms));
                    order.borrow_mut().push(ms);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        Rc::try_unwrap(order).unwrap().into_inner()
    });
    assert_eq!(order, [0, 10, 20, 30, 40]);
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(40));
    assert!(
        elapsed < Duration::from_millis(100 * 5),
        "sleeps overlapped: {elapsed:?}"
    );
}

#[test]
fn zero_sleep_returns_at_once() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| sleep(Duration::ZERO));
}

#[test]
fn read_timeout_fails_with_timed_out() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let listener = eddy_fiber::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let _server = spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            sleep(Duration::from_millis(300));
            drop(conn);
        });
        let stream = eddy_fiber::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        let start = Instant::now();
        let err = std::io::Read::read(&mut &stream, &mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(30), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(250), "{elapsed:?}");
    });
}
