//! Interest: the set algebra, and that a registration reports only the
//! readiness it asked for, including priority (out-of-band) data.

mod util;

use std::io::Write;
use std::os::fd::AsRawFd;

use eddy_poll::net::{TcpListener, UnixStream};
use eddy_poll::{Interest, Token};
use util::{ExpectEvent, Readiness, any_local_address, expect_events, expect_no_events, new_poll};

const B: Token = Token(1);

#[test]
fn interests_combine_and_split() {
    let all = Interest::READABLE | Interest::WRITABLE | Interest::PRIORITY;
    assert!(all.is_readable() && all.is_writable() && all.is_priority());
    assert_eq!(
        Interest::READABLE.add(Interest::WRITABLE),
        Interest::READABLE | Interest::WRITABLE
    );
    assert_eq!(
        all.remove(Interest::PRIORITY),
        Some(Interest::READABLE | Interest::WRITABLE)
    );
    assert_eq!(Interest::WRITABLE.remove(Interest::WRITABLE), None);
    assert_eq!(
        Interest::WRITABLE.remove(Interest::READABLE),
        Some(Interest::WRITABLE)
    );
    let mut grown = Interest::READABLE;
    grown |= Interest::READABLE;
    assert_eq!(grown, Interest::READABLE);
    assert!(!grown.is_writable() && !grown.is_priority());
    assert_eq!(format!("{all:?}"), "READABLE | WRITABLE | PRIORITY");
    assert_eq!(format!("{:?}", Interest::WRITABLE), "WRITABLE");
}

#[test]
fn a_readable_registration_ignores_writability() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events);
    a.write_all(b"x").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    assert!(
        seen.iter().all(|(_, r)| !r.contains(Readiness::WRITABLE)),
        "{seen:?}"
    );
}

#[test]
fn a_writable_registration_ignores_incoming_data() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::WRITABLE)],
    );
    a.write_all(b"x").unwrap();
    expect_no_events(&mut poll, &mut events);

    // Adding readable later reports the data that is waiting.
    poll.registry()
        .reregister(&mut b, B, Interest::WRITABLE | Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
}

#[test]
fn out_of_band_data_is_reported_as_priority() {
    let (mut poll, mut events) = new_poll();
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    // The blocking connect has completed, so the connection is queued.
    let (mut server, _) = util::retry_would_block(|| listener.accept());
    poll.registry()
        .register(&mut server, B, Interest::PRIORITY)
        .unwrap();

    // SAFETY: sends one byte from a live buffer on a socket we own.
    let sent = unsafe { libc::send(client.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(sent, 1, "send: {}", std::io::Error::last_os_error());
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::PRIORITY)],
    );
    // Priority data counts as readable.
    assert!(
        seen.iter()
            .any(|(t, r)| *t == B && r.contains(Readiness::READABLE))
    );
}
