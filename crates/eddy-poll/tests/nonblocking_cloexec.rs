//! Every socket this crate creates, and the queue itself, is close-on-exec
//! and (for sockets) non-blocking from birth.

mod util;

use std::os::fd::{AsRawFd, RawFd};

use eddy_poll::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use eddy_poll::{Interest, Poll, Token};
use util::{ExpectEvent, Readiness, TempDir, any_local_address, expect_events, new_poll};

fn is_cloexec(fd: RawFd) -> bool {
    // SAFETY: F_GETFD on a descriptor the caller keeps open.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0, "fcntl: {}", std::io::Error::last_os_error());
    flags & libc::FD_CLOEXEC != 0
}

fn is_nonblocking(fd: RawFd) -> bool {
    // SAFETY: F_GETFL on a descriptor the caller keeps open.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0, "fcntl: {}", std::io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

#[track_caller]
fn assert_born_right(what: &str, fd: RawFd) {
    assert!(is_cloexec(fd), "{what} is not close-on-exec");
    assert!(is_nonblocking(fd), "{what} is blocking");
}

#[test]
fn the_poll_descriptor_is_close_on_exec() {
    let poll = Poll::new().unwrap();
    assert!(is_cloexec(poll.as_raw_fd()));
    let clone = poll.registry().try_clone().unwrap();
    assert!(is_cloexec(clone.as_raw_fd()));
    assert!(format!("{poll:?}").contains("Poll"));
}

#[test]
fn tcp_sockets_and_accepted_connections_are_born_right() {
    let (mut poll, mut events) = new_poll();
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    assert_born_right("TcpListener::bind", listener.as_raw_fd());
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert_born_right("TcpStream::connect", stream.as_raw_fd());
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(0), Readiness::READABLE)],
    );
    let (accepted, _) = listener.accept().unwrap();
    assert_born_right("TcpListener::accept", accepted.as_raw_fd());
}

#[test]
fn udp_sockets_are_born_right() {
    let socket = UdpSocket::bind(any_local_address()).unwrap();
    assert_born_right("UdpSocket::bind", socket.as_raw_fd());
}

#[test]
fn unix_sockets_and_accepted_connections_are_born_right() {
    let dir = TempDir::new();
    let path = dir.join("born.sock");
    let (mut poll, mut events) = new_poll();
    let mut listener = UnixListener::bind(&path).unwrap();
    assert_born_right("UnixListener::bind", listener.as_raw_fd());
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let stream = UnixStream::connect(&path).unwrap();
    assert_born_right("UnixStream::connect", stream.as_raw_fd());
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(Token(0), Readiness::READABLE)],
    );
    let (accepted, _) = listener.accept().unwrap();
    assert_born_right("UnixListener::accept", accepted.as_raw_fd());

    let (a, b) = UnixStream::pair().unwrap();
    assert_born_right("UnixStream::pair (first)", a.as_raw_fd());
    assert_born_right("UnixStream::pair (second)", b.as_raw_fd());

    let bound = UnixDatagram::bind(dir.join("dgram.sock")).unwrap();
    assert_born_right("UnixDatagram::bind", bound.as_raw_fd());
    let unbound = UnixDatagram::unbound().unwrap();
    assert_born_right("UnixDatagram::unbound", unbound.as_raw_fd());
    let (c, d) = UnixDatagram::pair().unwrap();
    assert_born_right("UnixDatagram::pair (first)", c.as_raw_fd());
    assert_born_right("UnixDatagram::pair (second)", d.as_raw_fd());
}
