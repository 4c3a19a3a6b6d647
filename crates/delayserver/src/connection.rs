//! [`Connection`]: one client's state machine, driven by readiness events
//! and timer expiries from the [`event_loop`](crate::event_loop).
//!
//! # States
//!
//! ```text
//!            requests in, responses out when due
//!   accept ─▶ Serving ─────────────────────────────┐
//!               │ peer shut down its sending half  │ a response says
//!               ▼                                  ▼ `Connection: close`
//!             answer what is queued, then close   answer what is queued, then
//!                                                 shut down writing and linger
//!                                                 (discard input until the peer
//!                                                 closes or LINGER passes), close
//! ```
//!
//! Lingering matters: closing a socket with unread input makes the kernel
//! send a reset, which can destroy the response still in flight to the
//! client (a 400 or 431 answering a request the client is still sending).
//!
//! # Edge-triggered discipline
//!
//! `read_ready` / `write_ready` remember readiness between events: an event
//! sets them, and only a `WouldBlock` (or a read shorter than asked for,
//! which proves the socket empty) clears them. When the connection stops
//! reading with the socket still readable (its queue of pending responses is
//! full) the flag stays set, so it resumes reading as soon as there is room,
//! without waiting for an edge that will never come.
//!
//! # Bounds
//!
//! Per connection: at most [`MAX_PIPELINED`] parsed requests waiting for
//! their delay, an input buffer of at most [`INPUT_LIMIT`] bytes (allocated
//! only while a request is split across reads), and output that stops
//! growing at [`OUTPUT_HIGH_WATER`] bytes until the client reads. Past those
//! limits the connection stops reading and TCP flow control pushes back on
//! the client. A client that neither sends nor reads for the idle timeout is
//! disconnected.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::mem;
use std::net::Shutdown;
use std::time::{Duration, Instant};

use eddy_poll::event::Event;
use eddy_poll::net::TcpStream;

use crate::log::RequestLog;
use crate::request::{self, MAX_HEAD_BYTES, Parsed, Route};
use crate::response::{DateCache, Response};
use crate::timers::deadline_after;

/// Most parsed requests one connection may have waiting for their delay;
/// past this it stops reading until the oldest is answered.
pub(crate) const MAX_PIPELINED: usize = 32;

/// Most unparsed input bytes kept per connection: room for one head at the
/// size limit and the start of the next.
pub(crate) const INPUT_LIMIT: usize = 2 * MAX_HEAD_BYTES;

/// Once this many bytes wait to be written, due responses stay queued until
/// the client reads.
pub(crate) const OUTPUT_HIGH_WATER: usize = 16 * 1024;

/// Output buffers larger than this are freed, not kept, once written.
const OUTPUT_KEEP: usize = 4 * 1024;

/// How long a closing connection keeps reading (and discarding) input so
/// that its last response is not destroyed by a reset.
pub(crate) const LINGER: Duration = Duration::from_secs(2);

/// Most bytes discarded while lingering before giving up and closing.
const LINGER_MAX_BYTES: usize = 1024 * 1024;

/// What the event loop should do with a connection after driving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Keep it and arm its next deadline.
    Keep,
    /// Close it (drop the socket).
    Close,
}

/// Everything a connection borrows from the loop while it is driven.
#[derive(Debug)]
pub(crate) struct Context {
    /// The largest delay a request may ask for, in milliseconds.
    pub(crate) max_delay_ms: u64,
    /// How long a client may leave the connection without progress.
    pub(crate) idle_timeout: Duration,
    /// The request log.
    pub(crate) log: RequestLog,
    /// The `Date` header value.
    pub(crate) date: DateCache,
    /// Scratch space every read lands in first (one for the whole loop, so
    /// an idle connection owns no input buffer).
    pub(crate) scratch: Box<[u8]>,
}

/// A request parsed and waiting for its delay.
#[derive(Debug)]
struct Pending {
    /// When the response may be written.
    due: Instant,
    /// What to write.
    response: Response,
}

/// One client connection.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    /// Distinguishes this connection from earlier ones in the same slot.
    pub(crate) serial: u64,
    /// The deadline of this connection's live timer entry, if any.
    pub(crate) armed: Option<Instant>,
    /// Input bytes not yet parsed (only a request split across reads).
    input: Vec<u8>,
    /// Bytes of a request body still to be read and discarded.
    body_left: u64,
    /// Parsed requests waiting for their delay, oldest first.
    pending: VecDeque<Pending>,
    /// Serialised responses; `output[written..]` is still to be sent.
    output: Vec<u8>,
    written: usize,
    /// The socket may have input: set by events, cleared by `WouldBlock`.
    read_ready: bool,
    /// The socket may take output: set by events, cleared by `WouldBlock`.
    write_ready: bool,
    /// An event reported the peer's end of stream (or an error): reads go
    /// on until they return it.
    end_reported: bool,
    /// The peer shut down its sending half: no more requests will come.
    peer_done: bool,
    /// A queued response closes the connection: stop reading requests.
    closing: bool,
    /// Set once the last response is sent and writing is shut down.
    linger_until: Option<Instant>,
    /// Bytes discarded while lingering.
    lingered: usize,
    /// The last time bytes moved in either direction (or the accept).
    last_activity: Instant,
}

impl Connection {
    /// A freshly accepted connection. It counts as readable and writable
    /// until the socket says otherwise.
    pub(crate) fn new(stream: TcpStream, serial: u64, now: Instant) -> Connection {
        Connection {
            stream,
            serial,
            armed: None,
            input: Vec::new(),
            body_left: 0,
            pending: VecDeque::new(),
            output: Vec::new(),
            written: 0,
            read_ready: true,
            write_ready: true,
            end_reported: false,
            peer_done: false,
            closing: false,
            linger_until: None,
            lingered: 0,
            last_activity: now,
        }
    }

    /// Handles a readiness event.
    pub(crate) fn on_event(&mut self, event: &Event, ctx: &mut Context, now: Instant) -> Verdict {
        // Errors and hang-ups are read as readiness: the next read or write
        // returns the error (or end of stream) and the connection closes.
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            self.read_ready = true;
        }
        if event.is_read_closed() || event.is_error() {
            self.end_reported = true;
        }
        if event.is_writable() || event.is_write_closed() || event.is_error() {
            self.write_ready = true;
        }
        self.drive(ctx, now)
    }

    /// Handles the expiry of this connection's armed deadline.
    pub(crate) fn on_timer(&mut self, ctx: &mut Context, now: Instant) -> Verdict {
        if self.linger_until.is_some_and(|until| now >= until) {
            return Verdict::Close;
        }
        if self.waiting_on_peer() && now >= deadline_after(self.last_activity, ctx.idle_timeout) {
            return Verdict::Close;
        }
        self.drive(ctx, now)
    }

    /// When this connection next needs the loop's attention: its oldest
    /// response's due time, its idle deadline, or the end of its linger.
    pub(crate) fn next_deadline(&self, idle_timeout: Duration) -> Instant {
        if let Some(until) = self.linger_until {
            return until;
        }
        let idle = deadline_after(self.last_activity, idle_timeout);
        if self.has_output() && !self.write_ready {
            // Stuck until the client reads: only a writable event helps,
            // whatever is due meanwhile (waking for it would spin).
            return idle;
        }
        // After `drive`, a response still queued with the socket writable
        // is one whose delay has not yet run out.
        self.pending.front().map_or(idle, |next| next.due)
    }

    /// Whether progress depends on the client (sending a request or reading
    /// our output) rather than on a delay of ours; only then can the
    /// connection time out.
    fn waiting_on_peer(&self) -> bool {
        self.pending.is_empty() || (self.has_output() && !self.write_ready)
    }

    fn has_output(&self) -> bool {
        self.written < self.output.len()
    }

    /// Moves the connection as far as it can go without blocking.
    fn drive(&mut self, ctx: &mut Context, now: Instant) -> Verdict {
        if self.linger_until.is_some() {
            return self.linger(ctx);
        }
        loop {
            let read = match self.read_requests(ctx, now) {
                Ok(progress) => progress,
                Err(_) => return Verdict::Close,
            };
            // Requests just read were stamped after `now`: a 0 ms delay is
            // due by the clock's current reading, not the loop's.
            let staged = self.stage_due_responses(&mut ctx.date, Instant::now());
            let wrote = match self.write_output(now) {
                Ok(progress) => progress,
                Err(_) => return Verdict::Close,
            };
            if !(read || staged || wrote) {
                break;
            }
        }
        if !self.pending.is_empty() || self.has_output() {
            return Verdict::Keep;
        }
        if self.peer_done {
            Verdict::Close
        } else if self.closing {
            self.start_linger(ctx, now)
        } else {
            Verdict::Keep
        }
    }

    /// Whether new requests are read: not after the peer finished sending
    /// or a closing response was queued, nor while the queue is full.
    fn accepts_requests(&self) -> bool {
        !self.peer_done && !self.closing && self.pending.len() < MAX_PIPELINED
    }

    /// Parses buffered input, then reads and parses until the socket is
    /// drained or the queue is full. Returns whether anything was parsed.
    fn read_requests(&mut self, ctx: &mut Context, now: Instant) -> io::Result<bool> {
        let mut progress = false;
        if !self.input.is_empty() {
            progress |= self.parse_buffered(ctx, now);
        }
        while self.read_ready && self.accepts_requests() {
            let room = INPUT_LIMIT.saturating_sub(self.input.len());
            if room == 0 {
                break;
            }
            let mut scratch = mem::take(&mut ctx.scratch);
            let limit = room.min(scratch.len());
            let result = (&self.stream).read(&mut scratch[..limit]);
            match result {
                Ok(0) => {
                    self.peer_done = true;
                    self.read_ready = false;
                }
                Ok(n) => {
                    // A short read emptied the socket: with edge-triggered
                    // readiness, more data will come with a new event, so
                    // skip the read that would only say `WouldBlock`. Not
                    // if the end of stream was reported: no event follows
                    // it, so read on until it shows up as `Ok(0)`.
                    if n < limit && !self.end_reported {
                        self.read_ready = false;
                    }
                    // Delays count from now, not from when the loop woke:
                    // the bytes may have arrived after that.
                    let read_at = Instant::now();
                    self.last_activity = read_at;
                    if self.input.is_empty() {
                        // The common case: parse straight from the scratch
                        // space and keep only an incomplete tail.
                        let used = self.consume(&scratch[..n], ctx, read_at);
                        progress |= used > 0;
                        if !self.closing {
                            self.input.extend_from_slice(&scratch[used..n]);
                        }
                    } else {
                        self.input.extend_from_slice(&scratch[..n]);
                        progress |= self.parse_buffered(ctx, read_at);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.read_ready = false,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    ctx.scratch = scratch;
                    return Err(e);
                }
            }
            ctx.scratch = scratch;
        }
        Ok(progress)
    }

    /// Parses what `input` holds and drops the consumed bytes.
    fn parse_buffered(&mut self, ctx: &mut Context, now: Instant) -> bool {
        let input = mem::take(&mut self.input);
        let used = self.consume(&input, ctx, now);
        if !self.closing && used < input.len() {
            self.input = input;
            self.input.drain(..used);
        }
        used > 0
    }

    /// Consumes requests (and bodies to discard) from the front of `data`,
    /// queueing a response for each. Returns how many bytes were used.
    fn consume(&mut self, data: &[u8], ctx: &mut Context, now: Instant) -> usize {
        let mut used = 0;
        while used < data.len() && self.accepts_requests() {
            if self.body_left > 0 {
                let skip = self.body_left.min((data.len() - used) as u64);
                self.body_left -= skip;
                used += skip as usize;
                continue;
            }
            match request::parse(&data[used..], ctx.max_delay_ms) {
                Parsed::Partial => break,
                Parsed::Invalid(status) => {
                    // The framing is lost: answer, then close, ignoring
                    // whatever else the client sent.
                    self.queue(now, request::invalid_response(status));
                    return data.len();
                }
                Parsed::Complete(request) => {
                    used += request.head_len;
                    self.body_left = request.body_len;
                    if let Route::Delayed { delay_ms, message } = &request.route {
                        ctx.log.record(*delay_ms, message);
                    }
                    let due = deadline_after(now, request.delay());
                    let response = request.into_response();
                    self.queue(due, response);
                }
            }
        }
        used
    }

    fn queue(&mut self, due: Instant, response: Response) {
        self.closing |= response.closes();
        self.pending.push_back(Pending { due, response });
    }

    /// Serialises due responses, oldest first, while the output buffer has
    /// room. A response never overtakes an older one that is not yet due.
    fn stage_due_responses(&mut self, date: &mut DateCache, now: Instant) -> bool {
        let mut progress = false;
        while self.output.len() - self.written < OUTPUT_HIGH_WATER {
            match self.pending.front() {
                Some(next) if next.due <= now => {}
                _ => break,
            }
            let Some(next) = self.pending.pop_front() else {
                break;
            };
            next.response.write_to(date.now(), &mut self.output);
            progress = true;
        }
        progress
    }

    /// Writes output until it is all sent or the socket is full.
    fn write_output(&mut self, now: Instant) -> io::Result<bool> {
        let mut progress = false;
        while self.write_ready && self.has_output() {
            match (&self.stream).write(&self.output[self.written..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.written += n;
                    self.last_activity = now;
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.write_ready = false,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if !self.has_output() && !self.output.is_empty() {
            self.written = 0;
            if self.output.capacity() > OUTPUT_KEEP {
                self.output = Vec::new();
            } else {
                self.output.clear();
            }
        }
        Ok(progress)
    }

    /// Everything is answered and the connection must close: shut down
    /// writing (the client sees end of stream after our last response) and
    /// discard its input until it closes too.
    fn start_linger(&mut self, ctx: &mut Context, now: Instant) -> Verdict {
        if self.stream.shutdown(Shutdown::Write).is_err() {
            return Verdict::Close;
        }
        self.input = Vec::new();
        self.linger_until = Some(now + LINGER);
        self.read_ready = true;
        self.linger(ctx)
    }

    /// Reads and discards input while lingering; closes at end of stream,
    /// on an error or once too much was discarded.
    fn linger(&mut self, ctx: &mut Context) -> Verdict {
        while self.read_ready {
            match (&self.stream).read(&mut ctx.scratch) {
                Ok(0) => return Verdict::Close,
                Ok(n) => {
                    self.lingered += n;
                    if self.lingered > LINGER_MAX_BYTES {
                        return Verdict::Close;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.read_ready = false,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Verdict::Close,
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Status;

    /// A connection around the accepted end of a loopback pair, and the
    /// client end.
    fn pair() -> (Connection, std::net::TcpStream) {
        let listener = eddy_poll::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        // A blocking connect has finished the handshake: the connection
        // is already waiting in the backlog.
        let (stream, _) = listener.accept().expect("accept the connected client");
        (Connection::new(stream, 7, Instant::now()), client)
    }

    fn context() -> Context {
        Context {
            max_delay_ms: 60_000,
            idle_timeout: Duration::from_secs(60),
            log: RequestLog::new(None),
            date: DateCache::new(),
            scratch: vec![0; INPUT_LIMIT].into_boxed_slice(),
        }
    }

    #[test]
    fn consume_queues_pipelined_requests_in_order() {
        let (mut conn, _client) = pair();
        let mut ctx = context();
        let now = Instant::now();
        let input = b"GET /30/a HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /0/c HTT";
        let used = conn.consume(input, &mut ctx, now);
        assert_eq!(used, input.len() - b"GET /0/c HTT".len(), "the tail waits");
        let statuses: Vec<Status> = conn.pending.iter().map(|p| p.response.status).collect();
        assert_eq!(statuses, [Status::Ok, Status::NotFound]);
        assert_eq!(conn.pending[0].due, now + Duration::from_millis(30));
        assert_eq!(conn.pending[1].due, now);
        assert!(!conn.closing);
    }

    #[test]
    fn consume_skips_bodies_even_across_calls() {
        let (mut conn, _client) = pair();
        let mut ctx = context();
        let now = Instant::now();
        let first = b"GET /0/a HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234";
        assert_eq!(conn.consume(first, &mut ctx, now), first.len());
        assert_eq!(conn.body_left, 5);
        let second = b"56789GET /0/b HTTP/1.1\r\n\r\n";
        assert_eq!(conn.consume(second, &mut ctx, now), second.len());
        assert_eq!(conn.pending.len(), 2);
        assert_eq!(conn.pending[1].response.body, "b");
    }

    #[test]
    fn invalid_input_queues_a_closing_answer_and_drops_the_rest() {
        let (mut conn, _client) = pair();
        let mut ctx = context();
        let input = b"GET /0/a HTTP/1.1\r\n\r\n\x00garbage\r\n\r\nGET /0/b HTTP/1.1\r\n\r\n";
        assert_eq!(conn.consume(input, &mut ctx, Instant::now()), input.len());
        assert_eq!(conn.pending.len(), 2);
        assert_eq!(conn.pending[1].response.status, Status::BadRequest);
        assert!(conn.closing && !conn.accepts_requests());
    }

    #[test]
    fn consume_stops_at_the_pipelining_limit() {
        let (mut conn, _client) = pair();
        let mut ctx = context();
        let input = b"GET /0/x HTTP/1.1\r\n\r\n".repeat(MAX_PIPELINED + 5);
        let used = conn.consume(&input, &mut ctx, Instant::now());
        assert_eq!(conn.pending.len(), MAX_PIPELINED);
        assert_eq!(used, input.len() / (MAX_PIPELINED + 5) * MAX_PIPELINED);
    }

    #[test]
    fn a_blocked_writer_waits_for_the_client_not_for_due_responses() {
        // The loop must not wake for a response it cannot send: that spun.
        let (mut conn, _client) = pair();
        let ctx = context();
        let past = Instant::now();
        conn.output = vec![b'x'; 10];
        conn.write_ready = false;
        conn.queue(past, request::invalid_response(Status::BadRequest));
        let idle = deadline_after(conn.last_activity, ctx.idle_timeout);
        assert!(conn.waiting_on_peer());
        assert_eq!(conn.next_deadline(ctx.idle_timeout), idle);

        // Writable again: the due response is what matters.
        conn.write_ready = true;
        assert!(!conn.waiting_on_peer());
        assert_eq!(conn.next_deadline(ctx.idle_timeout), past);
    }

    #[test]
    fn drive_answers_a_zero_delay_request_at_once() {
        let (mut conn, mut client) = pair();
        let mut ctx = context();
        client.write_all(b"GET /0/now HTTP/1.1\r\n\r\n").unwrap();
        // Wait for the request to cross loopback, as the loop would.
        let mut poll = eddy_poll::Poll::new().unwrap();
        let mut events = eddy_poll::Events::with_capacity(4);
        poll.registry()
            .register(
                &mut conn.stream,
                eddy_poll::Token(0),
                eddy_poll::Interest::READABLE,
            )
            .unwrap();
        while events.is_empty() {
            poll.poll(&mut events, Some(Duration::from_secs(20)))
                .unwrap();
        }
        assert_eq!(conn.drive(&mut ctx, Instant::now()), Verdict::Keep);
        assert!(conn.pending.is_empty() && !conn.has_output());
        let mut response = [0u8; 15];
        client.read_exact(&mut response).unwrap();
        assert_eq!(&response, b"HTTP/1.1 200 OK");
    }
}
