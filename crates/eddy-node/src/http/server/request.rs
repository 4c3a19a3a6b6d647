//! [`Request`]: a request head (method, target, version, headers) and
//! its body as a stream.
//!
//! The head is kept as the bytes received, in a buffer the connection
//! reuses for its next request once the handler has dropped this one (so a
//! request usually costs no allocation), and parsed again on demand by
//! [`Request::header`]; method and target are
//! byte ranges into it. The body is not part of the value: it arrives
//! through [`Request::on_data`] and [`Request::on_end`] (Node's `'data'`
//! and `'end'` events), which reach the connection's state in [`super::conn`].

use std::cell::RefCell;
use std::fmt;
use std::mem::MaybeUninit;
use std::ops::Range;
use std::panic::Location;
use std::rc::Rc;

use super::MAX_BODY;
use super::conn::{self, Conn};
use crate::Error;

/// A request (Node's `http.IncomingMessage` on the server side): the head,
/// available at once, and the body, streamed.
#[derive(Clone)]
pub struct Request {
    head: Rc<Vec<u8>>,
    method: Range<usize>,
    url: Range<usize>,
    version: u8,
    conn: Rc<RefCell<Conn>>,
    seq: u64,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("url", &self.url())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request whose head is `head` (already validated by httparse).
    pub(super) fn new(
        head: Rc<Vec<u8>>,
        method: Range<usize>,
        url: Range<usize>,
        version: u8,
        conn: Rc<RefCell<Conn>>,
        seq: u64,
    ) -> Request {
        Request {
            head,
            method,
            url,
            version,
            conn,
            seq,
        }
    }

    fn text(&self, range: &Range<usize>) -> &str {
        // httparse accepts only token characters in methods and visible
        // ASCII in targets, so these ranges are UTF-8.
        std::str::from_utf8(&self.head[range.clone()]).unwrap_or("")
    }

    /// `GET`, `POST`…
    pub fn method(&self) -> &str {
        self.text(&self.method)
    }

    /// The request target, e.g. `/path?query`.
    pub fn url(&self) -> &str {
        self.text(&self.url)
    }

    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Parses the head again (it was validated on arrival, so this
    /// succeeds) into uninitialised header slots, so a lookup does not
    /// first clear 100 of them (3 KiB), and hands the headers to `f`.
    fn with_headers<'a, R>(&'a self, f: impl FnOnce(&[httparse::Header<'a>]) -> R) -> Option<R> {
        let mut slots =
            [const { MaybeUninit::<httparse::Header<'a>>::uninit() }; super::super::MAX_HEADERS];
        let mut req = httparse::Request::new(&mut []);
        req.parse_with_uninit_headers(&self.head, &mut slots).ok()?;
        Some(f(req.headers))
    }

    /// Every header, names and values as received (values that are not
    /// UTF-8 are left out).
    pub fn headers(&self) -> Vec<(&str, &str)> {
        self.with_headers(|headers| {
            headers
                .iter()
                .filter_map(|h| Some((h.name, std::str::from_utf8(h.value).ok()?)))
                .collect()
        })
        .unwrap_or_default()
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.with_headers(|headers| {
            let value = headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))?
                .value;
            std::str::from_utf8(value).ok()
        })
        .flatten()
    }

    /// Calls `f` with each piece of the body as it arrives (de-chunked),
    /// at most 64 KiB at a time. Pieces that arrived before this call are
    /// delivered first, from a next tick. Until a data handler is set the
    /// server buffers at most 64 KiB of body and then stops reading the
    /// connection.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use eddy_node::http;
    /// eddy_node::run(|| {
    ///     let server = http::create_server(|req, res| {
    ///         let bytes = Rc::new(Cell::new(0));
    ///         let b = bytes.clone();
    ///         req.on_data(move |chunk| b.set(b.get() + chunk.len()));
    ///         req.on_end(move || res.end(format!("{} bytes", bytes.get())));
    ///     });
    ///     let srv = server.clone();
    ///     server.listen("127.0.0.1:0", move |addr| {
    ///         let url = format!("http://{}/", addr.unwrap());
    ///         http::request("PUT", &url, &[], vec![0u8; 100_000], move |res| {
    ///             assert_eq!(res.unwrap().text(), "100000 bytes");
    ///             srv.close(|| {});
    ///         });
    ///     });
    /// })?;
    /// # Ok::<(), eddy_node::Error>(())
    /// ```
    #[track_caller]
    pub fn on_data(&self, f: impl FnMut(&[u8]) + 'static) -> &Self {
        conn::set_body_handlers(
            &self.conn,
            self.seq,
            Some(Box::new(f)),
            None,
            Location::caller(),
        );
        self
    }

    /// Calls `f` once the whole body has been delivered (at once, from a
    /// next tick, if it already was).
    #[track_caller]
    pub fn on_end(&self, f: impl FnOnce() + 'static) -> &Self {
        conn::set_body_handlers(
            &self.conn,
            self.seq,
            None,
            Some(Box::new(f)),
            Location::caller(),
        );
        self
    }

    /// Collects the whole body and calls `cb` with it, or with an
    /// `ERR_HTTP_BODY_TOO_LARGE` error past [`MAX_BODY`] (the rest of the
    /// body is then discarded). A request whose `Content-Length` already
    /// says more than [`MAX_BODY`] fails at once (from a next tick),
    /// before any of its body is read, so the handler can answer `413`
    /// without waiting for bytes it will not keep.
    ///
    /// ```
    /// use eddy_node::http;
    /// eddy_node::run(|| {
    ///     let server = http::create_server(|req, res| {
    ///         req.read_body(move |body| {
    ///             res.end(format!("{} bytes", body.unwrap().len()));
    ///         });
    ///     });
    ///     let srv = server.clone();
    ///     server.listen("127.0.0.1:0", move |addr| {
    ///         let url = format!("http://{}/", addr.unwrap());
    ///         http::request("POST", &url, &[], "12345", move |res| {
    ///             assert_eq!(res.unwrap().text(), "5 bytes");
    ///             srv.close(|| {});
    ///         });
    ///     });
    /// })?;
    /// # Ok::<(), eddy_node::Error>(())
    /// ```
    #[track_caller]
    pub fn read_body(&self, cb: impl FnOnce(Result<Vec<u8>, Error>) + 'static) {
        type Done = Box<dyn FnOnce(Result<Vec<u8>, Error>)>;
        let declared = self
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > MAX_BODY as u64) {
            // No data handler: the server buffers a bounded amount, pauses,
            // and discards the rest once the response has ended.
            crate::next_tick(move || cb(Err(body_too_large())));
            return;
        }
        let state: Rc<RefCell<(Vec<u8>, Option<Done>)>> =
            Rc::new(RefCell::new((Vec::new(), Some(Box::new(cb)))));
        let s = Rc::clone(&state);
        self.on_data(move |chunk| {
            let mut st = s.borrow_mut();
            if st.1.is_none() {
                return; // failed already: discard
            }
            if st.0.len() + chunk.len() > MAX_BODY {
                let cb = st.1.take();
                st.0 = Vec::new();
                drop(st);
                if let Some(cb) = cb {
                    cb(Err(body_too_large()));
                }
                return;
            }
            st.0.extend_from_slice(chunk);
        });
        self.on_end(move || {
            let (body, cb) = {
                let mut st = state.borrow_mut();
                (std::mem::take(&mut st.0), st.1.take())
            };
            if let Some(cb) = cb {
                cb(Ok(body));
            }
        });
    }
}

/// The error [`Request::read_body`] reports for a body over [`MAX_BODY`].
fn body_too_large() -> Error {
    Error::new(
        "ERR_HTTP_BODY_TOO_LARGE",
        format!("request body over {MAX_BODY} bytes"),
    )
}
