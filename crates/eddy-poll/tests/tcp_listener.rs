//! TcpListener: binding, one readable edge for pending connections,
//! accepting until `WouldBlock`, and many connections pending at once.

mod util;

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net;
use std::os::fd::{FromRawFd, IntoRawFd};

use eddy_poll::net::TcpListener;
use eddy_poll::{Interest, Token};
use util::{
    ExpectEvent, Readiness, any_local_address, assert_would_block, expect_events, expect_no_events,
    new_poll,
};

const LISTENER: Token = Token(0);

#[test]
fn bind_picks_a_port_and_accept_would_block_without_clients() {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_would_block(listener.accept());
    assert!(listener.take_error().unwrap().is_none());
    listener.set_ttl(33).unwrap();
    assert_eq!(listener.ttl().unwrap(), 33);
}

#[test]
fn binding_a_port_in_use_names_the_address() {
    let first = TcpListener::bind(any_local_address()).unwrap();
    let addr = first.local_addr().unwrap();
    let err = TcpListener::bind(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn a_connection_makes_the_listener_readable_and_accept_returns_the_peer() {
    let (mut poll, mut events) = new_poll();
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events);

    let mut client = net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Readiness::READABLE)],
    );
    let (mut conn, peer) = listener.accept().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(conn.peer_addr().unwrap(), peer);
    assert_would_block(listener.accept());

    // The accepted stream is usable (and non-blocking: nothing to read yet).
    assert_would_block(conn.read(&mut [0u8; 8]));
    conn.write_all(b"hi").unwrap();
    let mut buf = [0u8; 2];
    client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
}

#[test]
fn many_pending_connections_are_all_accepted_after_one_edge() {
    const CLIENTS: usize = 200;
    let (mut poll, mut events) = new_poll();
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let addr = listener.local_addr().unwrap();

    // Blocking connects complete once the kernel has queued each one, so
    // all of them are pending before the first poll.
    let clients: Vec<net::TcpStream> = (0..CLIENTS)
        .map(|_| net::TcpStream::connect(addr).unwrap())
        .collect();
    let expected: HashSet<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();

    let mut accepted = HashSet::new();
    while accepted.len() < CLIENTS {
        expect_events(
            &mut poll,
            &mut events,
            vec![ExpectEvent::new(LISTENER, Readiness::READABLE)],
        );
        // Edge-triggered: accept until WouldBlock, or no further edge comes.
        loop {
            match listener.accept() {
                Ok((_conn, peer)) => assert!(accepted.insert(peer), "{peer} twice"),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
    assert_eq!(accepted, expected);
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn from_std_and_raw_descriptors_round_trip() {
    let (mut poll, mut events) = new_poll();
    let std_listener = net::TcpListener::bind(any_local_address()).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let listener = TcpListener::from_std(std_listener);
    let fd = listener.into_raw_fd();
    // SAFETY: `fd` was just released by `into_raw_fd` and nothing else owns it.
    let mut listener = unsafe { TcpListener::from_raw_fd(fd) };
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Readiness::READABLE)],
    );
    listener.accept().unwrap();
}
