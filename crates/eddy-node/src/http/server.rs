//! The HTTP/1.1 server: [`create_server`] parses requests on each accepted
//! socket with `httparse` and calls the handler with a [`Request`] (body
//! read whole) and a [`Response`] to answer with.
//!
//! Keep-alive is the HTTP/1.1 default; pipelined requests are answered in
//! order, one at a time. Heads over 16 KiB get `431`, anything malformed
//! `400`, bodies over [`MAX_BODY`] `413`; each of those closes the
//! connection. No input makes the server panic (a random-input test checks).
//!
//! A keep-alive connection left idle after a response is ended after the
//! server's keep-alive timeout (Node's `server.keepAliveTimeout`, 5 s by
//! default; see [`Server::set_keep_alive_timeout`]). That timer is unref'd:
//! the listening server, not its idle connections, keeps the loop alive.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use super::body::{Framing, decode_chunked, encode_chunk, framing};
use super::{MAX_HEAD_SIZE, MAX_HEADERS, reason};
use crate::Error;
use crate::net::{self, Socket};
use crate::timers::{self, Timeout};

/// Node's default `server.keepAliveTimeout` (5 s).
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_millis(5000);

/// The largest request body the server buffers (8 MiB); more gets `413`.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// A parsed request, body included.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`…
    pub method: String,
    /// The request target, e.g. `/path?query`.
    pub url: String,
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub version: u8,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The whole body (de-chunked).
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        super::find_header(&self.headers, name)
    }
}

struct Conn {
    socket: Socket,
    buf: Vec<u8>,
    /// A response is in progress: later requests wait in `buf`.
    busy: bool,
    done: bool,
    /// `process` is on the stack: a synchronous `end` lets it continue
    /// instead of re-entering it.
    in_process: bool,
    /// The server is closing: answer the current request, then end.
    close_after_response: bool,
    /// Ends the connection if it stays idle after a response.
    idle_timer: Option<Timeout>,
    /// The server's keep-alive timeout in ms (0: none), shared.
    keep_alive_ms: Rc<Cell<u64>>,
}

type Handler = Rc<RefCell<Box<dyn FnMut(Request, Response)>>>;

/// An HTTP server (Node's `http.Server`).
#[derive(Clone)]
pub struct Server {
    net: net::Server,
    conns: Rc<RefCell<Vec<std::rc::Weak<RefCell<Conn>>>>>,
    keep_alive_ms: Rc<Cell<u64>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("net", &self.net)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `addr` and starts serving; `cb` runs as a next tick with the
    /// bound address or the error.
    #[track_caller]
    pub fn listen(&self, addr: &str, cb: impl FnOnce(Result<SocketAddr, Error>) + 'static) {
        self.net.listen(addr, cb);
    }

    /// The bound address, once listening.
    pub fn address(&self) -> Option<SocketAddr> {
        self.net.address()
    }

    /// Stops accepting and ends idle keep-alive connections (as Node 19+);
    /// busy ones end after their response. `cb` runs once all have closed.
    #[track_caller]
    pub fn close(&self, cb: impl FnOnce() + 'static) {
        self.net.close(cb);
        for conn in self.conns.borrow_mut().drain(..) {
            let Some(conn) = conn.upgrade() else { continue };
            let mut c = conn.borrow_mut();
            if !c.busy && !c.done {
                c.done = true;
                c.socket.end("");
            } else {
                c.close_after_response = true;
            }
        }
    }

    /// Lets the loop exit while the server listens.
    pub fn unref(&self) -> &Self {
        self.net.unref();
        self
    }

    /// Sets how long a keep-alive connection may stay idle after a
    /// response before the server ends it (Node's `server.keepAliveTimeout`;
    /// [`DEFAULT_KEEP_ALIVE_TIMEOUT`] by default; zero disables it). It
    /// applies from the next idle period on.
    ///
    /// ```
    /// use std::time::Duration;
    /// eddy_node::run(|| {
    ///     let server = eddy_node::http::create_server(|_req, res| res.end("hi"));
    ///     server.set_keep_alive_timeout(Duration::from_secs(1));
    ///     assert_eq!(server.keep_alive_timeout(), Duration::from_secs(1));
    /// })?;
    /// # Ok::<(), eddy_node::Error>(())
    /// ```
    pub fn set_keep_alive_timeout(&self, timeout: Duration) -> &Self {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(timers::TIMEOUT_MAX);
        self.keep_alive_ms.set(ms.min(timers::TIMEOUT_MAX));
        self
    }

    /// The keep-alive idle timeout (see [`Server::set_keep_alive_timeout`]).
    pub fn keep_alive_timeout(&self) -> Duration {
        Duration::from_millis(self.keep_alive_ms.get())
    }

    /// The number of open connections.
    pub fn connections(&self) -> usize {
        self.net.connections()
    }
}

/// An HTTP server calling `handler` for each request (Node's
/// `http.createServer`).
///
/// ```
/// use eddy_node::http;
/// eddy_node::run(|| {
///     let server = http::create_server(|_req, res| res.end("hello"));
///     let srv = server.clone();
///     server.listen("127.0.0.1:0", move |addr| {
///         let url = format!("http://{}/", addr.unwrap());
///         http::get(&url, move |res| {
///             assert_eq!(res.unwrap().body, b"hello");
///             srv.close(|| {});
///         });
///     });
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
#[track_caller]
pub fn create_server(handler: impl FnMut(Request, Response) + 'static) -> Server {
    let handler: Handler = Rc::new(RefCell::new(Box::new(handler)));
    let conns: Rc<RefCell<Vec<std::rc::Weak<RefCell<Conn>>>>> = Rc::default();
    let registry = Rc::clone(&conns);
    let keep_alive_ms = Rc::new(Cell::new(DEFAULT_KEEP_ALIVE_TIMEOUT.as_millis() as u64));
    let timeout_ms = Rc::clone(&keep_alive_ms);
    let net = net::create_server(move |socket| {
        let conn = Rc::new(RefCell::new(Conn {
            socket: socket.clone(),
            buf: Vec::new(),
            busy: false,
            done: false,
            in_process: false,
            close_after_response: false,
            idle_timer: None,
            keep_alive_ms: Rc::clone(&timeout_ms),
        }));
        {
            let mut list = registry.borrow_mut();
            list.retain(|c| c.strong_count() > 0);
            list.push(Rc::downgrade(&conn));
        }
        let (c, h) = (Rc::clone(&conn), Rc::clone(&handler));
        socket.on_data(move |chunk| {
            stop_idle_timer(&c);
            c.borrow_mut().buf.extend_from_slice(chunk);
            process(&c, &h);
        });
        let c = Rc::clone(&conn);
        socket.on_close(move |_| {
            stop_idle_timer(&c);
            c.borrow_mut().done = true;
        });
        // Errors (resets) just close the connection.
        socket.on_error(|_| {});
    });
    net.set_no_delay(true);
    Server {
        net,
        conns,
        keep_alive_ms,
    }
}

/// Starts the keep-alive timer if the connection is idle: not answering,
/// not closing, nothing buffered.
fn start_idle_timer(conn: &Rc<RefCell<Conn>>) {
    let ms = {
        let c = conn.borrow();
        if c.busy || c.done || !c.buf.is_empty() {
            return;
        }
        c.keep_alive_ms.get()
    };
    if ms == 0 {
        return;
    }
    let weak = Rc::downgrade(conn);
    let timer = timers::set_timeout(ms, move || {
        let Some(conn) = weak.upgrade() else { return };
        let socket = {
            let mut c = conn.borrow_mut();
            c.idle_timer = None;
            if c.busy || c.done || !c.buf.is_empty() {
                return;
            }
            c.done = true;
            c.socket.clone()
        };
        socket.end("");
    });
    timer.unref();
    let old = conn.borrow_mut().idle_timer.replace(timer);
    if let Some(old) = old {
        timers::clear_timeout(&old);
    }
}

fn stop_idle_timer(conn: &Rc<RefCell<Conn>>) {
    let timer = conn.borrow_mut().idle_timer.take();
    if let Some(timer) = timer {
        timers::clear_timeout(&timer);
    }
}

enum Parsed {
    Incomplete,
    Request(Request, usize, bool),
    Reject(u16),
}

/// Answers every complete request in the buffer, one at a time.
fn process(conn: &Rc<RefCell<Conn>>, handler: &Handler) {
    if std::mem::replace(&mut conn.borrow_mut().in_process, true) {
        return;
    }
    /// Clears `in_process` even if the handler panics (the panic goes on to
    /// the loop's uncaught-panic report; the connection stays usable).
    struct Reset<'a>(&'a Rc<RefCell<Conn>>);
    impl Drop for Reset<'_> {
        fn drop(&mut self) {
            if let Ok(mut c) = self.0.try_borrow_mut() {
                c.in_process = false;
            }
        }
    }
    let _reset = Reset(conn);
    process_buffered(conn, handler);
    start_idle_timer(conn);
}

fn process_buffered(conn: &Rc<RefCell<Conn>>, handler: &Handler) {
    loop {
        let parsed = {
            let c = conn.borrow();
            if c.busy || c.done || c.buf.is_empty() {
                return;
            }
            parse_request(&c.buf)
        };
        match parsed {
            Parsed::Incomplete => return,
            Parsed::Reject(status) => {
                let mut c = conn.borrow_mut();
                c.done = true;
                c.buf.clear();
                let head = format!(
                    "HTTP/1.1 {status} {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                    reason(status)
                );
                c.socket.end(head);
                return;
            }
            Parsed::Request(request, used, keep_alive) => {
                let head_request = request.method == "HEAD";
                {
                    let mut c = conn.borrow_mut();
                    c.buf.drain(..used);
                    c.busy = true;
                }
                let response = Response {
                    state: Rc::new(RefCell::new(ResponseState {
                        conn: Rc::clone(conn),
                        handler: Rc::clone(handler),
                        status: 200,
                        headers: Vec::new(),
                        head_sent: false,
                        chunked: false,
                        ended: false,
                        keep_alive: keep_alive && !conn.borrow().close_after_response,
                        http10: request.version == 0,
                        head_request,
                    })),
                };
                let mut h = handler.borrow_mut();
                (h)(request, response);
            }
        }
    }
}

/// Parses one request at the start of `buf`.
fn parse_request(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD_SIZE => return Parsed::Reject(431),
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_SIZE => return Parsed::Reject(431),
        Ok(httparse::Status::Partial) => return Parsed::Incomplete,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Reject(431),
        Err(_) => return Parsed::Reject(400),
    };
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Parsed::Reject(400);
    };
    let body_framing = match framing(req.headers, Framing::Length(0)) {
        Ok(f) => f,
        Err(_) => return Parsed::Reject(400),
    };
    let (body, used) = match body_framing {
        Framing::Length(n) if n > MAX_BODY => return Parsed::Reject(413),
        Framing::Length(n) => {
            if buf.len() - head_len < n {
                return Parsed::Incomplete;
            }
            (buf[head_len..head_len + n].to_vec(), head_len + n)
        }
        Framing::Chunked => match decode_chunked(&buf[head_len..], MAX_BODY) {
            Ok(Some((body, n))) => (body, head_len + n),
            Ok(None) => return Parsed::Incomplete,
            Err(_) => return Parsed::Reject(400),
        },
        Framing::UntilClose => return Parsed::Reject(400),
    };
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let connection = super::find_header(&headers, "connection").map(str::to_ascii_lowercase);
    let keep_alive = match connection.as_deref() {
        Some(c) if c.contains("close") => false,
        Some(c) if c.contains("keep-alive") => true,
        _ => version == 1,
    };
    Parsed::Request(
        Request {
            method: method.to_owned(),
            url: path.to_owned(),
            version,
            headers,
            body,
        },
        used,
        keep_alive,
    )
}

struct ResponseState {
    conn: Rc<RefCell<Conn>>,
    handler: Handler,
    status: u16,
    headers: Vec<(String, String)>,
    head_sent: bool,
    chunked: bool,
    ended: bool,
    keep_alive: bool,
    /// HTTP/1.0 needs keep-alive said explicitly.
    http10: bool,
    head_request: bool,
}

/// The answer to a [`Request`] (Node's `http.ServerResponse`). Without a
/// `Content-Length` header, `end(body)` alone sends one; `write` before it
/// switches to chunked encoding.
#[derive(Clone)]
pub struct Response {
    state: Rc<RefCell<ResponseState>>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.borrow();
        f.debug_struct("Response")
            .field("status", &s.status)
            .field("ended", &s.ended)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// Sets the status code (200 by default).
    pub fn status(&self, code: u16) -> &Self {
        self.state.borrow_mut().status = code;
        self
    }

    /// Sets a header, replacing one of the same name.
    pub fn set_header(&self, name: &str, value: impl Into<String>) -> &Self {
        let mut s = self.state.borrow_mut();
        s.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        s.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the status and headers at once (sent with the first body bytes).
    pub fn write_head(&self, status: u16, headers: &[(&str, &str)]) -> &Self {
        self.status(status);
        for (name, value) in headers {
            self.set_header(name, *value);
        }
        self
    }

    /// Sends a piece of the body (chunked unless a `Content-Length` was set).
    /// Returns false if the socket's buffer is over its high-water mark.
    pub fn write(&self, data: impl AsRef<[u8]>) -> bool {
        let mut out = Vec::new();
        let socket = {
            let mut s = self.state.borrow_mut();
            if s.ended {
                return false;
            }
            if !s.head_sent {
                let has_length = super::find_header(&s.headers, "content-length").is_some();
                // HTTP/1.0 has no chunked encoding: the body ends at close.
                s.chunked = !has_length && !s.http10;
                if !has_length && s.http10 {
                    s.keep_alive = false;
                }
                head_into(&mut s, &mut out, None);
            }
            if !s.head_request {
                if s.chunked {
                    encode_chunk(&mut out, data.as_ref());
                } else {
                    out.extend_from_slice(data.as_ref());
                }
            }
            s.conn.borrow().socket.clone()
        };
        socket.write(out)
    }

    /// Sends the last of the body and finishes the response.
    pub fn end(&self, data: impl AsRef<[u8]>) {
        let data = data.as_ref();
        let mut out = Vec::new();
        let (conn, handler, keep_alive) = {
            let mut s = self.state.borrow_mut();
            if s.ended {
                return;
            }
            s.ended = true;
            if !s.head_sent {
                head_into(&mut s, &mut out, Some(data.len()));
                if !s.head_request {
                    out.extend_from_slice(data);
                }
            } else if !s.head_request {
                if s.chunked {
                    encode_chunk(&mut out, data);
                    out.extend_from_slice(b"0\r\n\r\n");
                } else {
                    out.extend_from_slice(data);
                }
            }
            (Rc::clone(&s.conn), Rc::clone(&s.handler), s.keep_alive)
        };
        let socket = conn.borrow().socket.clone();
        if keep_alive {
            socket.write(out);
            conn.borrow_mut().busy = false;
            process(&conn, &handler);
        } else {
            conn.borrow_mut().done = true;
            socket.end(out);
        }
    }
}

/// Serializes the status line and headers into `out`.
fn head_into(s: &mut ResponseState, out: &mut Vec<u8>, length: Option<usize>) {
    s.head_sent = true;
    out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", s.status, reason(s.status)).as_bytes());
    for (name, value) in &s.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let has_length = super::find_header(&s.headers, "content-length").is_some();
    if let (Some(n), false) = (length, has_length) {
        out.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
    } else if s.chunked {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    if !s.keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    } else if s.http10 {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(input: &[u8]) -> Option<u16> {
        match parse_request(input) {
            Parsed::Reject(status) => Some(status),
            _ => None,
        }
    }

    #[test]
    fn parses_pipelined_requests_one_at_a_time() {
        let input = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        let Parsed::Request(req, used, keep_alive) = parse_request(input) else {
            panic!("not parsed");
        };
        assert_eq!(
            (req.method.as_str(), req.url.as_str(), keep_alive),
            ("GET", "/a", true)
        );
        assert!(matches!(parse_request(&input[used..]), Parsed::Request(r, _, _) if r.url == "/b"));
    }

    #[test]
    fn rejects_what_node_rejects() {
        assert_eq!(status_of(b"NOT HTTP\r\n\r\n"), Some(400));
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD_SIZE + 1));
        assert_eq!(status_of(&big), Some(431));
        assert_eq!(
            status_of(
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
            Some(400)
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"),
            Some(413)
        );
    }

    #[test]
    fn http10_gets_no_chunks_and_an_explicit_keep_alive() {
        let state = |http10| ResponseState {
            conn: Rc::new(RefCell::new(Conn {
                socket: crate::net::Socket::detached(),
                buf: Vec::new(),
                busy: true,
                done: false,
                in_process: false,
                close_after_response: false,
                idle_timer: None,
                keep_alive_ms: Rc::default(),
            })),
            handler: Rc::new(RefCell::new(Box::new(|_, _| {}))),
            status: 200,
            headers: Vec::new(),
            head_sent: false,
            chunked: false,
            ended: false,
            keep_alive: true,
            http10,
            head_request: false,
        };
        let mut out = Vec::new();
        head_into(&mut state(true), &mut out, Some(2));
        let head = String::from_utf8(out).unwrap();
        assert!(
            head.contains("Content-Length: 2\r\nConnection: keep-alive\r\n"),
            "{head}"
        );
        let mut out = Vec::new();
        head_into(&mut state(false), &mut out, Some(2));
        assert!(!String::from_utf8(out).unwrap().contains("Connection"));
    }

    #[test]
    fn reads_chunked_and_length_bodies() {
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert!(matches!(parse_request(chunked), Parsed::Request(r, _, _) if r.body == b"abc"));
        let partial = b"POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nab";
        assert!(matches!(parse_request(partial), Parsed::Incomplete));
    }
}

#[cfg(test)]
mod random_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes: the parser answers, asks for more, or rejects; it
        /// never panics.
        #[test]
        fn never_panics_on_random_bytes(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_request(&input);
        }

        /// Valid heads followed by random bytes (bodies, chunk sizes).
        #[test]
        fn never_panics_on_random_bodies(
            tail in proptest::collection::vec(any::<u8>(), 0..256),
            chunked in any::<bool>(),
        ) {
            let mut input = if chunked {
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()
            } else {
                b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n".to_vec()
            };
            input.extend_from_slice(&tail);
            let _ = parse_request(&input);
        }
    }
}
