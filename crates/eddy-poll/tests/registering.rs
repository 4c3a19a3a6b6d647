//! Registry: register, reregister and deregister, with their error cases:
//! a second register is `AlreadyExists`, changing or removing what is not
//! registered is an error, and a deregistered source is silent.

mod util;

use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;

use eddy_poll::event::Source;
use eddy_poll::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use eddy_poll::unix::SourceFd;
use eddy_poll::{Interest, Poll, Token};
use util::{
    ExpectEvent, Readiness, any_local_address, expect_events, expect_no_events,
    expect_no_events_for, new_poll,
};

const FIRST: Token = Token(1);
const SECOND: Token = Token(2);

#[test]
fn registering_the_same_source_twice_is_already_exists() {
    let poll = Poll::new().unwrap();
    let mut listener = TcpListener::bind(any_local_address()).unwrap();
    poll.registry()
        .register(&mut listener, FIRST, Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut listener, SECOND, Interest::WRITABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);

    // The same descriptor through SourceFd is the same registration.
    let fd = listener.as_raw_fd();
    let err = poll
        .registry()
        .register(&mut SourceFd(&fd), SECOND, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}

#[test]
fn deregistering_or_reregistering_an_unregistered_source_is_an_error() {
    let poll = Poll::new().unwrap();
    let mut socket = UdpSocket::bind(any_local_address()).unwrap();
    let err = poll.registry().deregister(&mut socket).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = poll
        .registry()
        .reregister(&mut socket, FIRST, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    // Registered then deregistered: deregistering again fails too.
    poll.registry()
        .register(&mut socket, FIRST, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut socket).unwrap();
    assert_eq!(
        poll.registry().deregister(&mut socket).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn registering_a_closed_descriptor_is_an_error() {
    let poll = Poll::new().unwrap();
    let fd = -1;
    let err = poll
        .registry()
        .register(&mut SourceFd(&fd), FIRST, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
}

#[test]
fn reregister_changes_the_token() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, FIRST, Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut b, SECOND, Interest::READABLE)
        .unwrap();
    a.write_all(b"x").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SECOND, Readiness::READABLE)],
    );
    assert!(seen.iter().all(|(t, _)| *t == SECOND), "{seen:?}");
}

#[test]
fn reregister_changes_the_interest() {
    let (mut poll, mut events) = new_poll();
    let (_a, mut b) = UnixStream::pair().unwrap();
    // Readable only: the writable socket stays quiet.
    poll.registry()
        .register(&mut b, FIRST, Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events);
    // Now writable: the existing readiness is reported.
    poll.registry()
        .reregister(&mut b, FIRST, Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(FIRST, Readiness::WRITABLE)],
    );
}

#[test]
fn a_deregistered_source_gets_no_events_and_can_be_registered_again() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, FIRST, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut b).unwrap();
    a.write_all(b"unheard").unwrap();
    expect_no_events(&mut poll, &mut events);

    // Registering again reports the readiness that is there.
    poll.registry()
        .register(&mut b, SECOND, Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SECOND, Readiness::READABLE)],
    );
}

#[test]
fn deregister_removes_an_event_that_is_ready_but_not_yet_polled() {
    let (mut poll, mut events) = new_poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let (mut c, mut d) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, FIRST, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut d, SECOND, Interest::READABLE)
        .unwrap();
    a.write_all(b"ready").unwrap();
    poll.registry().deregister(&mut b).unwrap();
    c.write_all(b"sentinel").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SECOND, Readiness::READABLE)],
    );
    assert!(seen.iter().all(|(t, _)| *t != FIRST), "{seen:?}");
    expect_no_events_for(&mut poll, &mut events, FIRST);
}

#[test]
fn one_source_can_be_registered_with_two_polls() {
    let (mut poll_a, mut events) = new_poll();
    let mut poll_b = Poll::new().unwrap();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll_a
        .registry()
        .register(&mut b, FIRST, Interest::READABLE)
        .unwrap();
    poll_b
        .registry()
        .register(&mut b, SECOND, Interest::READABLE)
        .unwrap();
    a.write_all(b"both").unwrap();
    expect_events(
        &mut poll_a,
        &mut events,
        vec![ExpectEvent::new(FIRST, Readiness::READABLE)],
    );
    expect_events(
        &mut poll_b,
        &mut events,
        vec![ExpectEvent::new(SECOND, Readiness::READABLE)],
    );
}

#[test]
fn source_fd_registers_a_descriptor_the_caller_owns() {
    let (mut poll, mut events) = new_poll();
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    let (read_end, write_end) = (fds[0], fds[1]);

    poll.registry()
        .register(&mut SourceFd(&read_end), FIRST, Interest::READABLE)
        .unwrap();
    // SAFETY: writes one byte from a live buffer to the pipe we created.
    let n = unsafe { libc::write(write_end, b"!".as_ptr().cast(), 1) };
    assert_eq!(n, 1);
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(FIRST, Readiness::READABLE)],
    );
    poll.registry()
        .reregister(&mut SourceFd(&read_end), SECOND, Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SECOND, Readiness::READABLE)],
    );
    poll.registry()
        .deregister(&mut SourceFd(&read_end))
        .unwrap();
    // SAFETY: both descriptors are ours and closed exactly once.
    unsafe {
        libc::close(read_end);
        libc::close(write_end);
    }
}

/// A user type that registers by delegating to the socket it wraps.
struct Connection {
    stream: UnixStream,
}

impl Source for Connection {
    fn register(
        &mut self,
        registry: &eddy_poll::Registry,
        token: Token,
        interest: Interest,
    ) -> std::io::Result<()> {
        registry.register(&mut self.stream, token, interest)
    }
    fn reregister(
        &mut self,
        registry: &eddy_poll::Registry,
        token: Token,
        interest: Interest,
    ) -> std::io::Result<()> {
        registry.reregister(&mut self.stream, token, interest)
    }
    fn deregister(&mut self, registry: &eddy_poll::Registry) -> std::io::Result<()> {
        registry.deregister(&mut self.stream)
    }
}

#[test]
fn wrappers_boxes_and_trait_objects_register_like_their_source() {
    let (mut poll, mut events) = new_poll();
    let (mut a, b) = UnixStream::pair().unwrap();
    let mut boxed: Box<dyn Source> = Box::new(Connection { stream: b });
    poll.registry()
        .register(&mut boxed, FIRST, Interest::READABLE)
        .unwrap();
    a.write_all(b"boxed").unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(FIRST, Readiness::READABLE)],
    );
    poll.registry()
        .reregister(&mut &mut boxed, SECOND, Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SECOND, Readiness::WRITABLE)],
    );
    poll.registry().deregister(boxed.as_mut()).unwrap();
}

#[test]
fn a_connecting_stream_can_be_registered_before_the_connect_finishes() {
    let (mut poll, mut events) = new_poll();
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut stream, FIRST, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(FIRST, Readiness::WRITABLE)],
    );
}

#[test]
fn dropping_a_poll_leaves_its_sources_usable_elsewhere() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    {
        let old = Poll::new().unwrap();
        old.registry()
            .register(&mut b, FIRST, Interest::READABLE)
            .unwrap();
    }
    let (mut poll, mut events) = new_poll();
    poll.registry()
        .register(&mut b, SECOND, Interest::READABLE)
        .unwrap();
    a.write_all(b"moved").unwrap();
    let seen = expect_events(
        &mut poll,
        &mut events,
        vec![ExpectEvent::new(SECOND, Readiness::READABLE)],
    );
    assert!(seen.iter().all(|(t, _)| *t == SECOND), "{seen:?}");
}
