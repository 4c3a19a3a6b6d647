//! Events: the buffer's capacity bounds one poll; what does not fit is
//! returned by the next polls, none lost.

mod util;

use std::collections::HashSet;
use std::io::Write;

use eddy_poll::net::UnixStream;
use eddy_poll::{Events, Interest, Token};
use util::{expect_no_events, new_poll};

#[test]
fn capacity_is_what_was_asked_and_at_least_one() {
    let events = Events::with_capacity(32);
    assert_eq!(events.capacity(), 32);
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert!(Events::with_capacity(0).capacity() >= 1);
}

#[test]
fn more_ready_sources_than_capacity_arrive_over_several_polls() {
    const SOURCES: usize = 20;
    let (mut poll, _) = new_poll();
    let mut events = Events::with_capacity(3);
    let pairs: Vec<(UnixStream, UnixStream)> = (0..SOURCES)
        .map(|i| {
            let (a, mut b) = UnixStream::pair().unwrap();
            poll.registry()
                .register(&mut b, Token(i), Interest::READABLE)
                .unwrap();
            (a, b)
        })
        .collect();
    for (a, _) in &pairs {
        (&*a).write_all(b"x").unwrap();
    }

    let mut seen = HashSet::new();
    while seen.len() < SOURCES {
        poll.poll(&mut events, Some(util::PATIENCE)).unwrap();
        assert!(
            !events.is_empty(),
            "timed out with {} of {SOURCES}",
            seen.len()
        );
        assert!(events.iter().len() <= 3);
        for event in &events {
            assert!(event.is_readable());
            assert!(
                seen.insert(event.token()),
                "{:?} reported twice",
                event.token()
            );
        }
    }
    assert_eq!(seen, (0..SOURCES).map(Token).collect());
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn clear_forgets_the_last_poll_and_debug_lists_events() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, Token(5), Interest::READABLE)
        .unwrap();
    a.write_all(b"x").unwrap();
    poll.poll(&mut events, Some(util::PATIENCE)).unwrap();
    assert!(!events.is_empty());
    let listed = format!("{events:?}");
    assert!(
        listed.contains("Token(5)") && listed.contains("readable: true"),
        "{listed}"
    );
    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.capacity(), 64);
}
