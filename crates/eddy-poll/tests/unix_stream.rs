//! UnixStream: pairs and path connects, data both ways through `T` and
//! `&T`, shutdown, and the peer's close.

mod util;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net as std_unix;

use eddy_poll::net::{UnixListener, UnixStream};
use eddy_poll::{Interest, Token};
use util::{ExpectEvent, Readiness, TempDir, assert_would_block, drain, expect_events, new_poll};

const A: Token = Token(1);
const B: Token = Token(2);
const LISTENER: Token = Token(3);

#[test]
fn a_pair_carries_data_both_ways() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![
            ExpectEvent::new(A, Readiness::WRITABLE),
            ExpectEvent::new(B, Readiness::WRITABLE),
        ],
    );

    assert_would_block(b.read(&mut [0u8; 4]));
    a.write_all(b"to b").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    drain(&mut b, &mut got).unwrap();
    assert_eq!(got, b"to b");

    // Through shared references.
    (&b).write_all(b"to a").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    drain(&a, &mut got).unwrap();
    assert_eq!(got, b"to a");
}

#[test]
fn connect_by_path_reaches_the_listener() {
    let dir = TempDir::new();
    let path = dir.join("stream.sock");
    let (mut poll, mut events) = new_poll();
    let mut listener = UnixListener::bind(&path).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut client = UnixStream::connect(&path).unwrap();
    poll.registry()
        .register(&mut client, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![
            ExpectEvent::new(LISTENER, Readiness::READABLE),
            ExpectEvent::new(A, Readiness::WRITABLE),
        ],
    );
    assert!(client.take_error().unwrap().is_none());
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    let (mut server, _) = listener.accept().unwrap();
    server.write_all(b"welcome").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    drain(&mut client, &mut got).unwrap();
    assert_eq!(got, b"welcome");
}

#[test]
fn connecting_to_a_missing_path_names_it() {
    let dir = TempDir::new();
    let path = dir.join("nobody-here.sock");
    let err = UnixStream::connect(&path).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("nobody-here.sock"), "{err}");
}

#[test]
fn shutdown_write_is_read_closed_for_the_peer() {
    let (mut poll, mut events) = new_poll();
    let (a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    (&a).write_all(b"bye").unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(
            B,
            Readiness::READABLE | Readiness::READ_CLOSED,
        )],
    );
    let mut got = Vec::new();
    assert!(drain(&mut b, &mut got).unwrap(), "end of stream");
    assert_eq!(got, b"bye");
}

#[test]
fn dropping_one_end_is_read_closed_for_the_other() {
    let (mut poll, mut events) = new_poll();
    let (a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    drop(a);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READ_CLOSED)],
    );
    assert_eq!(b.read(&mut [0u8; 4]).unwrap(), 0);
}

#[test]
fn from_std_wraps_a_non_blocking_stream() {
    let (mut poll, mut events) = new_poll();
    let (std_a, mut std_b) = std_unix::UnixStream::pair().unwrap();
    std_a.set_nonblocking(true).unwrap();
    let mut a = UnixStream::from_std(std_a);
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    std_b.write_all(b"std").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    drain(&mut a, &mut got).unwrap();
    assert_eq!(got, b"std");
    assert!(a.local_addr().unwrap().is_unnamed());
}
