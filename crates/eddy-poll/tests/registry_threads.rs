//! The Registry is `Send + Sync`: a thread can register while another is
//! blocked in `poll`, and the blocked poll sees the new source's events;
//! `try_clone` gives an independent handle to the same queue.

mod util;

use std::io::Write;
use std::thread;

use eddy_poll::net::UnixStream;
use eddy_poll::{Events, Interest, Poll, Registry, Token};
use util::{
    ExpectEvent, Readiness, assert_send_sync, current_thread_id, expect_events, new_poll,
    wait_until_blocked_in_poll,
};

const LATE: Token = Token(1);

#[test]
fn poll_registry_and_events_types_cross_threads() {
    assert_send_sync::<Poll>();
    assert_send_sync::<Registry>();
    assert_send_sync::<Events>();
}

#[test]
fn a_source_registered_during_a_blocked_poll_wakes_it() {
    let (mut poll, mut events) = new_poll();
    let registry = poll.registry().try_clone().unwrap();
    let poller = current_thread_id();
    let thread = thread::spawn(move || {
        wait_until_blocked_in_poll(poller);
        // The poll above knows nothing about this socket yet.
        let (mut a, mut b) = UnixStream::pair().unwrap();
        registry.register(&mut b, LATE, Interest::READABLE).unwrap();
        a.write_all(b"late").unwrap();
        (a, b)
    });
    poll.poll(&mut events, None).unwrap();
    let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
    assert_eq!(tokens, [LATE]);
    assert!(events.iter().next().unwrap().is_readable());
    thread.join().unwrap();
}

#[test]
fn registering_with_a_blocked_poll_reports_existing_readiness() {
    let (mut poll, mut events) = new_poll();
    let registry = poll.registry().try_clone().unwrap();
    let poller = current_thread_id();
    let thread = thread::spawn(move || {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"before").unwrap();
        wait_until_blocked_in_poll(poller);
        // Already readable when registered: the blocked poll reports it.
        registry.register(&mut b, LATE, Interest::READABLE).unwrap();
        (a, b)
    });
    poll.poll(&mut events, None).unwrap();
    assert_eq!(events.iter().map(|e| e.token()).collect::<Vec<_>>(), [LATE]);
    thread.join().unwrap();
}

#[test]
fn a_cloned_registry_outlives_the_original_handle_and_shares_the_queue() {
    let (mut poll, mut events) = new_poll();
    let clone = poll.registry().try_clone().unwrap();
    let second = clone.try_clone().unwrap();
    drop(clone);

    let (mut a, mut b) = UnixStream::pair().unwrap();
    second.register(&mut b, LATE, Interest::READABLE).unwrap();
    a.write_all(b"x").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LATE, Readiness::READABLE)],
    );
    // A registration made through one handle is known to the other.
    let err = poll
        .registry()
        .register(&mut b, LATE, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    poll.registry().deregister(&mut b).unwrap();
    assert!(format!("{second:?}").contains("Registry"));
}

#[test]
fn many_threads_register_through_one_shared_registry() {
    const THREADS: usize = 4;
    const EACH: usize = 25;
    let (mut poll, _) = new_poll();
    let mut events = Events::with_capacity(256);
    let registry = poll.registry();
    let pairs = thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            let (mut a, mut b) = UnixStream::pair().unwrap();
                            registry
                                .register(&mut b, Token(t * EACH + i), Interest::READABLE)
                                .unwrap();
                            a.write_all(b"x").unwrap();
                            (a, b)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let expected: Vec<ExpectEvent> = (0..THREADS * EACH)
        .map(|i| ExpectEvent::new(Token(i), Readiness::READABLE))
        .collect();
    expect_events(&mut poll, &mut events, expected);
    drop(pairs);
}
