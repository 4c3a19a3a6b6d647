//! Dropping a registered source removes it: no events arrive for it
//! afterwards, even if it was ready, and a new socket that reuses its
//! descriptor number only reports under its own token.

mod util;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::sync::Mutex;

use eddy_poll::net::UnixStream;
use eddy_poll::{Interest, Token};
use util::{ExpectEvent, Readiness, expect_events, expect_no_events_for, new_poll};

const DROPPED: Token = Token(1);
const SENTINEL: Token = Token(2);
const REUSED: Token = Token(3);

/// The tests take turns so descriptor numbers are predictable.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn a_dropped_source_reports_nothing_even_if_it_was_ready() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let (mut c, mut d) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, DROPPED, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut d, SENTINEL, Interest::READABLE)
        .unwrap();
    a.write_all(b"ready").unwrap();
    drop(b);

    // The sentinel proves the poll ran after the drop.
    c.write_all(b"sentinel").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SENTINEL, Readiness::READABLE)],
    );
    assert!(seen.iter().all(|(t, _)| *t != DROPPED), "{seen:?}");
    expect_no_events_for(&mut poll, &mut events, DROPPED);
}

#[test]
fn a_new_socket_on_a_reused_descriptor_starts_unregistered() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut poll, mut events) = new_poll();
    let (a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, DROPPED, Interest::READABLE)
        .unwrap();
    let old_fd = b.as_raw_fd();
    drop(b);
    drop(a);

    // POSIX hands out the lowest free descriptor, so the next pair takes
    // the old number (nothing else in this process opens descriptors
    // meanwhile: the tests here take turns).
    let (e, f) = UnixStream::pair().unwrap();
    let (mut reader, writer) = if e.as_raw_fd() == old_fd {
        (e, f)
    } else {
        (f, e)
    };
    assert_eq!(reader.as_raw_fd(), old_fd, "descriptor was not reused");
    // Not AlreadyExists: the old registration went with the old socket.
    poll.registry()
        .register(&mut reader, REUSED, Interest::READABLE)
        .unwrap();
    (&writer).write_all(b"new").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(REUSED, Readiness::READABLE)],
    );
    assert!(seen.iter().all(|(t, _)| *t != DROPPED), "{seen:?}");
}
