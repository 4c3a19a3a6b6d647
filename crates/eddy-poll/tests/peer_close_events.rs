//! What a peer's close, reset and half-close look like: read-closed (and
//! error, for a reset) is reported, never silently dropped, and a
//! half-closed connection can still be written to.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;

use eddy_poll::net::{TcpListener, TcpStream};
use eddy_poll::{Events, Interest, Poll, Token};
use util::{ExpectEvent, Readiness, any_local_address, drain, expect_events, new_poll};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);

/// A registered client (readable + writable, connect consumed) and the
/// server side of its connection (not registered).
fn client_and_peer(poll: &mut Poll, events: &mut Events) -> (TcpStream, TcpStream) {
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
    let (peer, _) = listener.accept().unwrap();
    (client, peer)
}

#[test]
fn a_peer_close_is_reported_as_read_closed() {
    let (mut poll, mut events) = new_poll();
    let (mut client, peer) = client_and_peer(&mut poll, &mut events);
    (&peer).write_all(b"goodbye").unwrap();
    drop(peer);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(
            CLIENT,
            Readiness::READABLE | Readiness::READ_CLOSED,
        )],
    );
    // Data sent before the close is still delivered, then end of stream.
    let mut got = Vec::new();
    assert!(drain(&mut client, &mut got).unwrap());
    assert_eq!(got, b"goodbye");
}

#[test]
fn a_reset_is_reported_as_read_closed_and_error() {
    let (mut poll, mut events) = new_poll();
    let (mut client, peer) = client_and_peer(&mut poll, &mut events);
    // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the option value is a live `linger` of the stated size.
    let rc = unsafe {
        libc::setsockopt(
            peer.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", std::io::Error::last_os_error());
    drop(peer);

    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::READ_CLOSED)],
    );
    let flagged_error = seen
        .iter()
        .any(|(t, r)| *t == CLIENT && r.contains(Readiness::ERROR));
    // The reset itself is readable as an error: through take_error, or
    // from the next read.
    let reset = match client.take_error().unwrap() {
        Some(e) => e,
        None => client.read(&mut [0u8; 8]).unwrap_err(),
    };
    assert_eq!(reset.kind(), ErrorKind::ConnectionReset);
    assert!(
        flagged_error,
        "a reset must be flagged as an error: {seen:?}"
    );
}

#[test]
fn a_half_close_is_read_closed_but_still_writable() {
    let (mut poll, mut events) = new_poll();
    let (mut client, mut peer) = client_and_peer(&mut poll, &mut events);
    peer.shutdown(Shutdown::Write).unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(
            CLIENT,
            Readiness::READABLE | Readiness::READ_CLOSED,
        )],
    );
    assert!(
        seen.iter()
            .all(|(_, r)| !r.contains(Readiness::WRITE_CLOSED) && !r.contains(Readiness::ERROR)),
        "{seen:?}"
    );
    assert_eq!(client.read(&mut [0u8; 8]).unwrap(), 0);

    // Our direction is still open: the peer reads what we write.
    client.write_all(b"still here").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    util::retry_would_block(|| {
        drain(&mut peer, &mut got).and_then(|eof| {
            if eof {
                Ok(())
            } else {
                Err(ErrorKind::WouldBlock.into())
            }
        })
    });
    assert_eq!(got, b"still here");
}

#[test]
fn a_close_with_unread_data_resets_and_the_writer_sees_it() {
    let (mut poll, mut events) = new_poll();
    let (mut client, peer) = client_and_peer(&mut poll, &mut events);
    // Closing a socket with unread data sends RST (RFC 2525, 2.17).
    client.write_all(b"never read").unwrap();
    util::retry_would_block(|| {
        let mut n = 0;
        // SAFETY: FIONREAD writes one c_int into a live local.
        let rc = unsafe { libc::ioctl(peer.as_raw_fd(), libc::FIONREAD, &mut n) };
        assert_eq!(rc, 0);
        if n > 0 {
            Ok(())
        } else {
            Err(ErrorKind::WouldBlock.into())
        }
    });
    drop(peer);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(CLIENT, Readiness::READ_CLOSED)],
    );
    let err = match client.take_error().unwrap() {
        Some(e) => e,
        None => client.read(&mut [0u8; 8]).unwrap_err(),
    };
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
}
