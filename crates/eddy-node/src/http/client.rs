//! The HTTP/1.1 client: [`request`] and [`get`] (Node's `http.request` and
//! `http.get`), with the body read whole, and a keep-alive agent: a finished
//! connection whose response allowed it waits (unref'd, so it does not keep
//! the loop alive) for the next request to the same host and port.
//! [`request_with_timeout`] gives up on a response that takes too long: the
//! callback gets an `ETIMEDOUT` error and the socket is destroyed.
//!
//! The server at the other end is not trusted. A response is read as it
//! arrives: the head once whole (at most [`MAX_HEAD_SIZE`]), then the body
//! through the same incremental decoder the server uses, so every byte is
//! looked at once and memory stays bounded (a body over
//! [`MAX_RESPONSE_BODY`] fails with `ERR_HTTP_BODY_TOO_LARGE`, at once when
//! its `Content-Length` says so). Interim responses (`100 Continue`,
//! `103 Early Hints`) are skipped. What the caller passes is checked before
//! anything is sent, with Node's error codes: a method or header name that
//! is not a token (`ERR_INVALID_HTTP_TOKEN`), a header value holding CR, LF
//! or another control character (`ERR_INVALID_CHAR`), a path with spaces or
//! control characters (`ERR_UNESCAPED_CHARACTERS`), a `Content-Length` that
//! is not the body's (`ERR_HTTP_CONTENT_LENGTH_MISMATCH`): none of them can
//! split the request. A caller's `Host` or `Connection` header replaces the
//! client's own.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use super::body::{BodyDecoder, BodyStep, Framing, framing};
use super::header::{is_token, valid_value};
use super::{MAX_HEAD_SIZE, MAX_HEADERS};
use crate::Error;
use crate::callback::Callback;
use crate::r#loop::with_current;
use crate::net::{self, Socket};
use crate::promise::{Promise, promise};
use crate::timers::{self, Timeout};

/// The largest response body the client buffers (64 MiB).
pub const MAX_RESPONSE_BODY: usize = 64 * 1024 * 1024;

/// A response, body included.
#[derive(Clone, Debug)]
pub struct ClientResponse {
    /// The status code.
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The whole body (de-chunked).
    pub body: Vec<u8>,
}

impl ClientResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        super::find_header(&self.headers, name)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Idle keep-alive connections of one loop, by `host:port`.
#[derive(Default)]
pub(crate) struct Agent {
    idle: HashMap<String, Vec<Socket>>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("hosts", &self.idle.len())
            .finish()
    }
}

type Done = Rc<RefCell<Option<Box<dyn FnOnce(Result<ClientResponse, Error>)>>>>;

struct Exchange {
    reader: ResponseReader,
    done: Done,
    authority: String,
    /// The response deadline of [`request_with_timeout`], cleared on finish.
    timer: Option<Timeout>,
}

/// Splits `http://host:port/path` into (authority, path).
fn parse_url(url: &str) -> Result<(String, String), Error> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        Error::new(
            "ERR_INVALID_URL",
            format!("only http:// URLs are supported: {url:?}"),
        )
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(Error::new("ERR_INVALID_URL", format!("no host in {url:?}")));
    }
    // The authority goes into the Host header: visible ASCII only.
    if !authority.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::new(
            "ERR_INVALID_URL",
            format!("bad characters in the host of {url:?}"),
        ));
    }
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

/// Sends a request and calls `cb` with the whole response (Node's
/// `http.request`, with the body given up front).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
    cb: impl FnOnce(Result<ClientResponse, Error>) + 'static,
) {
    start_request(
        Location::caller(),
        method,
        url,
        headers,
        body.into(),
        None,
        cb,
    );
}

/// [`request`] with a response deadline (Node's `timeout` option, with the
/// `'timeout'` handler destroying the request): if the whole response has
/// not arrived `timeout` after the call, `cb` gets an error with code
/// `ETIMEDOUT` and the socket is destroyed (never reused).
///
/// ```no_run
/// use std::time::Duration;
/// eddy_node::run(|| {
///     eddy_node::http::request_with_timeout(
///         "GET", "http://127.0.0.1:8080/", &[], "", Duration::from_millis(500),
///         |res| match res {
///             Ok(res) => println!("{}", res.status),
///             Err(e) => println!("{}", e.code()), // "ETIMEDOUT" if too slow
///         },
///     );
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn request_with_timeout(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
    timeout: Duration,
    cb: impl FnOnce(Result<ClientResponse, Error>) + 'static,
) {
    let site = Location::caller();
    start_request(site, method, url, headers, body.into(), Some(timeout), cb);
}

fn start_request(
    site: &'static Location<'static>,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    timeout: Option<Duration>,
    cb: impl FnOnce(Result<ClientResponse, Error>) + 'static,
) {
    let (authority, path) = match parse_url(url) {
        Ok(parts) => parts,
        Err(error) => {
            let cb = Callback::new(site, move || cb(Err(error)));
            with_current(|lp| lp.pending.borrow_mut().push_back(cb));
            return;
        }
    };
    let out = match encode_request(method, &authority, &path, headers, &body) {
        Ok(out) => out,
        Err(error) => {
            let cb = Callback::new(site, move || cb(Err(error)));
            with_current(|lp| lp.pending.borrow_mut().push_back(cb));
            return;
        }
    };

    let done: Done = Rc::new(RefCell::new(Some(Box::new(cb))));
    let reused = with_current(|lp| {
        let mut agent = lp.agent.borrow_mut();
        agent.idle.get_mut(&authority).and_then(Vec::pop)
    });
    let socket = match reused {
        Some(socket) => {
            socket.ref_();
            socket
        }
        None => net::connect(&authority),
    };
    let exchange = Rc::new(RefCell::new(Exchange {
        reader: ResponseReader::new(method.eq_ignore_ascii_case("HEAD")),
        done,
        authority,
        timer: None,
    }));
    install(&socket, &exchange);
    if let Some(timeout) = timeout {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(timers::TIMEOUT_MAX);
        let (ex, s) = (Rc::clone(&exchange), socket.clone());
        let timer = timers::set_timeout(ms, move || {
            ex.borrow_mut().timer = None;
            let error = Error::new("ETIMEDOUT", format!("no response within {ms} ms"));
            finish(&ex, Err(error));
            s.destroy();
        });
        exchange.borrow_mut().timer = Some(timer);
    }
    socket.write(out);
}

/// Points the socket's events at this exchange.
fn install(socket: &Socket, exchange: &Rc<RefCell<Exchange>>) {
    let (ex, s) = (Rc::clone(exchange), socket.clone());
    socket.on_data(move |chunk| on_response_bytes(&ex, &s, chunk, false));
    let (ex, s) = (Rc::clone(exchange), socket.clone());
    socket.on_end(move || on_response_bytes(&ex, &s, &[], true));
    let ex = Rc::clone(exchange);
    socket.on_error(move |error| finish(&ex, Err(error)));
    let ex = Rc::clone(exchange);
    socket.on_close(move |_| {
        finish(&ex, Err(Error::new("ECONNRESET", "socket hang up")));
    });
}

fn finish(exchange: &Rc<RefCell<Exchange>>, result: Result<ClientResponse, Error>) {
    let timer = exchange.borrow_mut().timer.take();
    if let Some(timer) = timer {
        timers::clear_timeout(&timer);
    }
    let done = exchange.borrow().done.borrow_mut().take();
    if let Some(done) = done {
        done(result);
    }
}

/// Reads `chunk` and delivers the response once it is whole; `eof` means
/// the peer ended.
fn on_response_bytes(exchange: &Rc<RefCell<Exchange>>, socket: &Socket, chunk: &[u8], eof: bool) {
    let parsed = exchange.borrow_mut().reader.feed(chunk, eof);
    match parsed {
        Ok(None) if eof => finish(exchange, Err(Error::new("ECONNRESET", "socket hang up"))),
        Ok(None) => {}
        Err(error) => {
            finish(exchange, Err(error));
            socket.destroy();
        }
        Ok(Some((response, reusable))) => {
            if reusable && !eof {
                // Park the connection for the next request to this host.
                let authority = exchange.borrow().authority.clone();
                let parked = socket.clone();
                let s = socket.clone();
                socket.on_data(|_| {});
                socket.on_end(|| {});
                socket.on_error(|_| {});
                socket.on_close(move |_| {
                    with_current(|lp| {
                        if let Some(list) = lp.agent.borrow_mut().idle.get_mut(&authority) {
                            list.retain(|other| !other.same(&s));
                        }
                    })
                });
                socket.unref();
                let authority = exchange.borrow().authority.clone();
                with_current(|lp| {
                    lp.agent
                        .borrow_mut()
                        .idle
                        .entry(authority)
                        .or_default()
                        .push(parked)
                });
            } else {
                socket.end("");
            }
            finish(exchange, Ok(response));
        }
    }
}

/// Checks what the caller gave and encodes the request: head and body.
fn encode_request(
    method: &str,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<u8>, Error> {
    if !is_token(method) {
        return Err(Error::new(
            "ERR_INVALID_HTTP_TOKEN",
            format!("Method must be a valid HTTP token [{method:?}]"),
        ));
    }
    if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(Error::new(
            "ERR_UNESCAPED_CHARACTERS",
            format!("Request path contains unescaped characters [{path:?}]"),
        ));
    }
    let mut own_host = true;
    let mut own_connection = true;
    let mut own_length = !body.is_empty();
    for (name, value) in headers {
        if !is_token(name) {
            return Err(Error::new(
                "ERR_INVALID_HTTP_TOKEN",
                format!("Header name must be a valid HTTP token [{name:?}]"),
            ));
        }
        if !valid_value(value) {
            return Err(Error::new(
                "ERR_INVALID_CHAR",
                format!("Invalid character in header content [{name:?}]"),
            ));
        }
        if name.eq_ignore_ascii_case("host") {
            own_host = false;
        } else if name.eq_ignore_ascii_case("connection") {
            own_connection = false;
        } else if name.eq_ignore_ascii_case("content-length") {
            if value.trim().parse::<usize>().ok() != Some(body.len()) {
                return Err(Error::new(
                    "ERR_HTTP_CONTENT_LENGTH_MISMATCH",
                    format!(
                        "Request body length of {} byte(s) does not match the content-length of {value:?} set in header",
                        body.len()
                    ),
                ));
            }
            own_length = false;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Error::new(
                "ERR_INVALID_ARG_VALUE",
                "this client sends a body with Content-Length; a Transfer-Encoding header would contradict it",
            ));
        }
    }
    let mut out = Vec::with_capacity(64 + path.len() + body.len());
    for part in [method, " ", path, " HTTP/1.1\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    if own_host {
        for part in ["Host: ", authority, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    for (name, value) in headers {
        for part in [*name, ": ", *value, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    if own_length {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    if own_connection {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

/// A response read as its bytes arrive: the head once whole, then the body
/// through [`BodyDecoder`], each byte looked at once, memory bounded by
/// [`MAX_HEAD_SIZE`] and [`MAX_RESPONSE_BODY`].
struct ResponseReader {
    /// Bytes received and not consumed yet.
    buf: Vec<u8>,
    head_request: bool,
    /// The final response's head, once parsed; its body so far.
    head: Option<ResponseHead>,
}

struct ResponseHead {
    status: u16,
    headers: Vec<(String, String)>,
    /// `None` for a body that runs until the connection closes.
    decoder: Option<BodyDecoder>,
    body: Vec<u8>,
    /// HTTP/1.1, no `Connection: close`, a delimited body: the connection
    /// may carry the next request.
    keep_alive: bool,
}

/// The error for a response body over [`MAX_RESPONSE_BODY`].
fn body_too_large() -> Error {
    Error::new(
        "ERR_HTTP_BODY_TOO_LARGE",
        format!("response body over {MAX_RESPONSE_BODY} bytes"),
    )
}

impl ResponseReader {
    fn new(head_request: bool) -> ResponseReader {
        ResponseReader {
            buf: Vec::new(),
            head_request,
            head: None,
        }
    }

    /// Takes the next `bytes` (`eof`: the peer ended) and reads as far as
    /// they go: `Ok(None)` until the response is whole; with it, whether
    /// the connection may carry another request.
    fn feed(&mut self, bytes: &[u8], eof: bool) -> Result<Option<(ClientResponse, bool)>, Error> {
        self.buf.extend_from_slice(bytes);
        while self.head.is_none() {
            if !self.read_head()? {
                return Ok(None);
            }
        }
        self.read_body(eof)
    }

    /// Reads one head from the start of `buf`: false if it is not whole
    /// yet. An interim (1xx) head is consumed and dropped.
    fn read_head(&mut self) -> Result<bool, Error> {
        let overflow = || Error::new("HPE_HEADER_OVERFLOW", "response head over 16 KiB");
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut res = httparse::Response::new(&mut headers);
        let head_len = match res.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) if n > MAX_HEAD_SIZE => return Err(overflow()),
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if self.buf.len() > MAX_HEAD_SIZE => {
                return Err(overflow());
            }
            Ok(httparse::Status::Partial) => return Ok(false),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(Error::new(
                    "HPE_HEADER_OVERFLOW",
                    format!("response with more than {MAX_HEADERS} headers"),
                ));
            }
            Err(e) => return Err(Error::new("HPE_INVALID", format!("bad response: {e}"))),
        };
        let status = res.code.unwrap_or(0);
        if (100..200).contains(&status) && status != 101 {
            // 100 Continue, 103 Early Hints…: the final response follows.
            self.buf.drain(..head_len);
            return Ok(true);
        }
        let no_body = self.head_request || status == 204 || status == 304 || status == 101;
        let body_framing = if no_body {
            Framing::Length(0)
        } else {
            framing(res.headers, Framing::UntilClose)
                .map_err(|m| Error::new("HPE_INVALID", format!("bad response: {}", m.0)))?
        };
        if matches!(body_framing, Framing::Length(n) if n > MAX_RESPONSE_BODY) {
            return Err(body_too_large());
        }
        let headers: Vec<(String, String)> = res
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let close = super::find_header(&headers, "connection")
            .is_some_and(|c| c.to_ascii_lowercase().contains("close"));
        let keep_alive = res.version == Some(1)
            && !close
            && status != 101
            && body_framing != Framing::UntilClose;
        let body_capacity = match body_framing {
            Framing::Length(n) => n.min(64 * 1024),
            _ => 0,
        };
        self.buf.drain(..head_len);
        self.head = Some(ResponseHead {
            status,
            headers,
            decoder: (body_framing != Framing::UntilClose).then(|| BodyDecoder::new(body_framing)),
            body: Vec::with_capacity(body_capacity),
            keep_alive,
        });
        Ok(true)
    }

    /// Moves the body bytes in `buf` into the body: the response once the
    /// body is whole.
    fn read_body(&mut self, eof: bool) -> Result<Option<(ClientResponse, bool)>, Error> {
        let head = self.head.as_mut().expect("read_body after the head");
        let complete = match head.decoder.as_mut() {
            None => {
                if head.body.len() + self.buf.len() > MAX_RESPONSE_BODY {
                    return Err(body_too_large());
                }
                head.body.append(&mut self.buf);
                eof
            }
            Some(decoder) => {
                let mut pos = 0;
                let outcome = loop {
                    match decoder.step(&self.buf[pos..]) {
                        Ok(BodyStep::Skip(n)) => pos += n,
                        Ok(BodyStep::Data(n)) => {
                            if head.body.len() + n > MAX_RESPONSE_BODY {
                                break Err(body_too_large());
                            }
                            head.body.extend_from_slice(&self.buf[pos..pos + n]);
                            pos += n;
                        }
                        Ok(BodyStep::Done(n)) => break Ok(pos + n),
                        Ok(BodyStep::NeedMore) => {
                            self.buf.drain(..pos);
                            return Ok(None);
                        }
                        Err(m) => {
                            break Err(Error::new("HPE_INVALID", format!("bad response: {}", m.0)));
                        }
                    }
                };
                self.buf.drain(..outcome?);
                true
            }
        };
        if !complete {
            return Ok(None);
        }
        let head = self.head.take().expect("head present");
        // Bytes after the response that nobody asked for: do not reuse.
        let reusable = head.keep_alive && self.buf.is_empty();
        Ok(Some((
            ClientResponse {
                status: head.status,
                headers: head.headers,
                body: head.body,
            },
            reusable,
        )))
    }
}

/// A `GET` (Node's `http.get`).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn get(url: &str, cb: impl FnOnce(Result<ClientResponse, Error>) + 'static) {
    request("GET", url, &[], Vec::new(), cb);
}

/// [`get`] as a future.
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn get_async(url: &str) -> Promise<Result<ClientResponse, Error>> {
    let (resolver, promise) = promise();
    get(url, move |result| resolver.resolve(result));
    promise
}

/// [`request`] as a future.
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn request_async(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> Promise<Result<ClientResponse, Error>> {
    let (resolver, promise) = promise();
    request(method, url, headers, body, move |result| {
        resolver.resolve(result)
    });
    promise
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` to a reader in pieces of `piece` bytes, then the end
    /// of the stream if `eof`; the first complete response or error.
    fn read(
        input: &[u8],
        piece: usize,
        eof: bool,
    ) -> Result<Option<(ClientResponse, bool)>, Error> {
        let mut reader = ResponseReader::new(false);
        for part in input.chunks(piece.max(1)) {
            if let Some(done) = reader.feed(part, false)? {
                return Ok(Some(done));
            }
        }
        if eof {
            return reader.feed(&[], true);
        }
        Ok(None)
    }

    #[test]
    fn reads_length_chunked_and_close_delimited_bodies_in_any_pieces() {
        let length = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n3;x=y\r\n!!!\r\n0\r\nT: 1\r\n\r\n";
        let until_close = b"HTTP/1.0 200 OK\r\n\r\nbody";
        for piece in [1, 2, 3, 7, 64] {
            let (r, reusable) = read(length, piece, false).unwrap().unwrap();
            assert_eq!(
                (r.status, r.body.as_slice(), reusable),
                (200, &b"hi"[..], true)
            );
            let (r, reusable) = read(chunked, piece, false).unwrap().unwrap();
            assert_eq!((r.body.as_slice(), reusable), (&b"hi!!!"[..], true));
            assert!(read(until_close, piece, false).unwrap().is_none());
            let (r, reusable) = read(until_close, piece, true).unwrap().unwrap();
            assert_eq!((r.body.as_slice(), reusable), (&b"body"[..], false));
        }
    }

    #[test]
    fn a_cut_off_body_is_never_a_response() {
        let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi";
        assert!(read(cut, 4, true).unwrap().is_none());
        let cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
        assert!(read(cut, 4, true).unwrap().is_none());
    }

    #[test]
    fn interim_responses_are_skipped() {
        let input = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx";
        for piece in [1, 5, input.len()] {
            let (r, _) = read(input, piece, false).unwrap().unwrap();
            assert_eq!((r.status, r.body.as_slice()), (201, &b"x"[..]));
        }
    }

    #[test]
    fn head_responses_and_204_have_no_body() {
        let mut reader = ResponseReader::new(true);
        let (r, reusable) = reader
            .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false)
            .unwrap()
            .unwrap();
        assert!(r.body.is_empty() && reusable);
        let (r, _) = read(b"HTTP/1.1 204 No Content\r\n\r\n", 3, false)
            .unwrap()
            .unwrap();
        assert_eq!(r.status, 204);
    }

    #[test]
    fn bytes_after_the_response_forbid_reuse() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA";
        let (_, reusable) = read(input, input.len(), false).unwrap().unwrap();
        assert!(!reusable);
        let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi";
        assert!(!read(close, 64, false).unwrap().unwrap().1);
    }

    #[test]
    fn a_declared_length_over_the_limit_fails_at_the_head() {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_RESPONSE_BODY + 1
        );
        let err = read(head.as_bytes(), 64, false).unwrap_err();
        assert_eq!(err.code(), "ERR_HTTP_BODY_TOO_LARGE");
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(
            read(head.as_bytes(), 64, false).unwrap_err().code(),
            "HPE_INVALID"
        );
    }

    #[test]
    fn undeclared_bodies_over_the_limit_fail_while_arriving() {
        let piece = vec![b'x'; 1 << 20];
        // Until close: the body is refused once it passes the limit.
        let mut reader = ResponseReader::new(false);
        assert!(
            reader
                .feed(b"HTTP/1.0 200 OK\r\n\r\n", false)
                .unwrap()
                .is_none()
        );
        let mut fed = 0;
        let err = loop {
            match reader.feed(&piece, false) {
                Ok(None) => fed += piece.len(),
                Ok(Some(_)) => panic!("an unended body completed"),
                Err(err) => break err,
            }
        };
        assert_eq!(err.code(), "ERR_HTTP_BODY_TOO_LARGE");
        assert_eq!(fed, MAX_RESPONSE_BODY);
        // Chunked: the same, in one chunk that claims more than the limit.
        let mut reader = ResponseReader::new(false);
        let head = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
            MAX_RESPONSE_BODY + 1
        );
        assert!(reader.feed(head.as_bytes(), false).unwrap().is_none());
        let err = loop {
            if let Err(err) = reader.feed(&piece, false) {
                break err;
            }
        };
        assert_eq!(err.code(), "ERR_HTTP_BODY_TOO_LARGE");
    }

    #[test]
    fn oversized_and_malformed_heads_are_errors() {
        let mut big = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD_SIZE));
        assert_eq!(
            read(&big, 4096, false).unwrap_err().code(),
            "HPE_HEADER_OVERFLOW"
        );
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(
            read(&many, 4096, false).unwrap_err().code(),
            "HPE_HEADER_OVERFLOW"
        );
        assert_eq!(
            read(b"NOT HTTP\r\n\r\n", 64, false).unwrap_err().code(),
            "HPE_INVALID"
        );
        let both = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(read(both, 64, false).unwrap_err().code(), "HPE_INVALID");
        let bad_chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(
            read(bad_chunk, 64, false).unwrap_err().code(),
            "HPE_INVALID"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Any bytes, in any pieces, after a valid status line or not: the
        /// reader answers, asks for more or fails; it never panics.
        #[test]
        fn random_responses_never_panic(
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
            prefix in 0..3usize,
            piece in 1..50usize,
            eof in proptest::bool::ANY,
        ) {
            let mut input = [
                &b""[..],
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n",
            ][prefix]
                .to_vec();
            input.extend_from_slice(&tail);
            let _ = read(&input, piece, eof);
        }
    }

    fn encode(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<String, Error> {
        encode_request(method, "h:1", path, headers, body)
            .map(|out| String::from_utf8(out).unwrap())
    }

    #[test]
    fn requests_are_encoded_with_host_length_and_keep_alive() {
        assert_eq!(
            encode("POST", "/x?y=1", &[("X-A", "1")], b"abc").unwrap(),
            "POST /x?y=1 HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc"
        );
        // The caller's Host, Connection and (matching) Content-Length win.
        assert_eq!(
            encode(
                "PUT",
                "/",
                &[
                    ("host", "example"),
                    ("Connection", "close"),
                    ("Content-Length", "2")
                ],
                b"ab"
            )
            .unwrap(),
            "PUT / HTTP/1.1\r\nhost: example\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab"
        );
    }

    #[test]
    fn requests_that_could_be_split_are_refused() {
        let code = |r: Result<String, Error>| r.unwrap_err().code().to_owned();
        assert_eq!(
            code(encode("GE T", "/", &[], b"")),
            "ERR_INVALID_HTTP_TOKEN"
        );
        assert_eq!(code(encode("", "/", &[], b"")), "ERR_INVALID_HTTP_TOKEN");
        assert_eq!(
            code(encode("GET", "/a b", &[], b"")),
            "ERR_UNESCAPED_CHARACTERS"
        );
        assert_eq!(
            code(encode("GET", "/a\r\nX: y", &[], b"")),
            "ERR_UNESCAPED_CHARACTERS"
        );
        assert_eq!(
            code(encode("GET", "/", &[("X\r\nY", "1")], b"")),
            "ERR_INVALID_HTTP_TOKEN"
        );
        assert_eq!(
            code(encode("GET", "/", &[("X Y", "1")], b"")),
            "ERR_INVALID_HTTP_TOKEN"
        );
        assert_eq!(
            code(encode("GET", "/", &[("X", "1\r\nEvil: 1")], b"")),
            "ERR_INVALID_CHAR"
        );
        assert_eq!(
            code(encode("GET", "/", &[("X", "a\0")], b"")),
            "ERR_INVALID_CHAR"
        );
        assert_eq!(
            code(encode("POST", "/", &[("Content-Length", "5")], b"abc")),
            "ERR_HTTP_CONTENT_LENGTH_MISMATCH"
        );
        assert_eq!(
            code(encode(
                "POST",
                "/",
                &[("Transfer-Encoding", "chunked")],
                b"abc"
            )),
            "ERR_INVALID_ARG_VALUE"
        );
        // Tabs and non-ASCII text are fine in values.
        assert!(encode("GET", "/", &[("X", "a\tcaf\u{e9}")], b"").is_ok());
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://a:1/x").unwrap(),
            ("a:1".into(), "/x".into())
        );
        assert_eq!(parse_url("http://a").unwrap(), ("a:80".into(), "/".into()));
        assert!(parse_url("https://a/").is_err());
        assert!(parse_url("http:///x").is_err());
        assert!(parse_url("http://a\r\nX: y/").is_err());
        assert!(parse_url("http://a b/").is_err());
    }
}
