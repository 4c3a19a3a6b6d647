//! The HTTP/1.1 client: [`request`] and [`get`] (Node's `http.request` and
//! `http.get`), with the body read whole, and a keep-alive agent: a finished
//! connection whose response allowed it waits (unref'd, so it does not keep
//! the loop alive) for the next request to the same host and port.
//! [`request_with_timeout`] gives up on a response that takes too long: the
//! callback gets an `ETIMEDOUT` error and the socket is destroyed.
//!
//! The server at the other end is not trusted. A response is read as it
//! arrives (`reader`): the head once whole (at most
//! [`MAX_HEAD_SIZE`](super::MAX_HEAD_SIZE)), then the body through the same
//! incremental decoder the server uses, so every byte is looked at once and
//! memory stays bounded (a body over
//! [`MAX_RESPONSE_BODY`] fails with `ERR_HTTP_BODY_TOO_LARGE`, at once when
//! its `Content-Length` says so). Interim responses (`100 Continue`,
//! `103 Early Hints`) are skipped. What the caller passes is checked before
//! anything is sent (`encode`), with Node's error codes: a method or header name that
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

use crate::Error;
use crate::callback::Callback;
use crate::r#loop::with_current;
use crate::net::{self, Socket};
use crate::promise::{Promise, promise};
use crate::timers::{self, Timeout};

mod encode;
mod reader;

use encode::encode_request;
use reader::ResponseReader;

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
