//! TcpStream: a non-blocking connect completes as a writable event, data
//! flows both ways through `Read`/`Write` on `T` and `&T`, and the socket
//! options and shutdown behave as documented.

mod util;

use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::net::{self, Shutdown};
use std::os::fd::{FromRawFd, IntoRawFd};

use eddy_poll::net::{TcpListener, TcpStream};
use eddy_poll::{Events, Interest, Poll, Token};
use util::{
    ExpectEvent, Readiness, any_local_address, any_local_ipv6_address, assert_would_block, drain,
    expect_events, new_poll,
};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

/// A client connected to an accepted server-side stream, both registered
/// for reading and writing, with the connect's writable events consumed.
fn connected_pair(poll: &mut Poll, events: &mut Events) -> (TcpStream, TcpStream) {
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        poll,
        events,
        vec![
            ExpectEvent::new(LISTENER, Readiness::READABLE),
            ExpectEvent::new(CLIENT, Readiness::WRITABLE),
        ],
    );
    let (mut server, peer) = listener.accept().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        poll,
        events,
        vec![ExpectEvent::new(SERVER, Readiness::WRITABLE)],
    );
    (client, server)
}

#[test]
fn connect_completes_as_writable_then_peer_addr_and_take_error_report_success() {
    let (mut poll, mut events) = new_poll();
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();

    let mut stream = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::WRITABLE)],
    );

    assert!(stream.take_error().unwrap().is_none());
    assert_eq!(stream.peer_addr().unwrap(), addr);
    let local = stream.local_addr().unwrap();
    assert!(local.ip().is_loopback());
    assert_ne!(local.port(), 0);
}

#[test]
fn connect_to_a_closed_port_reports_the_refusal() {
    let (mut poll, mut events) = new_poll();
    // Bind then drop a listener to find a port nobody listens on.
    let addr = TcpListener::bind(any_local_address())
        .unwrap()
        .local_addr()
        .unwrap();

    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        // Loopback may refuse before `connect` even returns.
        Err(e) => {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
            assert!(e.to_string().contains(&addr.to_string()), "{e}");
            return;
        }
    };
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::ERROR)],
    );
    assert!(
        seen.iter()
            .any(|(_, r)| r.contains(Readiness::WRITE_CLOSED)),
        "a refused connect should also be write-closed: {seen:?}"
    );
    let err = stream.take_error().unwrap().expect("a pending error");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(
        stream.take_error().unwrap().is_none(),
        "take_error clears it"
    );
    assert!(stream.peer_addr().is_err());
}

#[test]
fn data_flows_both_ways_and_reads_drain_to_would_block() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);

    assert_would_block(client.read(&mut [0u8; 16]));
    client.write_all(b"ping").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    assert!(!drain(&mut server, &mut got).unwrap());
    assert_eq!(got, b"ping");

    server.write_all(b"pong").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    assert!(!drain(&mut client, &mut got).unwrap());
    assert_eq!(got, b"pong");
}

#[test]
fn read_and_write_work_through_a_shared_reference() {
    let (mut poll, mut events) = new_poll();
    let (client, server) = connected_pair(&mut poll, &mut events);

    // `&TcpStream` implements Read and Write, so one stream can be shared
    // by a reader and a writer.
    let mut writer = &client;
    writer.write_all(b"via &T").unwrap();
    writer.flush().unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Readiness::READABLE)],
    );
    let mut reader = &server;
    let mut got = Vec::new();
    drain(&mut reader, &mut got).unwrap();
    assert_eq!(got, b"via &T");
    assert_would_block((&server).read(&mut [0u8; 4]));
}

#[test]
fn vectored_reads_and_writes_move_every_buffer() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);

    let written = client
        .write_vectored(&[IoSlice::new(b"one "), IoSlice::new(b"two")])
        .unwrap();
    assert_eq!(written, 7);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Readiness::READABLE)],
    );
    let (mut a, mut b) = ([0u8; 4], [0u8; 8]);
    let read = server
        .read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
        .unwrap();
    assert_eq!(read, 7);
    assert_eq!(&a, b"one ");
    assert_eq!(&b[..3], b"two");
}

#[test]
fn peek_leaves_the_data_queued() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);

    client.write_all(b"hello").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Readiness::READABLE)],
    );
    let mut buf = [0u8; 5];
    assert_eq!(server.peek(&mut buf).unwrap(), 5);
    assert_eq!(&buf, b"hello");
    let mut buf = [0u8; 5];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    assert_would_block(server.peek(&mut buf));
}

#[test]
fn shutdown_write_is_seen_by_the_peer_as_end_of_stream() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);

    client.write_all(b"last words").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(
            SERVER,
            Readiness::READABLE | Readiness::READ_CLOSED,
        )],
    );
    let mut got = Vec::new();
    assert!(drain(&mut server, &mut got).unwrap(), "end of stream");
    assert_eq!(got, b"last words");

    // Writing after our own shutdown fails; the other direction still works.
    assert!(client.write(b"more").is_err());
    server.write_all(b"reply").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    drain(&mut client, &mut got).unwrap();
    assert_eq!(got, b"reply");
}

#[test]
fn a_full_send_buffer_becomes_writable_again_once_the_peer_reads() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);

    // Fill the send path (our send buffer and the peer's receive buffer).
    let chunk = vec![0xAB_u8; 64 * 1024];
    let mut sent = 0usize;
    loop {
        match client.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    assert!(sent > 0);

    // The peer reads everything, event by event; the writer then gets a
    // fresh writable edge.
    let mut received = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let mut writable_again = false;
    while received < sent || !writable_again {
        poll.poll(&mut events, Some(util::PATIENCE)).unwrap();
        assert!(!events.is_empty(), "timed out: {received}/{sent} bytes");
        for event in events.iter() {
            if event.token() == CLIENT && event.is_writable() {
                writable_again = true;
            }
        }
        loop {
            match server.read(&mut buf) {
                Ok(0) => panic!("unexpected end of stream"),
                Ok(n) => {
                    assert!(buf[..n].iter().all(|&b| b == 0xAB));
                    received += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read: {e}"),
            }
        }
    }
    assert_eq!(received, sent);
}

#[test]
fn nodelay_and_ttl_can_be_set_and_read_back() {
    let (mut poll, mut events) = new_poll();
    let (client, _server) = connected_pair(&mut poll, &mut events);

    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    client.set_nodelay(false).unwrap();
    assert!(!client.nodelay().unwrap());

    client.set_ttl(42).unwrap();
    assert_eq!(client.ttl().unwrap(), 42);
}

#[test]
fn ipv6_connections_work_where_the_host_has_ipv6() {
    let listener = match TcpListener::bind(any_local_ipv6_address()) {
        Ok(listener) => listener,
        Err(e) => {
            println!("skipping: no IPv6 loopback on this host ({e})");
            return;
        }
    };
    let (mut poll, mut events) = new_poll();
    let addr = listener.local_addr().unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut stream, CLIENT, Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::WRITABLE)],
    );
    assert!(stream.take_error().unwrap().is_none());
    assert_eq!(stream.peer_addr().unwrap(), addr);
}

#[test]
fn from_std_and_raw_descriptors_round_trip() {
    let (mut poll, mut events) = new_poll();
    let listener = net::TcpListener::bind(any_local_address()).unwrap();
    let std_stream = net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    std_stream.set_nonblocking(true).unwrap();
    let (mut peer, _) = listener.accept().unwrap();

    let stream = TcpStream::from_std(std_stream);
    let fd = stream.into_raw_fd();
    // SAFETY: `fd` was just released by `into_raw_fd` and nothing else owns it.
    let mut stream = unsafe { TcpStream::from_raw_fd(fd) };
    poll.registry()
        .register(&mut stream, CLIENT, Interest::READABLE)
        .unwrap();
    peer.write_all(b"std").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::READABLE)],
    );
    let mut got = Vec::new();
    drain(&mut stream, &mut got).unwrap();
    assert_eq!(got, b"std");
}

#[test]
fn shutdown_read_makes_reads_return_end_of_stream() {
    let (mut poll, mut events) = new_poll();
    let (mut client, _server) = connected_pair(&mut poll, &mut events);
    client.shutdown(Shutdown::Read).unwrap();
    assert_eq!(client.read(&mut [0u8; 8]).unwrap(), 0);
}

#[test]
fn shutdown_both_is_read_closed_for_the_peer_and_stops_our_writes() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);
    client.shutdown(Shutdown::Both).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SERVER, Readiness::READ_CLOSED)],
    );
    assert_eq!(server.read(&mut [0u8; 8]).unwrap(), 0);
    assert!(client.write(b"late").is_err());
}

#[test]
fn data_written_just_before_a_drop_is_all_delivered() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut server) = connected_pair(&mut poll, &mut events);
    let payload: Vec<u8> = (0..32 * 1024).map(|i| i as u8).collect();
    client.write_all(&payload).unwrap();
    drop(client);

    let mut got = Vec::new();
    loop {
        expect_events(
            &mut poll,
            &mut events,
            vec![ExpectEvent::new(SERVER, Readiness::READABLE)],
        );
        if drain(&mut server, &mut got).unwrap() {
            break;
        }
    }
    assert_eq!(got, payload);
}

#[test]
fn net_types_can_move_between_threads() {
    util::assert_send_sync::<TcpStream>();
    util::assert_send_sync::<TcpListener>();
    util::assert_send_sync::<eddy_poll::net::UdpSocket>();
    util::assert_send_sync::<eddy_poll::net::UnixStream>();
    util::assert_send_sync::<eddy_poll::net::UnixListener>();
    util::assert_send_sync::<eddy_poll::net::UnixDatagram>();
}
