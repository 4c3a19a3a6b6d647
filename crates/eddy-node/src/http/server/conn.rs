//! One server connection's state machine.
//!
//! Bytes from the socket go into `buf`; [`process`] then takes one step
//! at a time until none is possible: parse a head (calling the handler),
//! decode body bytes (handing them to the request's data handler, keeping
//! up to [`BODY_PENDING_LIMIT`] for one set later, or discarding them once
//! the response ended), or start the next pipelined request once the
//! current response has ended. `process` never runs nested: a response
//! ended from inside a handler lets the running loop continue instead.
//!
//! Memory is bounded: a head over 16 KiB is refused (`431`), and reading
//! pauses while more than [`INPUT_LIMIT`] bytes wait (pipelined requests
//! behind an open response) or a body chunk waits for its consumer.
//!
//! Timeouts live in [`super::timeout`]; head parsing in [`super::head`].

use std::cell::RefCell;
use std::panic::Location;
use std::rc::Rc;

use super::ServerShared;
use super::head::{Head, ParsedHead, parse_head};
use super::request::Request;
use super::response::{Response, ResponseState};
use super::timeout::arm_timer;
use crate::http::MAX_HEAD_SIZE;
use crate::http::body::{BodyDecoder, BodyStep};
use crate::http::reason;
use crate::net::Socket;
use crate::timers::{self, Timeout};

/// Body bytes kept for a data handler not set yet; past it reading pauses.
pub(super) const BODY_PENDING_LIMIT: usize = 64 * 1024;
/// Received bytes kept while a response is open (pipelined requests);
/// past it reading pauses.
pub(super) const INPUT_LIMIT: usize = MAX_HEAD_SIZE + 64 * 1024;
/// The most body bytes handed to a data handler at once.
const MAX_DATA_PIECE: usize = 64 * 1024;

/// Where the request side of the connection is.
pub(super) enum ReadState {
    /// Waiting for (the rest of) a request head.
    Head,
    /// Reading the current request's body.
    Body(BodyDecoder),
    /// The current request's body is complete; the next head waits until
    /// the response has ended.
    Done,
}

/// A body data handler as the user gave it.
pub(super) type DataFn = Box<dyn FnMut(&[u8])>;
/// A body end handler as the user gave it.
pub(super) type EndFn = Box<dyn FnOnce()>;
type DataHandler = (DataFn, &'static Location<'static>);
type EndHandler = (EndFn, &'static Location<'static>);

/// The current request's body consumer.
#[derive(Default)]
struct BodyConsumer {
    data: Option<DataHandler>,
    end: Option<EndHandler>,
    /// Body bytes that arrived before a data handler was set.
    pending: Vec<u8>,
    /// The whole body has been decoded.
    complete: bool,
}

/// One connection (see the module docs).
pub(crate) struct Conn {
    pub(super) socket: Socket,
    pub(super) shared: Rc<ServerShared>,
    buf: Vec<u8>,
    pub(super) read: ReadState,
    /// The connection is finished: nothing more is read or answered.
    pub(super) closed: bool,
    in_process: bool,
    paused: bool,
    /// The server is closing: answer the current request, then end.
    close_after_response: bool,
    /// Numbers requests, so handles of an earlier request do nothing.
    pub(super) seq: u64,
    body: BodyConsumer,
    pub(super) res: ResponseState,
    /// Scratch for the response bytes of one write.
    pub(super) out: Vec<u8>,
    /// The last request's head buffer, reused once its `Request` is gone.
    spare_head: Option<Rc<Vec<u8>>>,
    pub(super) timer: Option<Timeout>,
    /// The loop time the timer is armed for.
    pub(super) armed_until: Option<u64>,
    /// When the awaited head began (connection start, or the first byte
    /// after a response); `None` while idle after a response.
    pub(super) head_since: Option<u64>,
    /// When the connection went idle after its last response.
    pub(super) idle_since: u64,
}

/// Sets up a freshly accepted connection.
pub(super) fn accept(socket: Socket, shared: Rc<ServerShared>) -> Rc<RefCell<Conn>> {
    let now = timers::loop_now();
    let conn = Rc::new(RefCell::new(Conn {
        socket: socket.clone(),
        shared,
        buf: Vec::new(),
        read: ReadState::Head,
        closed: false,
        in_process: false,
        paused: false,
        close_after_response: false,
        seq: 0,
        body: BodyConsumer::default(),
        res: ResponseState::default(),
        out: Vec::new(),
        spare_head: None,
        timer: None,
        armed_until: None,
        head_since: Some(now),
        idle_since: now,
    }));
    let c = Rc::clone(&conn);
    socket.on_data(move |chunk| on_bytes(&c, chunk));
    let c = Rc::clone(&conn);
    socket.on_close(move |_| {
        let (timer, body) = {
            let mut c = c.borrow_mut();
            c.closed = true;
            (c.timer.take(), std::mem::take(&mut c.body))
        };
        if let Some(timer) = timer {
            timers::clear_timeout(&timer);
        }
        drop(body); // user closures may hold the Request: break the cycle
    });
    // Errors (resets) just close the connection.
    socket.on_error(|_| {});
    arm_timer(&conn);
    conn
}

fn on_bytes(conn: &Rc<RefCell<Conn>>, chunk: &[u8]) {
    {
        let mut c = conn.borrow_mut();
        if c.closed {
            return;
        }
        if c.head_since.is_none() && matches!(c.read, ReadState::Head) {
            c.head_since = Some(timers::loop_now());
        }
        c.buf.extend_from_slice(chunk);
    }
    process(conn);
}

/// What [`process`] does next.
enum Step {
    /// Nothing possible until more bytes or a response end.
    Wait,
    /// Answer this status and close (bad request).
    Reject(u16),
    /// Call the handler (after `100 Continue` if the client waits for it).
    Request(Request, Response, bool),
    /// Hand `buf[..n]` to the data handler, then drop it.
    Data(usize),
    /// Call the end handler.
    End(EndHandler),
    /// The body is malformed after the response started: close.
    Destroy,
}

/// Runs every step possible now (never nested; see the module docs).
pub(super) fn process(conn: &Rc<RefCell<Conn>>) {
    if std::mem::replace(&mut conn.borrow_mut().in_process, true) {
        return;
    }
    /// Clears `in_process` even if a handler panics (the panic goes on to
    /// the loop's uncaught-panic report; the connection stays usable).
    struct Reset<'a>(&'a Rc<RefCell<Conn>>);
    impl Drop for Reset<'_> {
        fn drop(&mut self) {
            if let Ok(mut c) = self.0.try_borrow_mut() {
                c.in_process = false;
            }
        }
    }
    let reset = Reset(conn);
    loop {
        let step = next_step(conn);
        match step {
            Step::Wait => break,
            Step::Reject(status) => {
                reject(conn, status);
                break;
            }
            Step::Destroy => {
                let socket = {
                    let mut c = conn.borrow_mut();
                    c.closed = true;
                    c.socket.clone()
                };
                socket.destroy();
                break;
            }
            Step::Request(request, response, expect_continue) => {
                let (shared, socket) = {
                    let c = conn.borrow();
                    (Rc::clone(&c.shared), c.socket.clone())
                };
                if expect_continue {
                    // As Node without a 'checkContinue' listener: let the
                    // client send its body at once.
                    socket.write(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                let mut handler = shared.handler.borrow_mut();
                (handler)(request, response);
            }
            Step::Data(n) => deliver(conn, n),
            Step::End((end, _site)) => end(),
        }
    }
    drop(reset);
    flow_control(conn);
    arm_timer(conn);
}

/// Decides the next step; mutates only the connection's bookkeeping.
fn next_step(conn: &Rc<RefCell<Conn>>) -> Step {
    let mut guard = conn.borrow_mut();
    let c = &mut *guard;
    loop {
        if c.closed {
            return Step::Wait;
        }
        match &mut c.read {
            ReadState::Head => {
                if c.buf.is_empty() {
                    return Step::Wait;
                }
                return match parse_head(&c.buf) {
                    Head::Incomplete => Step::Wait,
                    Head::Reject(status) => Step::Reject(status),
                    Head::Complete(head) => start_request(conn, c, head),
                };
            }
            ReadState::Body(decoder) => {
                let responding = !c.res.ended;
                if c.body.data.is_none() && responding && c.body.pending.len() >= BODY_PENDING_LIMIT
                {
                    return Step::Wait; // flow_control pauses reading
                }
                let input = &c.buf[..c.buf.len().min(MAX_DATA_PIECE)];
                match decoder.step(input) {
                    Ok(BodyStep::NeedMore) => return Step::Wait,
                    Ok(BodyStep::Skip(n)) => {
                        c.buf.drain(..n);
                    }
                    Ok(BodyStep::Data(n)) => {
                        let has_handler = c.body.data.is_some();
                        if has_handler && c.body.pending.is_empty() {
                            return Step::Data(n);
                        }
                        // Kept for a handler still to come (or behind the
                        // bytes its catch-up will deliver first); once the
                        // response ended with no handler, nobody will read.
                        if has_handler || responding {
                            c.body.pending.extend_from_slice(&c.buf[..n]);
                        }
                        c.buf.drain(..n);
                    }
                    Ok(BodyStep::Done(n)) => {
                        c.buf.drain(..n);
                        c.read = ReadState::Done;
                        c.body.complete = true;
                        if c.body.pending.is_empty()
                            && let Some(end) = c.body.end.take()
                        {
                            return Step::End(end);
                        }
                    }
                    Err(_) if !c.res.head_sent => return Step::Reject(400),
                    Err(_) => return Step::Destroy,
                }
            }
            ReadState::Done => {
                if !c.res.ended {
                    return Step::Wait;
                }
                c.read = ReadState::Head;
                let now = timers::loop_now();
                if c.buf.is_empty() {
                    c.head_since = None;
                    c.idle_since = now;
                } else {
                    c.head_since = Some(now);
                }
            }
        }
    }
}

/// Turns a parsed head into the next request and its response.
fn start_request(conn: &Rc<RefCell<Conn>>, c: &mut Conn, head: ParsedHead) -> Step {
    c.seq += 1;
    // Reuse the last request's head buffer if its handler dropped it.
    let mut bytes = match c.spare_head.take() {
        Some(spare) if Rc::strong_count(&spare) == 1 && Rc::weak_count(&spare) == 0 => spare,
        _ => Rc::new(Vec::new()),
    };
    if let Some(buf) = Rc::get_mut(&mut bytes) {
        buf.clear();
        buf.extend_from_slice(&c.buf[..head.len]);
    }
    c.spare_head = Some(Rc::clone(&bytes));
    let request = Request::new(
        bytes,
        head.method.clone(),
        head.url,
        head.version,
        Rc::clone(conn),
        c.seq,
    );
    let head_request = &c.buf[head.method] == b"HEAD";
    c.buf.drain(..head.len);
    c.head_since = None;
    c.body = BodyConsumer::default();
    let decoder = BodyDecoder::new(head.framing);
    c.read = if decoder == BodyDecoder::Length(0) {
        c.body.complete = true;
        ReadState::Done
    } else {
        ReadState::Body(decoder)
    };
    let keep_alive = head.keep_alive && !c.close_after_response;
    c.res.start(keep_alive, head.version == 0, head_request);
    Step::Request(
        request,
        Response::new(Rc::clone(conn), c.seq),
        head.expect_continue,
    )
}

/// Hands `buf[..n]` to the data handler (taken out while it runs).
fn deliver(conn: &Rc<RefCell<Conn>>, n: usize) {
    let (buf, handler) = {
        let mut c = conn.borrow_mut();
        let handler = c.body.data.take();
        (std::mem::take(&mut c.buf), handler)
    };
    let Some((mut f, site)) = handler else { return };
    f(&buf[..n]);
    let mut c = conn.borrow_mut();
    let arrived = std::mem::replace(&mut c.buf, buf);
    c.buf.drain(..n);
    c.buf.extend_from_slice(&arrived);
    if c.body.data.is_none() && !c.closed {
        c.body.data = Some((f, site));
    }
}

/// Sets the current request's body handlers (stale `seq`: ignored). Body
/// bytes or an end that came before are delivered from a next tick.
pub(super) fn set_body_handlers(
    conn: &Rc<RefCell<Conn>>,
    seq: u64,
    data: Option<DataFn>,
    end: Option<EndFn>,
    site: &'static Location<'static>,
) {
    let catch_up = {
        let mut c = conn.borrow_mut();
        if c.seq != seq || c.closed {
            return;
        }
        if let Some(f) = data {
            c.body.data = Some((f, site));
        }
        if let Some(f) = end {
            c.body.end = Some((f, site));
        }
        !c.body.pending.is_empty() || (c.body.complete && c.body.end.is_some()) || c.paused
    };
    if catch_up {
        let conn = Rc::clone(conn);
        crate::next_tick(move || catch_up_body(&conn, seq));
    }
}

/// Delivers body bytes kept for a late data handler, then the end if it
/// came, then lets the connection go on.
fn catch_up_body(conn: &Rc<RefCell<Conn>>, seq: u64) {
    let (pending, handler) = {
        let mut c = conn.borrow_mut();
        if c.seq != seq || c.closed {
            return;
        }
        if c.body.data.is_some() {
            (std::mem::take(&mut c.body.pending), c.body.data.take())
        } else {
            (Vec::new(), None)
        }
    };
    if let Some((mut f, site)) = handler {
        if !pending.is_empty() {
            f(&pending);
        }
        let mut c = conn.borrow_mut();
        if c.body.data.is_none() && !c.closed {
            c.body.data = Some((f, site));
        }
    }
    let end = {
        let mut c = conn.borrow_mut();
        if c.body.complete && c.body.pending.is_empty() {
            c.body.end.take()
        } else {
            None
        }
    };
    if let Some((end, _)) = end {
        end();
    }
    process(conn);
}

/// Pauses reading while input piles up, resumes once it drained.
fn flow_control(conn: &Rc<RefCell<Conn>>) {
    let mut c = conn.borrow_mut();
    if c.closed {
        return;
    }
    let waiting_consumer = matches!(c.read, ReadState::Body(_))
        && c.body.data.is_none()
        && !c.res.ended
        && c.body.pending.len() >= BODY_PENDING_LIMIT;
    let full = waiting_consumer || c.buf.len() >= INPUT_LIMIT;
    if full && !c.paused {
        c.paused = true;
        c.socket.pause();
    } else if !full && c.paused {
        c.paused = false;
        c.socket.resume();
    }
}

/// Answers `status` and closes (a bad request, or a headers timeout).
pub(super) fn reject(conn: &Rc<RefCell<Conn>>, status: u16) {
    let socket = {
        let mut c = conn.borrow_mut();
        c.closed = true;
        c.buf = Vec::new();
        c.socket.clone()
    };
    let head = format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        reason(status)
    );
    socket.end(head);
}

/// The response of the current request ended (its bytes are written):
/// close, or go on with the next request.
pub(super) fn response_ended(conn: &Rc<RefCell<Conn>>, keep_alive: bool) {
    if !keep_alive {
        let mut c = conn.borrow_mut();
        c.closed = true;
        c.body = BodyConsumer::default();
        return;
    }
    process(conn);
}

/// Ends an idle connection (keep-alive timeout).
pub(super) fn end_idle(conn: &Rc<RefCell<Conn>>) {
    let socket = {
        let mut c = conn.borrow_mut();
        c.closed = true;
        c.socket.clone()
    };
    socket.end("");
}

/// Server closing: end the connection now if idle, else after its response.
pub(super) fn close_when_idle(conn: &Rc<RefCell<Conn>>) {
    let socket = {
        let mut c = conn.borrow_mut();
        let idle = matches!(c.read, ReadState::Head) && c.res.ended && c.buf.is_empty();
        if c.closed || !idle {
            c.close_after_response = true;
            c.res.keep_alive = false;
            return;
        }
        c.closed = true;
        c.socket.clone()
    };
    socket.end("");
}
