//! 10 000 concurrent connections, each asking for a 1 s delay, are all
//! answered correctly within 2 s of the last request.
//!
//! The server runs as the `delayserver` binary in a child process, so that
//! it and this client each have their own open-files limit (10 000 sockets
//! on each side do not fit under a common hard limit of 20 000 in one
//! process). The test raises its soft limit, which the child inherits, and
//! skips with a message when the hard limit is too low. The client is two
//! threads, each an eddy-poll loop driving half the connections.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use eddy_poll::net::TcpStream;
use eddy_poll::{Events, Interest, Poll, Token};
use util::Binary;

const CONNECTIONS: usize = 10_000;
const CLIENT_THREADS: usize = 2;
const DELAY: Duration = Duration::from_secs(1);
/// The bound: every answer within this of the last request sent.
const WITHIN: Duration = Duration::from_secs(2);
/// Connects in flight per client thread: well under the listen backlog.
const CONNECTING_AT_ONCE: usize = 200;
/// Give up (and fail) if the whole run takes longer than this.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
/// Descriptors needed beyond one per connection (std, the test harness,
/// pipes, epoll).
const SPARE_FDS: libc::rlim_t = 200;

/// Raises this process's soft open-files limit to `wanted` if the hard
/// limit allows; returns the hard limit otherwise.
fn raise_nofile_limit(wanted: libc::rlim_t) -> Result<(), libc::rlim_t> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(0);
    }
    if limit.rlim_cur >= wanted {
        return Ok(());
    }
    if limit.rlim_max < wanted {
        return Err(limit.rlim_max);
    }
    limit.rlim_cur = wanted;
    // SAFETY: setrlimit reads one valid rlimit; raising the soft limit up
    // to the hard limit is always permitted.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(limit.rlim_max);
    }
    Ok(())
}

/// What one client connection is doing.
enum Phase {
    Connecting,
    Receiving,
    Done,
}

struct Conn {
    stream: TcpStream,
    id: usize,
    phase: Phase,
    received: Vec<u8>,
    sent_at: Option<Instant>,
}

/// What one client thread saw.
#[derive(Debug, Default)]
struct Outcome {
    answered: usize,
    last_request: Option<Instant>,
    last_response: Option<Instant>,
    failures: Vec<String>,
}

/// Whether `received` holds a whole response; checks it if so.
fn check_response(
    id: usize,
    received: &[u8],
    sent_at: Instant,
    failures: &mut Vec<String>,
) -> bool {
    let Some(head_end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&received[..head_end]);
    let expected_body = format!("c{id}");
    let Some(length) = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.parse::<usize>().ok())
    else {
        failures.push(format!("#{id}: no Content-Length in {head:?}"));
        return true;
    };
    let body = &received[head_end + 4..];
    if body.len() < length {
        return false;
    }
    if !head.starts_with("HTTP/1.1 200 OK\r\n") || body != expected_body.as_bytes() {
        failures.push(format!(
            "#{id}: {head:?} {:?}",
            String::from_utf8_lossy(body)
        ));
    }
    if sent_at.elapsed() < DELAY {
        failures.push(format!("#{id}: answered after {:?}", sent_at.elapsed()));
    }
    true
}

/// Drives connections `ids` to completion on one eddy-poll loop.
fn client(addr: SocketAddr, ids: std::ops::Range<usize>, start: Instant) -> Outcome {
    let mut outcome = Outcome::default();
    let mut poll = Poll::new().expect("client poll");
    let mut events = Events::with_capacity(1024);
    let mut conns: Vec<Conn> = Vec::with_capacity(ids.len());
    let mut next_id = ids.start;
    let mut connecting = 0;
    let mut buf = [0u8; 1024];
    while outcome.answered + outcome.failures.len() < ids.len() {
        if start.elapsed() > GIVE_UP_AFTER {
            outcome.failures.push(format!(
                "gave up: {} of {} answered",
                outcome.answered,
                ids.len()
            ));
            break;
        }
        while connecting < CONNECTING_AT_ONCE && next_id < ids.end {
            let mut stream = TcpStream::connect(addr).expect("start a connect");
            let token = Token(conns.len());
            poll.registry()
                .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                .expect("register a client socket");
            conns.push(Conn {
                stream,
                id: next_id,
                phase: Phase::Connecting,
                received: Vec::new(),
                sent_at: None,
            });
            next_id += 1;
            connecting += 1;
        }
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("client poll");
        for event in events.iter() {
            let conn = &mut conns[event.token().0];
            if let Phase::Connecting = conn.phase {
                if !event.is_writable() && !event.is_error() {
                    continue;
                }
                connecting -= 1;
                match conn.stream.take_error() {
                    Ok(None) => {}
                    Ok(Some(e)) | Err(e) => {
                        outcome.failures.push(format!("#{}: connect: {e}", conn.id));
                        conn.phase = Phase::Done;
                        continue;
                    }
                }
                let request = format!(
                    "GET /{}/c{} HTTP/1.1\r\nConnection: close\r\n\r\n",
                    DELAY.as_millis(),
                    conn.id
                );
                // Stamped before the write: the server may read the request
                // before this thread runs again.
                let sending_at = Instant::now();
                match conn.stream.write(request.as_bytes()) {
                    Ok(n) if n == request.len() => {
                        conn.sent_at = Some(sending_at);
                        outcome.last_request = Some(sending_at);
                        conn.phase = Phase::Receiving;
                    }
                    other => {
                        outcome
                            .failures
                            .push(format!("#{}: send: {other:?}", conn.id));
                        conn.phase = Phase::Done;
                        continue;
                    }
                }
            }
            if let Phase::Receiving = conn.phase {
                let mut closed = false;
                loop {
                    match conn.stream.read(&mut buf) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(n) => conn.received.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => {
                            outcome.failures.push(format!("#{}: read: {e}", conn.id));
                            conn.phase = Phase::Done;
                            break;
                        }
                    }
                }
                if !matches!(conn.phase, Phase::Receiving) {
                    continue;
                }
                let sent_at = conn.sent_at.expect("sent before receiving");
                if check_response(conn.id, &conn.received, sent_at, &mut outcome.failures) {
                    outcome.answered += 1;
                    outcome.last_response = Some(Instant::now());
                    conn.phase = Phase::Done;
                    conn.received = Vec::new();
                } else if closed {
                    outcome
                        .failures
                        .push(format!("#{}: closed early: {:?}", conn.id, conn.received));
                    conn.phase = Phase::Done;
                }
            }
        }
    }
    outcome
}

#[test]
fn ten_thousand_one_second_requests_are_all_answered_within_two_seconds() {
    let needed = CONNECTIONS as libc::rlim_t + SPARE_FDS;
    if let Err(hard) = raise_nofile_limit(needed) {
        println!(
            "SKIPPED: the 10k load test needs {needed} open files per process; \
             the hard RLIMIT_NOFILE is {hard}. Raise it (ulimit -Hn) to run it."
        );
        return;
    }
    // The child inherits the raised limit.
    let server = Binary::start(&["--quiet"]);
    let addr = server.addr;
    let start = Instant::now();
    let per_thread = CONNECTIONS / CLIENT_THREADS;
    let threads: Vec<_> = (0..CLIENT_THREADS)
        .map(|t| {
            let ids = t * per_thread..(t + 1) * per_thread;
            thread::spawn(move || client(addr, ids, start))
        })
        .collect();
    let outcomes: Vec<Outcome> = threads.into_iter().map(|t| t.join().unwrap()).collect();

    let failures: Vec<&String> = outcomes.iter().flat_map(|o| &o.failures).collect();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let answered: usize = outcomes.iter().map(|o| o.answered).sum();
    assert_eq!(answered, CONNECTIONS);
    let last_request = outcomes
        .iter()
        .filter_map(|o| o.last_request)
        .max()
        .unwrap();
    let last_response = outcomes
        .iter()
        .filter_map(|o| o.last_response)
        .max()
        .unwrap();
    let after_last_request = last_response.saturating_duration_since(last_request);
    println!(
        "{CONNECTIONS} answered; requests sent over {:?}; last answer {:?} after the last request; {:?} in all",
        last_request - start,
        after_last_request,
        start.elapsed()
    );
    assert!(
        after_last_request <= WITHIN,
        "last answer {after_last_request:?} after the last request"
    );
}
