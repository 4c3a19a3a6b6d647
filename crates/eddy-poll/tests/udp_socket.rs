//! UdpSocket: datagrams by address (`send_to`/`recv_from`) and through a
//! connected peer (`send`/`recv`), each arrival reported as readable.

mod util;

use std::io::ErrorKind;
use std::net;

use eddy_poll::net::UdpSocket;
use eddy_poll::{Interest, Token};
use util::{
    ExpectEvent, Readiness, any_local_address, any_local_ipv6_address, assert_would_block,
    expect_events, expect_no_events, new_poll,
};

const A: Token = Token(1);
const B: Token = Token(2);

#[test]
fn a_fresh_socket_is_writable_but_not_readable() {
    let (mut poll, mut events) = new_poll();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut socket, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::WRITABLE)],
    );
    assert!(
        seen.iter().all(|(_, r)| !r.contains(Readiness::READABLE)),
        "{seen:?}"
    );
    assert_would_block(socket.recv_from(&mut [0u8; 8]));
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn send_to_and_recv_from_carry_datagrams_and_their_senders() {
    let (mut poll, mut events) = new_poll();
    let mut a = UdpSocket::bind(any_local_address()).unwrap();
    let mut b = UdpSocket::bind(any_local_address()).unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    assert_eq!(a.send_to(b"first", b_addr).unwrap(), 5);
    assert_eq!(a.send_to(b"second", b_addr).unwrap(), 6);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(B, Readiness::READABLE)],
    );
    let mut buf = [0u8; 32];
    // Peeking leaves the datagram in place.
    let (n, from) = b.peek_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"first"[..], a_addr));
    // Datagram boundaries are kept: two sends, two receives.
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"first"[..], a_addr));
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"second"[..], a_addr));
    assert_would_block(b.recv_from(&mut buf));

    b.send_to(b"back", a_addr).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let (n, from) = a.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"back"[..], b_addr));
}

#[test]
fn connected_sockets_use_send_and_recv_and_ignore_strangers() {
    let (mut poll, mut events) = new_poll();
    let mut a = UdpSocket::bind(any_local_address()).unwrap();
    let b = UdpSocket::bind(any_local_address()).unwrap();
    let stranger = UdpSocket::bind(any_local_address()).unwrap();
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();

    // A connected socket drops datagrams from other addresses.
    stranger
        .send_to(b"not for you", a.local_addr().unwrap())
        .unwrap();
    b.send(b"hello").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let mut buf = [0u8; 32];
    let n = a.peek(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    let n = a.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert_would_block(a.recv(&mut buf));
}

#[test]
fn a_datagram_after_draining_brings_a_new_readable_event() {
    let (mut poll, mut events) = new_poll();
    let mut a = UdpSocket::bind(any_local_address()).unwrap();
    let b = UdpSocket::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    let to = a.local_addr().unwrap();
    let mut buf = [0u8; 8];
    for round in 0u8..3 {
        b.send_to(&[round], to).unwrap();
        expect_events(
            &mut poll,
            &mut events,
            vec![ExpectEvent::new(A, Readiness::READABLE)],
        );
        assert_eq!(a.recv(&mut buf).unwrap(), 1);
        assert_eq!(buf[0], round);
        assert_would_block(a.recv(&mut buf));
    }
}

#[test]
fn socket_options_can_be_set_and_read_back() {
    let socket = UdpSocket::bind(any_local_address()).unwrap();
    socket.set_broadcast(true).unwrap();
    assert!(socket.broadcast().unwrap());
    socket.set_ttl(7).unwrap();
    assert_eq!(socket.ttl().unwrap(), 7);
    assert!(socket.take_error().unwrap().is_none());
    // Not connected yet.
    assert_eq!(
        socket.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
}

#[test]
fn ipv6_datagrams_work_where_the_host_has_ipv6() {
    let Ok(mut a) = UdpSocket::bind(any_local_ipv6_address()) else {
        println!("skipping: no IPv6 loopback on this host");
        return;
    };
    let (mut poll, mut events) = new_poll();
    let b = UdpSocket::bind(any_local_ipv6_address()).unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    b.send_to(b"six", a.local_addr().unwrap()).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let mut buf = [0u8; 8];
    let (n, from) = a.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"six"[..], b.local_addr().unwrap()));
}

#[test]
fn from_std_wraps_a_non_blocking_socket() {
    let (mut poll, mut events) = new_poll();
    let std_socket = net::UdpSocket::bind(any_local_address()).unwrap();
    std_socket.set_nonblocking(true).unwrap();
    let mut socket = UdpSocket::from_std(std_socket);
    poll.registry()
        .register(&mut socket, A, Interest::READABLE)
        .unwrap();
    let sender = net::UdpSocket::bind(any_local_address()).unwrap();
    sender
        .send_to(b"std", socket.local_addr().unwrap())
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(A, Readiness::READABLE)],
    );
    let mut buf = [0u8; 8];
    assert_eq!(socket.recv(&mut buf).unwrap(), 3);
}
