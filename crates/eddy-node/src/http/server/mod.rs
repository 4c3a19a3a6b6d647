//! The HTTP/1.1 server: [`create_server`] parses requests on each accepted
//! socket with `httparse` and calls the handler with a [`Request`] as soon
//! as its head is complete (Node's `'request'` event), and a [`Response`]
//! to answer with.
//!
//! * [`conn`]: one connection's state machine: heads, streamed bodies,
//!   pipelining, keep-alive, and its timeouts.
//! * [`request`]: the request head and its body as a stream
//!   ([`Request::on_data`] / [`Request::on_end`], or [`Request::read_body`]).
//! * [`head`]: request-head parsing; [`timeout`]: the headers and
//!   keep-alive timeouts on one timer per connection.
//! * [`response`]: [`Response`], written as one head-and-body `write` when
//!   ended at once, chunked when `write` comes first without a
//!   `Content-Length`.
//!
//! Keep-alive is the HTTP/1.1 default; pipelined requests are answered in
//! order, one at a time. Heads over 16 KiB get `431`, anything malformed
//! (a bad chunk size included) `400`; both close the connection. Request
//! bodies (`Content-Length` or chunked) stream through bounded buffers:
//! reading from the socket pauses while a body chunk waits for its
//! consumer. No input makes the server panic (a random-input test checks).
//!
//! Two timeouts, as Node's: a connection that has not sent a complete
//! request head within [`Server::set_headers_timeout`] (60 s by default)
//! gets `408` and is closed; a keep-alive connection idle after a response
//! is ended after [`Server::set_keep_alive_timeout`] (5 s). Both run on one
//! unref'd timer per connection, re-armed lazily: a request costs no timer
//! operation, and only the listening server keeps the loop alive.

mod conn;
mod head;
mod request;
mod response;
#[cfg(test)]
mod tests;
mod timeout;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::time::Duration;

pub use request::Request;
pub use response::Response;

use crate::Error;
use crate::net;
use crate::timers;
use conn::Conn;

/// Node's default `server.keepAliveTimeout` (5 s).
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_millis(5000);

/// Node's default `server.headersTimeout` (60 s).
pub const DEFAULT_HEADERS_TIMEOUT: Duration = Duration::from_millis(60_000);

/// The largest body [`Request::read_body`] collects (8 MiB); streaming a
/// body with [`Request::on_data`] has no limit.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// What every connection of one server shares.
pub(crate) struct ServerShared {
    handler: RefCell<Box<dyn FnMut(Request, Response)>>,
    /// Keep-alive idle timeout in ms (0: none).
    keep_alive_ms: Cell<u64>,
    /// Headers timeout in ms (0: none).
    headers_ms: Cell<u64>,
}

/// An HTTP server (Node's `http.Server`).
#[derive(Clone)]
pub struct Server {
    net: net::Server,
    conns: Rc<RefCell<Vec<Weak<RefCell<Conn>>>>>,
    shared: Rc<ServerShared>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("net", &self.net)
            .finish_non_exhaustive()
    }
}

fn millis(timeout: Duration) -> u64 {
    u64::try_from(timeout.as_millis())
        .unwrap_or(timers::TIMEOUT_MAX)
        .min(timers::TIMEOUT_MAX)
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
            if let Some(conn) = conn.upgrade() {
                conn::close_when_idle(&conn);
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
        self.shared.keep_alive_ms.set(millis(timeout));
        self
    }

    /// The keep-alive idle timeout (see [`Server::set_keep_alive_timeout`]).
    pub fn keep_alive_timeout(&self) -> Duration {
        Duration::from_millis(self.shared.keep_alive_ms.get())
    }

    /// Sets how long a connection may take to send a complete request
    /// head, counted from the connection (or, on a keep-alive connection,
    /// from the first byte of the next request); past it the server answers
    /// `408 Request Timeout` and closes (Node's `server.headersTimeout`;
    /// [`DEFAULT_HEADERS_TIMEOUT`] by default; zero disables it). This is
    /// what closes slow-loris clients trickling header bytes.
    ///
    /// ```
    /// use std::time::Duration;
    /// eddy_node::run(|| {
    ///     let server = eddy_node::http::create_server(|_req, res| res.end("hi"));
    ///     assert_eq!(server.headers_timeout(), Duration::from_secs(60));
    ///     server.set_headers_timeout(Duration::from_secs(10));
    /// })?;
    /// # Ok::<(), eddy_node::Error>(())
    /// ```
    pub fn set_headers_timeout(&self, timeout: Duration) -> &Self {
        self.shared.headers_ms.set(millis(timeout));
        self
    }

    /// The headers timeout (see [`Server::set_headers_timeout`]).
    pub fn headers_timeout(&self) -> Duration {
        Duration::from_millis(self.shared.headers_ms.get())
    }

    /// The number of open connections.
    pub fn connections(&self) -> usize {
        self.net.connections()
    }
}

/// An HTTP server calling `handler` for each request, once its head is in
/// (Node's `http.createServer`). The body, if any, streams through
/// [`Request::on_data`] / [`Request::on_end`] or is collected by
/// [`Request::read_body`]; a body nobody reads is discarded.
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
    let shared = Rc::new(ServerShared {
        handler: RefCell::new(Box::new(handler)),
        keep_alive_ms: Cell::new(millis(DEFAULT_KEEP_ALIVE_TIMEOUT)),
        headers_ms: Cell::new(millis(DEFAULT_HEADERS_TIMEOUT)),
    });
    let conns: Rc<RefCell<Vec<Weak<RefCell<Conn>>>>> = Rc::default();
    let (registry, on_accept) = (Rc::clone(&conns), Rc::clone(&shared));
    let net = net::create_server(move |socket| {
        let conn = conn::accept(socket, Rc::clone(&on_accept));
        let mut list = registry.borrow_mut();
        // Sweep closed connections now and then (amortised O(1)).
        if list.len() >= 16 && list.len().is_power_of_two() {
            list.retain(|c| c.strong_count() > 0);
        }
        list.push(Rc::downgrade(&conn));
    });
    net.set_no_delay(true);
    Server { net, conns, shared }
}
