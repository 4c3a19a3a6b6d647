//! UnixListener: binding paths (with clear errors for bad ones) and
//! accepting every pending connection after one readable edge.

mod util;

use std::io::ErrorKind;
use std::os::unix::net as std_unix;

use eddy_poll::net::{UnixListener, UnixStream};
use eddy_poll::{Interest, Token};
use util::{
    ExpectEvent, Readiness, TempDir, assert_would_block, expect_events, expect_no_events, new_poll,
};

const LISTENER: Token = Token(0);

#[test]
fn bind_reports_its_path_and_accept_would_block_without_clients() {
    let dir = TempDir::new();
    let path = dir.join("l.sock");
    let listener = UnixListener::bind(&path).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert_would_block(listener.accept());
    assert!(listener.take_error().unwrap().is_none());
}

#[test]
fn binding_an_existing_path_fails_and_names_it() {
    let dir = TempDir::new();
    let path = dir.join("taken.sock");
    let _first = UnixListener::bind(&path).unwrap();
    let err = UnixListener::bind(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains("taken.sock"), "{err}");
}

#[test]
fn paths_too_long_or_with_nul_are_invalid_input() {
    let long = std::path::PathBuf::from(format!("/tmp/{}", "x".repeat(200)));
    let err = UnixListener::bind(&long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("longer than"), "{err}");

    let err = UnixStream::connect("/tmp/with\0nul").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("NUL"), "{err}");
}

#[test]
fn pending_connections_are_all_accepted_after_one_edge() {
    const CLIENTS: usize = 50;
    let dir = TempDir::new();
    let path = dir.join("many.sock");
    let (mut poll, mut events) = new_poll();
    let mut listener = UnixListener::bind(&path).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _clients: Vec<std_unix::UnixStream> = (0..CLIENTS)
        .map(|_| std_unix::UnixStream::connect(&path).unwrap())
        .collect();

    let mut accepted = 0;
    while accepted < CLIENTS {
        expect_events(
            &mut poll,
            &mut events,
            vec![ExpectEvent::new(LISTENER, Readiness::READABLE)],
        );
        loop {
            match listener.accept() {
                Ok((stream, addr)) => {
                    // Clients did not bind, so their address is unnamed.
                    assert!(addr.is_unnamed());
                    assert_eq!(
                        stream.local_addr().unwrap().as_pathname(),
                        Some(path.as_path())
                    );
                    accepted += 1;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
    assert_eq!(accepted, CLIENTS);
    expect_no_events(&mut poll, &mut events);
}

#[test]
fn from_std_wraps_a_non_blocking_listener() {
    let dir = TempDir::new();
    let path = dir.join("std.sock");
    let (mut poll, mut events) = new_poll();
    let std_listener = std_unix::UnixListener::bind(&path).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let mut listener = UnixListener::from_std(std_listener);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = std_unix::UnixStream::connect(&path).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(LISTENER, Readiness::READABLE)],
    );
    listener.accept().unwrap();
}
