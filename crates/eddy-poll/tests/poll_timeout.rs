//! Poll timeouts: a timeout is never cut short by rounding, `Some(ZERO)`
//! never blocks, `None` blocks until an event, and an event ends a long
//! timeout early.

mod util;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use eddy_poll::{Token, Waker};
use util::{current_thread_id, new_poll, wait_until_blocked_in_poll};

const WAKER: Token = Token(7);

#[test]
fn a_sub_millisecond_remainder_still_waits_the_whole_timeout() {
    let (mut poll, mut events) = new_poll();
    let timeout = Duration::from_micros(1500);
    for _ in 0..5 {
        let start = Instant::now();
        poll.poll(&mut events, Some(timeout)).unwrap();
        let waited = start.elapsed();
        assert!(events.is_empty());
        assert!(waited >= timeout, "returned after {waited:?} < {timeout:?}");
        assert!(waited < Duration::from_secs(2), "took {waited:?}");
    }
}

#[test]
fn timeouts_below_one_millisecond_are_not_rounded_to_zero() {
    let (mut poll, mut events) = new_poll();
    for timeout in [Duration::from_nanos(1), Duration::from_micros(300)] {
        let start = Instant::now();
        poll.poll(&mut events, Some(timeout)).unwrap();
        assert!(start.elapsed() >= timeout, "{timeout:?}");
    }
}

#[test]
fn a_longer_timeout_waits_at_least_that_long() {
    let (mut poll, mut events) = new_poll();
    let timeout = Duration::from_millis(50);
    let start = Instant::now();
    poll.poll(&mut events, Some(timeout)).unwrap();
    let waited = start.elapsed();
    assert!(events.is_empty());
    assert!(waited >= timeout, "returned after {waited:?}");
    // Generous: the machine is shared.
    assert!(waited < Duration::from_secs(5), "took {waited:?}");
}

#[test]
fn a_zero_timeout_does_not_block() {
    let (mut poll, mut events) = new_poll();
    let start = Instant::now();
    for _ in 0..100 {
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
    }
    // A hundred non-blocking polls take microseconds each; a blocking one
    // would take forever. The bound is only there to catch blocking.
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "100 zero-timeout polls took {took:?}"
    );
}

#[test]
fn no_timeout_blocks_until_an_event_arrives() {
    let (mut poll, mut events) = new_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let poller = current_thread_id();
    let remote = Arc::clone(&waker);
    let thread = thread::spawn(move || {
        // The poll is asleep in the kernel with nothing to report...
        wait_until_blocked_in_poll(poller);
        // ...and stays there until this wake.
        remote.wake().unwrap();
    });
    poll.poll(&mut events, None).unwrap();
    assert_eq!(
        events.iter().map(|e| e.token()).collect::<Vec<_>>(),
        [WAKER]
    );
    thread.join().unwrap();
}

#[test]
fn an_event_ends_a_long_timeout_early() {
    let (mut poll, mut events) = new_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let poller = current_thread_id();
    let remote = Arc::clone(&waker);
    let thread = thread::spawn(move || {
        wait_until_blocked_in_poll(poller);
        remote.wake().unwrap();
    });
    let start = Instant::now();
    poll.poll(&mut events, Some(Duration::from_secs(60)))
        .unwrap();
    assert!(!events.is_empty());
    assert!(start.elapsed() < Duration::from_secs(30));
    thread.join().unwrap();
}

#[test]
fn a_timeout_too_large_for_the_clock_waits_like_none() {
    let (mut poll, mut events) = new_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let poller = current_thread_id();
    let remote = Arc::clone(&waker);
    let thread = thread::spawn(move || {
        wait_until_blocked_in_poll(poller);
        remote.wake().unwrap();
    });
    poll.poll(&mut events, Some(Duration::MAX)).unwrap();
    assert!(!events.is_empty());
    thread.join().unwrap();
}
