//! UnixDatagram: pairs, bound sockets addressed by path, connected sockets,
//! and readable events per arrival.

mod util;

use std::net::Shutdown;
use std::os::unix::net as std_unix;

use eddy_poll::net::UnixDatagram;
use eddy_poll::{Interest, Token};
use util::{
    ExpectEvent, Readiness, TempDir, assert_would_block, expect_events, expect_no_events, new_poll,
};

const A: Token = Token(1);
const B: Token = Token(2);

#[test]
fn a_pair_keeps_datagram_boundaries() {
    let (mut poll, mut events) = new_poll();
    let (a, mut b) = UnixDatagram::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events);

    assert_eq!(a.send(b"one").unwrap(), 3);
    assert_eq!(a.send(b"three").unwrap(), 5);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    let mut buf = [0u8; 16];
    assert_eq!(b.recv(&mut buf).unwrap(), 3);
    assert_eq!(b.recv(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"three");
    assert_would_block(b.recv(&mut buf));
}

#[test]
fn bound_sockets_exchange_datagrams_by_path() {
    let dir = TempDir::new();
    let (a_path, b_path) = (dir.join("a.sock"), dir.join("b.sock"));
    let (mut poll, mut events) = new_poll();
    let mut a = UnixDatagram::bind(&a_path).unwrap();
    let mut b = UnixDatagram::bind(&b_path).unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    assert_eq!(
        a.local_addr().unwrap().as_pathname(),
        Some(a_path.as_path())
    );

    a.send_to(b"hello b", &b_path).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    let mut buf = [0u8; 16];
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello b");
    assert_eq!(from.as_pathname(), Some(a_path.as_path()));

    // Connected: send/recv without an address.
    b.connect(&a_path).unwrap();
    assert_eq!(b.peer_addr().unwrap().as_pathname(), Some(a_path.as_path()));
    b.send(b"hello a").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let n = a.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello a");
}

#[test]
fn an_unbound_socket_can_send_but_has_no_name() {
    let dir = TempDir::new();
    let path = dir.join("target.sock");
    let (mut poll, mut events) = new_poll();
    let mut target = UnixDatagram::bind(&path).unwrap();
    poll.registry()
        .register(&mut target, B, Interest::READABLE)
        .unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    assert!(sender.local_addr().unwrap().is_unnamed());
    sender.send_to(b"anon", &path).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    let mut buf = [0u8; 8];
    let (n, from) = target.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"anon");
    assert!(from.is_unnamed());
}

#[test]
fn connecting_to_a_missing_path_names_it() {
    let dir = TempDir::new();
    let socket = UnixDatagram::unbound().unwrap();
    let err = socket.connect(dir.join("absent.sock")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("absent.sock"), "{err}");
}

#[test]
fn shutdown_and_take_error_behave() {
    let (a, b) = UnixDatagram::pair().unwrap();
    assert!(a.take_error().unwrap().is_none());
    a.shutdown(Shutdown::Write).unwrap();
    assert!(a.send(b"x").is_err());
    let mut buf = [0u8; 1];
    // The peer sees nothing queued.
    assert_would_block(b.recv(&mut buf));
}

#[test]
fn from_std_wraps_a_non_blocking_socket() {
    let (mut poll, mut events) = new_poll();
    let (std_a, std_b) = std_unix::UnixDatagram::pair().unwrap();
    std_a.set_nonblocking(true).unwrap();
    let mut a = UnixDatagram::from_std(std_a);
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    std_b.send(b"std").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let mut buf = [0u8; 8];
    assert_eq!(a.recv(&mut buf).unwrap(), 3);
}
