//! Edge-triggered delivery: readiness is reported once per change, not
//! again while it lasts; new data or a reregister brings a new event.

mod util;

use std::io::Write;

use eddy_poll::net::UnixStream;
use eddy_poll::{Interest, Token};
use util::{ExpectEvent, Readiness, drain, expect_events, expect_no_events, new_poll};

const B: Token = Token(1);

#[test]
fn undrained_readiness_is_not_reported_twice() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    a.write_all(b"one").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    // The data is still there, but the edge has been reported.
    expect_no_events(&mut poll, &mut events);

    // More data is a new edge.
    a.write_all(b"two").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    drain(&mut b, &mut got).unwrap();
    assert_eq!(got, b"onetwo");
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn reregister_reports_readiness_that_is_already_there() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    a.write_all(b"pending").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    expect_no_events(&mut poll, &mut events);
    poll.registry()
        .reregister(&mut b, B, Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
}

#[test]
fn writable_is_reported_once_while_the_buffer_has_room() {
    let (mut poll, mut events) = new_poll();
    let (_a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::WRITABLE)],
    );
    expect_no_events(&mut poll, &mut events);
}
