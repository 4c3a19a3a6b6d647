//! The load generator: a fixed number of keep-alive connections on one
//! eddy-poll event loop, one request in flight on each, every reply
//! validated.
//!
//! [`run`] drives a server for a warm-up and then a measured window,
//! recording each exchange's latency (send to last byte of the reply) in an
//! HDR histogram. [`burst`] is the connection-scale variant: open many
//! connections, then one request on each.
//!
//! The loop runs on the calling thread; callers pin that thread away from
//! the server (see [`crate::sys::pin_current_thread`]).

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use eddy_poll::net::TcpStream;
use eddy_poll::{Events, Interest, Poll, Token};
use hdrhistogram::Histogram;

use crate::protocol::Protocol;

/// What [`run`] does.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The server to drive.
    pub addr: SocketAddr,
    /// Connections kept open (one request in flight on each).
    pub connections: usize,
    /// Time spent driving the server before measuring.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// What to send and expect.
    pub protocol: Protocol,
}

/// What [`run`] measured in its window.
#[derive(Debug)]
pub struct LoadResult {
    /// Exchanges completed and validated in the window.
    pub requests: u64,
    /// Connections that failed (bad reply, reset, close, refused).
    pub errors: u64,
    /// The first error seen, for the report's notes.
    pub first_error: Option<String>,
    /// Length of the measured window.
    pub elapsed: Duration,
    /// Latency of each exchange in the window, in nanoseconds.
    pub latency_ns: Histogram<u64>,
}

impl LoadResult {
    /// Exchanges per second.
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q` quantile (0..=1) of latency, in microseconds.
    pub fn latency_us(&self, q: f64) -> f64 {
        self.latency_ns.value_at_quantile(q) as f64 / 1000.0
    }
}

/// One client connection and the exchange in flight on it.
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    reply: Vec<u8>,
    written: usize,
    sent_at: Instant,
    alive: bool,
}

/// Connection state and counters shared by [`run`] and [`burst`].
#[derive(Debug)]
struct Client {
    poll: Poll,
    conns: Vec<Conn>,
    protocol: Protocol,
    errors: u64,
    first_error: Option<String>,
}

/// What one readiness event on a connection produced.
enum Progress {
    /// The reply is not complete yet.
    Waiting,
    /// A valid reply arrived; its latency.
    Replied(Duration),
    /// The connection failed and was closed.
    Failed,
}

impl Client {
    fn connect(addr: SocketAddr, n: usize, protocol: Protocol) -> io::Result<Client> {
        let poll = Poll::new()?;
        let mut conns = Vec::with_capacity(n);
        for i in 0..n {
            let std = std::net::TcpStream::connect(addr)
                .map_err(|e| io::Error::new(e.kind(), format!("connect {addr} (#{i}): {e}")))?;
            std.set_nodelay(true)?;
            std.set_nonblocking(true)?;
            let mut stream = TcpStream::from_std(std);
            poll.registry().register(
                &mut stream,
                Token(i),
                Interest::READABLE.add(Interest::WRITABLE),
            )?;
            conns.push(Conn {
                stream,
                reply: Vec::with_capacity(512),
                written: 0,
                sent_at: Instant::now(),
                alive: true,
            });
        }
        Ok(Client {
            poll,
            conns,
            protocol,
            errors: 0,
            first_error: None,
        })
    }

    fn fail(&mut self, i: usize, why: String) -> Progress {
        let conn = &mut self.conns[i];
        if conn.alive {
            conn.alive = false;
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.errors += 1;
            self.first_error.get_or_insert(why);
        }
        Progress::Failed
    }

    /// Starts a new exchange on connection `i`.
    fn send(&mut self, i: usize) -> Progress {
        let conn = &mut self.conns[i];
        conn.written = 0;
        conn.reply.clear();
        conn.sent_at = Instant::now();
        self.flush(i)
    }

    /// Writes what is left of the request on connection `i`.
    fn flush(&mut self, i: usize) -> Progress {
        let request = self.protocol.request();
        let conn = &mut self.conns[i];
        while conn.alive && conn.written < request.len() {
            match conn.stream.write(&request[conn.written..]) {
                Ok(n) => conn.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(i, format!("write: {e}")),
            }
        }
        Progress::Waiting
    }

    /// Reads what connection `i` has and checks for a whole reply.
    fn receive(&mut self, i: usize) -> Progress {
        let mut chunk = [0u8; 4096];
        loop {
            let conn = &mut self.conns[i];
            if !conn.alive {
                return Progress::Failed;
            }
            match conn.stream.read(&mut chunk) {
                Ok(0) => return self.fail(i, "server closed the connection".into()),
                Ok(n) => {
                    conn.reply.extend_from_slice(&chunk[..n]);
                    // A short read emptied the socket's receive queue: more
                    // data makes epoll report the socket again (an edge per
                    // arrival), so asking once more would only cost an
                    // EAGAIN read per reply, a syscall the servers under
                    // test do not make, leaving the client the bottleneck.
                    if n < chunk.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(i, format!("read: {e}")),
            }
        }
        let conn = &self.conns[i];
        match self.protocol.parse_reply(&conn.reply) {
            Ok(None) => Progress::Waiting,
            Ok(Some(n)) if n == conn.reply.len() => Progress::Replied(conn.sent_at.elapsed()),
            Ok(Some(_)) => self.fail(i, "bytes after the reply (unasked-for data)".into()),
            Err(e) => self.fail(i, format!("invalid reply: {e}")),
        }
    }

    fn on_event(&mut self, i: usize, readable: bool, writable: bool) -> Progress {
        if i >= self.conns.len() || !self.conns[i].alive {
            return Progress::Failed;
        }
        if writable && matches!(self.flush(i), Progress::Failed) {
            return Progress::Failed;
        }
        if readable {
            return self.receive(i);
        }
        Progress::Waiting
    }

    fn alive(&self) -> usize {
        self.conns.iter().filter(|c| c.alive).count()
    }
}

/// Drives the server at `cfg.addr`: warm-up, then `on_measure` is called
/// (to sample the server's CPU time), then the measured window.
pub fn run(cfg: &LoadConfig, on_measure: impl FnOnce()) -> io::Result<LoadResult> {
    let mut client = Client::connect(cfg.addr, cfg.connections, cfg.protocol)?;
    let mut events = Events::with_capacity(1024);
    let mut latency_ns =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds");
    let start = Instant::now();
    let measure_from = start + cfg.warmup;
    let end = measure_from + cfg.duration;
    let mut on_measure = Some(on_measure);
    let mut measuring = false;
    let mut requests = 0u64;
    let mut measure_start = measure_from;

    for i in 0..client.conns.len() {
        client.send(i);
    }
    loop {
        let now = Instant::now();
        if !measuring && now >= measure_from {
            measuring = true;
            if let Some(f) = on_measure.take() {
                f();
            }
            measure_start = Instant::now();
            client.errors = 0;
        }
        if now >= end {
            break;
        }
        if client.alive() == 0 {
            break;
        }
        let wait = if measuring {
            end - now
        } else {
            measure_from - now
        };
        client.poll.poll(&mut events, Some(wait))?;
        for event in events.iter() {
            let i = event.token().0;
            if let Progress::Replied(latency) = client.on_event(
                i,
                event.is_readable() || event.is_read_closed(),
                event.is_writable(),
            ) {
                if measuring {
                    requests += 1;
                    let _ = latency_ns.record((latency.as_nanos() as u64).max(1));
                }
                client.send(i);
            }
        }
    }
    Ok(LoadResult {
        requests,
        errors: client.errors,
        first_error: client.first_error,
        elapsed: Instant::now().saturating_duration_since(measure_start),
        latency_ns,
    })
}

/// What [`burst`] measured.
#[derive(Debug, Clone, Copy)]
pub struct BurstResult {
    /// Time to open every connection.
    pub connect: Duration,
    /// Time from sending one request on every connection until every reply
    /// arrived.
    pub requests: Duration,
    /// Connections that failed.
    pub errors: u64,
}

/// Opens `n` connections to `addr`, calls `on_idle` while they are all open
/// and idle, then sends one request on each and waits for every reply.
pub fn burst(
    addr: SocketAddr,
    n: usize,
    protocol: Protocol,
    on_idle: impl FnOnce(),
) -> io::Result<BurstResult> {
    let start = Instant::now();
    let mut client = Client::connect(addr, n, protocol)?;
    let connect = start.elapsed();
    on_idle();
    let mut events = Events::with_capacity(1024);
    let start = Instant::now();
    let mut pending = n;
    let mut done = vec![false; n];
    for (i, done) in done.iter_mut().enumerate() {
        if let Progress::Failed = client.send(i) {
            *done = true;
            pending -= 1;
        }
    }
    let give_up = start + Duration::from_secs(60);
    while pending > 0 {
        let now = Instant::now();
        if now >= give_up {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("burst to {addr}: {pending} of {n} replies missing after 60 s"),
            ));
        }
        client.poll.poll(&mut events, Some(give_up - now))?;
        for event in events.iter() {
            let i = event.token().0;
            if done.get(i).copied().unwrap_or(true) {
                continue;
            }
            let readable = event.is_readable() || event.is_read_closed();
            match client.on_event(i, readable, event.is_writable()) {
                Progress::Waiting => {}
                Progress::Replied(_) | Progress::Failed => {
                    done[i] = true;
                    pending -= 1;
                }
            }
        }
    }
    Ok(BurstResult {
        connect,
        requests: start.elapsed(),
        errors: client.errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{RESPONSE, RequestBuffer};
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A thread-per-connection server answering every request with `reply`.
    fn server(reply: &'static [u8]) -> SocketAddr {
        server_writing(reply, reply.len().max(1))
    }

    /// The same, writing each reply in pieces of `piece` bytes (with
    /// `TCP_NODELAY`, so each piece is its own segment).
    fn server_writing(reply: &'static [u8], piece: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                stream.set_nodelay(true).unwrap();
                std::thread::spawn(move || {
                    let mut requests = RequestBuffer::new();
                    loop {
                        let n = match stream.read(requests.spare()) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        for _ in 0..requests.filled(n).unwrap() {
                            for chunk in reply.chunks(piece) {
                                if stream.write_all(chunk).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        addr
    }

    fn config(addr: SocketAddr) -> LoadConfig {
        LoadConfig {
            addr,
            connections: 4,
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(100),
            protocol: Protocol::Http,
        }
    }

    #[test]
    fn counts_valid_replies_and_calls_back_once_measuring() {
        let addr = server(RESPONSE);
        let mut called = 0;
        let r = run(&config(addr), || called += 1).unwrap();
        assert_eq!(called, 1);
        assert!(r.requests > 0);
        assert_eq!(r.errors, 0);
        assert_eq!(r.latency_ns.len(), r.requests);
        assert!(r.latency_us(0.5) > 0.0);
    }

    #[test]
    fn a_wrong_body_is_an_error_not_a_request() {
        let addr = server(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world?");
        let r = run(&config(addr), || {}).unwrap();
        assert_eq!(r.requests, 0);
        assert!(r.first_error.unwrap().contains("body"));
    }

    /// A server writing each reply a byte at a time: the client stops
    /// reading at every short read and must still see every later byte
    /// (epoll reports each arrival), never stalling on a half reply.
    #[test]
    fn replies_trickled_byte_by_byte_still_complete() {
        let addr = server_writing(RESPONSE, 1);
        let r = run(&config(addr), || {}).unwrap();
        assert_eq!(r.errors, 0, "{:?}", r.first_error);
        assert!(r.requests > 0);
    }

    #[test]
    fn burst_gets_one_reply_per_connection() {
        let addr = server(RESPONSE);
        let mut idle = false;
        let r = burst(addr, 20, Protocol::Http, || idle = true).unwrap();
        assert!(idle);
        assert_eq!(r.errors, 0);
    }
}
