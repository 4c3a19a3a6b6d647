//! Waker: a wake from another thread unblocks a poll; wakes before a poll
//! coalesce into one event; many threads may wake at once.

mod util;

use std::sync::{Arc, Barrier};
use std::thread;

use eddy_poll::{Events, Poll, Token, Waker};
use util::{
    ExpectEvent, Readiness, assert_send_sync, current_thread_id, expect_events, expect_no_events,
    new_poll, wait_until_blocked_in_poll,
};

const WAKER: Token = Token(99);

/// How many events for `token` the last poll returned.
fn count(events: &Events, token: Token) -> usize {
    events.iter().filter(|e| e.token() == token).count()
}

#[test]
fn waker_is_send_and_sync() {
    assert_send_sync::<Waker>();
}

#[test]
fn a_wake_from_another_thread_unblocks_a_waiting_poll() {
    let (mut poll, mut events) = new_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());

    let poller = current_thread_id();
    let remote = Arc::clone(&waker);
    let thread = thread::spawn(move || {
        // Wake only once the poll below is really asleep in the kernel.
        wait_until_blocked_in_poll(poller);
        remote.wake().unwrap();
    });

    poll.poll(&mut events, None).unwrap();
    assert_eq!(count(&events, WAKER), 1);
    let event = events.iter().next().unwrap();
    assert!(event.is_readable());
    assert!(!event.is_writable() && !event.is_error());
    thread.join().unwrap();
}

#[test]
fn several_wakes_before_a_poll_coalesce_into_one_event() {
    let (mut poll, mut events) = new_poll();
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    for _ in 0..10 {
        waker.wake().unwrap();
    }
    poll.poll(&mut events, Some(util::PATIENCE)).unwrap();
    assert_eq!(count(&events, WAKER), 1, "{events:?}");
    // Nothing is left over for a second poll.
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn every_wake_after_a_poll_produces_a_new_event() {
    let (mut poll, mut events) = new_poll();
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    for _ in 0..5 {
        waker.wake().unwrap();
        expect_events(
            &mut poll,
            &mut events,
            vec![ExpectEvent::new(WAKER, Readiness::READABLE)],
        );
    }
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn wakes_from_many_threads_all_land_and_coalesce() {
    const THREADS: usize = 8;
    const WAKES_EACH: usize = 200;
    let (mut poll, mut events) = new_poll();
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let waker = Arc::clone(&waker);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for _ in 0..WAKES_EACH {
                    waker.wake().unwrap();
                }
            })
        })
        .collect();

    // Poll while they wake: at least one event, never more than wakes.
    let mut seen = 0;
    while threads.iter().any(|t| !t.is_finished()) || seen == 0 {
        poll.poll(&mut events, Some(util::PATIENCE)).unwrap();
        seen += count(&events, WAKER);
    }
    for thread in threads {
        thread.join().unwrap();
    }
    assert!((1..=THREADS * WAKES_EACH).contains(&seen), "{seen} events");

    // Once everyone is done, at most one more (coalesced) event can be left.
    poll.poll(&mut events, Some(util::QUIET_PERIOD)).unwrap();
    assert!(count(&events, WAKER) <= 1, "{events:?}");
}

#[test]
fn a_waker_on_one_poll_does_not_wake_another() {
    let (mut poll_a, mut events) = new_poll();
    let mut poll_b = Poll::new().unwrap();
    let waker_a = Waker::new(poll_a.registry(), WAKER).unwrap();
    let _waker_b = Waker::new(poll_b.registry(), WAKER).unwrap();
    waker_a.wake().unwrap();
    expect_no_events(&mut poll_b, &mut events);
    expect_events(
        &mut poll_a,
        &mut events,
        vec![ExpectEvent::new(WAKER, Readiness::READABLE)],
    );
}
