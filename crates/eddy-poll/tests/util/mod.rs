//! Helpers shared by the scenario tests: waiting for expected events,
//! asserting quiet periods and `WouldBlock`, and scratch paths for Unix
//! sockets.
//!
//! Every wait here is bounded by [`PATIENCE`]: a test that waits on an event
//! that never comes fails with a message naming the missing events instead
//! of hanging.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::ops::BitOr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use std::{fmt, fs};

use eddy_poll::event::Event;
use eddy_poll::{Events, Poll, Token};

/// How long a test waits for an event it expects before failing. Generous:
/// the machine is shared and a debug build is slow.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// How long a test watches for events it expects *not* to see.
pub const QUIET_PERIOD: Duration = Duration::from_millis(100);

/// A new queue and an event buffer of 64.
pub fn new_poll() -> (Poll, Events) {
    (
        Poll::new().expect("create a Poll"),
        Events::with_capacity(64),
    )
}

/// A loopback address with an ephemeral port.
pub fn any_local_address() -> SocketAddr {
    "127.0.0.1:0".parse().expect("valid literal address")
}

/// An IPv6 loopback address with an ephemeral port.
pub fn any_local_ipv6_address() -> SocketAddr {
    "[::1]:0".parse().expect("valid literal address")
}

/// A set of readiness flags an expected event must carry (it may carry more).
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Readiness(u8);

impl Readiness {
    pub const READABLE: Readiness = Readiness(1 << 0);
    pub const WRITABLE: Readiness = Readiness(1 << 1);
    pub const ERROR: Readiness = Readiness(1 << 2);
    pub const READ_CLOSED: Readiness = Readiness(1 << 3);
    pub const WRITE_CLOSED: Readiness = Readiness(1 << 4);
    pub const PRIORITY: Readiness = Readiness(1 << 5);

    /// The flags `event` carries.
    pub fn of(event: &Event) -> Readiness {
        let mut bits = 0;
        let checks = [
            (event.is_readable(), Readiness::READABLE),
            (event.is_writable(), Readiness::WRITABLE),
            (event.is_error(), Readiness::ERROR),
            (event.is_read_closed(), Readiness::READ_CLOSED),
            (event.is_write_closed(), Readiness::WRITE_CLOSED),
            (event.is_priority(), Readiness::PRIORITY),
        ];
        for (set, flag) in checks {
            if set {
                bits |= flag.0;
            }
        }
        Readiness(bits)
    }

    /// Whether every flag of `other` is in `self`.
    pub fn contains(self, other: Readiness) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Readiness {
    type Output = Readiness;
    fn bitor(self, other: Readiness) -> Readiness {
        Readiness(self.0 | other.0)
    }
}

impl fmt::Debug for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Readiness::READABLE, "READABLE"),
            (Readiness::WRITABLE, "WRITABLE"),
            (Readiness::ERROR, "ERROR"),
            (Readiness::READ_CLOSED, "READ_CLOSED"),
            (Readiness::WRITE_CLOSED, "WRITE_CLOSED"),
            (Readiness::PRIORITY, "PRIORITY"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        write!(f, "{}", set.join(" | "))
    }
}

/// An event a test waits for: this token with at least these flags.
#[derive(Debug, Copy, Clone)]
pub struct ExpectEvent {
    pub token: Token,
    pub readiness: Readiness,
}

impl ExpectEvent {
    pub fn new(token: Token, readiness: Readiness) -> ExpectEvent {
        ExpectEvent { token, readiness }
    }

    fn matches(&self, event: &Event) -> bool {
        event.token() == self.token && Readiness::of(event).contains(self.readiness)
    }
}

/// Polls until every expected event has been seen (in any order, over any
/// number of polls), and returns all events seen meanwhile as
/// `(token, readiness)` pairs. Fails after [`PATIENCE`].
pub fn expect_events(
    poll: &mut Poll,
    events: &mut Events,
    mut expected: Vec<ExpectEvent>,
) -> Vec<(Token, Readiness)> {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while !expected.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "still waiting for {expected:?} after {PATIENCE:?}; saw only {seen:?}"
        );
        poll.poll(events, Some(left)).expect("poll");
        for event in events.iter() {
            seen.push((event.token(), Readiness::of(event)));
            expected.retain(|want| !want.matches(event));
        }
    }
    seen
}

/// Polls for [`QUIET_PERIOD`] and fails if any event arrives.
pub fn expect_no_events(poll: &mut Poll, events: &mut Events) {
    poll.poll(events, Some(QUIET_PERIOD)).expect("poll");
    let got: Vec<&Event> = events.iter().collect();
    assert!(got.is_empty(), "expected no events, got {got:?}");
}

/// Polls for [`QUIET_PERIOD`] and fails if an event for `token` arrives.
pub fn expect_no_events_for(poll: &mut Poll, events: &mut Events, token: Token) {
    let deadline = Instant::now() + QUIET_PERIOD;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        poll.poll(events, Some(left)).expect("poll");
        if let Some(event) = events.iter().find(|e| e.token() == token) {
            panic!("expected no event for {token:?}, got {event:?}");
        }
    }
}

/// Fails unless `result` is a `WouldBlock` error.
#[track_caller]
pub fn assert_would_block<T: fmt::Debug>(result: io::Result<T>) {
    match result {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

/// Retries `op` while it returns `WouldBlock`, for the few places where a
/// test holds a blocking peer and needs the non-blocking side to catch up.
/// Prefer waiting for an event; this is for sockets not under test.
#[track_caller]
pub fn retry_would_block<T>(mut op: impl FnMut() -> io::Result<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match op() {
            Ok(value) => return value,
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::yield_now()
            }
            Err(e) => panic!("operation failed: {e}"),
        }
    }
}

/// Reads from a non-blocking reader until `WouldBlock` or end of stream,
/// appending to `out`; returns whether the end of stream was reached.
pub fn drain(mut reader: impl io::Read, out: &mut Vec<u8>) -> io::Result<bool> {
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A scratch directory for Unix socket paths, removed on drop. Unique per
/// process and per call, and short enough for `sun_path`.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("eddy-poll-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a scratch directory");
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Raises the soft open-files limit to at least `needed` descriptors.
/// `Err` explains why it cannot (the hard limit is lower), so the caller can
/// print it and skip.
pub fn raise_open_files_limit(needed: u64) -> Result<(), String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into a live local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!("getrlimit: {}", io::Error::last_os_error()));
    }
    if limit.rlim_cur >= needed as libc::rlim_t {
        return Ok(());
    }
    if limit.rlim_max < needed as libc::rlim_t {
        return Err(format!(
            "needs {needed} open files but the hard limit (ulimit -Hn) is {}",
            limit.rlim_max
        ));
    }
    limit.rlim_cur = needed as libc::rlim_t;
    // SAFETY: setrlimit reads one rlimit from a live local.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(format!("setrlimit: {}", io::Error::last_os_error()));
    }
    Ok(())
}

/// The calling thread's kernel id, for [`wait_until_blocked_in_poll`].
pub fn current_thread_id() -> libc::pid_t {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// Waits until thread `tid` of this process is asleep inside `epoll_wait`
/// (its `wchan` names it), so a test can act on a poll that is really
/// blocked rather than guessing with a sleep. Where the kernel hides
/// `wchan`, it waits for the thread to be in the sleeping state instead.
pub fn wait_until_blocked_in_poll(tid: libc::pid_t) {
    let task = PathBuf::from(format!("/proc/self/task/{tid}"));
    let deadline = Instant::now() + PATIENCE;
    loop {
        let wchan = fs::read_to_string(task.join("wchan")).unwrap_or_default();
        let stat = fs::read_to_string(task.join("stat")).unwrap_or_default();
        // The state is the first field after the command name in parentheses.
        let sleeping = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('S'));
        let in_poll = if wchan.is_empty() || wchan == "0" {
            sleeping
        } else {
            sleeping && (wchan.contains("epoll") || wchan.contains("ep_poll"))
        };
        if in_poll {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "thread {tid} never blocked in poll (wchan {wchan:?}, stat {stat:?})"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Compile-time check that `T` can move to and be shared between threads.
pub fn assert_send_sync<T: Send + Sync>() {}
