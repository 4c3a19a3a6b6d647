//! [`Response`]: the answer to one request (Node's `http.ServerResponse`).
//!
//! Its state lives in the connection ([`ResponseState`], reused by every
//! request on it), so a response costs no allocation: header lines are
//! serialized into a reused buffer as they are set, and `end(body)` writes
//! status line, headers and body with one `write`. Without a
//! `Content-Length` header, `end(body)` alone sends one; `write` before it
//! switches to chunked encoding (HTTP/1.1) or to a body ended by closing
//! the connection (HTTP/1.0).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use super::conn::{self, Conn};
use crate::http::body::encode_chunk;
use crate::http::header::{valid_name, valid_value};
use crate::http::reason;

/// The response side of a connection's current request.
pub(crate) struct ResponseState {
    status: u16,
    /// Header lines set so far, each `Name: value\r\n`.
    fields: Vec<u8>,
    /// Where each line of `fields` starts, and its name's length: a
    /// replaced header is found without scanning the lines.
    lines: Vec<(usize, usize)>,
    has_length: bool,
    pub(super) head_sent: bool,
    chunked: bool,
    /// No response is open (none started yet, or the last one ended).
    pub(super) ended: bool,
    pub(super) keep_alive: bool,
    http10: bool,
    head_request: bool,
}

impl Default for ResponseState {
    fn default() -> Self {
        ResponseState {
            status: 200,
            fields: Vec::new(),
            lines: Vec::new(),
            has_length: false,
            head_sent: false,
            chunked: false,
            ended: true,
            keep_alive: true,
            http10: false,
            head_request: false,
        }
    }
}

impl ResponseState {
    /// Opens the response to a new request (keeps the buffers).
    pub(super) fn start(&mut self, keep_alive: bool, http10: bool, head_request: bool) {
        self.status = 200;
        self.fields.clear();
        self.lines.clear();
        self.has_length = false;
        self.head_sent = false;
        self.chunked = false;
        self.ended = false;
        self.keep_alive = keep_alive;
        self.http10 = http10;
        self.head_request = head_request;
    }

    /// Removes the line of header `name`, if set.
    fn remove_field(&mut self, name: &str) {
        let Some(i) = self.lines.iter().position(|&(start, len)| {
            len == name.len()
                && self.fields[start..start + len].eq_ignore_ascii_case(name.as_bytes())
        }) else {
            return;
        };
        let start = self.lines[i].0;
        let end = self
            .lines
            .get(i + 1)
            .map_or(self.fields.len(), |&(next, _)| next);
        self.fields.drain(start..end);
        self.lines.remove(i);
        for line in &mut self.lines[i..] {
            line.0 -= end - start;
        }
    }

    /// Appends the line `name: value` (both already validated).
    fn push_field(&mut self, name: &str, value: &str) {
        self.lines.push((self.fields.len(), name.len()));
        self.fields.reserve(name.len() + value.len() + 4);
        self.fields.extend_from_slice(name.as_bytes());
        self.fields.extend_from_slice(b": ");
        self.fields.extend_from_slice(value.as_bytes());
        self.fields.extend_from_slice(b"\r\n");
    }

    /// Serializes the status line and headers into `out`; `length` is the
    /// body length when the whole body is known (`end` without `write`).
    fn head_into(&mut self, out: &mut Vec<u8>, length: Option<usize>) {
        self.head_sent = true;
        if self.status == 200 {
            out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        } else {
            out.extend_from_slice(b"HTTP/1.1 ");
            push_decimal(out, u64::from(self.status));
            out.push(b' ');
            out.extend_from_slice(reason(self.status).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(&self.fields);
        match length {
            Some(n) if !self.has_length => {
                out.extend_from_slice(b"Content-Length: ");
                push_decimal(out, n as u64);
                out.extend_from_slice(b"\r\n");
            }
            _ if self.chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            _ => {}
        }
        if !self.keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if self.http10 {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `n` in decimal (no formatting machinery on the hot path).
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// The answer to a [`Request`](super::Request) (Node's
/// `http.ServerResponse`). Without a `Content-Length` header, `end(body)`
/// alone sends one; `write` before it switches to chunked encoding.
/// Cloning gives another handle to the same response; once it ended (or a
/// later request on the connection started) every call does nothing.
#[derive(Clone)]
pub struct Response {
    conn: Rc<RefCell<Conn>>,
    seq: u64,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// `name` (already a valid header name) is `Content-Length` in any case:
/// two overlapping 8-byte words with the ASCII case bit set. Setting it maps
/// only upper-case letters onto lower-case ones and only CR onto `-`, and a
/// valid name holds no CR.
fn is_content_length(name: &str) -> bool {
    let Ok::<&[u8; 14], _>(n) = name.as_bytes().try_into() else {
        return false;
    };
    let case = u64::from_le_bytes([0x20; 8]);
    let word = |at: usize| u64::from_le_bytes(n[at..at + 8].try_into().expect("8 bytes")) | case;
    word(0) == u64::from_le_bytes(*b"content-") && word(6) == u64::from_le_bytes(*b"t-length")
}

impl Response {
    pub(super) fn new(conn: Rc<RefCell<Conn>>, seq: u64) -> Response {
        Response { conn, seq }
    }

    /// Runs `f` on the response state if this response is still open.
    fn with_open<R>(&self, f: impl FnOnce(&mut Conn) -> R) -> Option<R> {
        let mut c = self.conn.borrow_mut();
        if c.seq != self.seq || c.res.ended || c.closed {
            return None;
        }
        Some(f(&mut c))
    }

    /// Sets the status code (200 by default); ignored once the head is sent.
    pub fn status(&self, code: u16) -> &Self {
        self.with_open(|c| {
            if !c.res.head_sent {
                c.res.status = code;
            }
        });
        self
    }

    /// Sets a header, replacing one of the same name; ignored once the head
    /// is sent, and (as Node refuses them) for a name holding spaces, `:` or
    /// control characters or a value holding control characters other than
    /// tab (CR or LF could split the response).
    pub fn set_header(&self, name: &str, value: impl AsRef<str>) -> &Self {
        let value = value.as_ref();
        if !valid_name(name) || !valid_value(value) {
            return self;
        }
        self.with_open(|c| {
            let res = &mut c.res;
            if res.head_sent {
                return;
            }
            if !res.lines.is_empty() {
                res.remove_field(name);
            }
            if is_content_length(name) {
                res.has_length = true;
            }
            res.push_field(name, value);
        });
        self
    }

    /// Sets the status and headers at once (sent with the first body bytes).
    pub fn write_head(&self, status: u16, headers: &[(&str, &str)]) -> &Self {
        self.status(status);
        for (name, value) in headers {
            self.set_header(name, value);
        }
        self
    }

    /// Sends a piece of the body (chunked unless a `Content-Length` was set).
    /// Returns false if the socket's buffer is over its high-water mark
    /// (wait for [`Response::on_drain`]), or if the response has ended.
    ///
    /// ```
    /// use eddy_node::http;
    /// eddy_node::run(|| {
    ///     let server = http::create_server(|_req, res| {
    ///         res.write("streamed, "); // no Content-Length: chunked
    ///         res.end("then ended");
    ///     });
    ///     let srv = server.clone();
    ///     server.listen("127.0.0.1:0", move |addr| {
    ///         http::get(&format!("http://{}/", addr.unwrap()), move |res| {
    ///             let res = res.unwrap();
    ///             assert_eq!(res.header("transfer-encoding"), Some("chunked"));
    ///             assert_eq!(res.text(), "streamed, then ended");
    ///             srv.close(|| {});
    ///         });
    ///     });
    /// })?;
    /// # Ok::<(), eddy_node::Error>(())
    /// ```
    pub fn write(&self, data: impl AsRef<[u8]>) -> bool {
        let data = data.as_ref();
        let prepared = self.with_open(|c| {
            let mut out = std::mem::take(&mut c.out);
            out.clear();
            let res = &mut c.res;
            if !res.head_sent {
                // HTTP/1.0 has no chunked encoding: the body ends at close.
                res.chunked = !res.has_length && !res.http10;
                if !res.has_length && res.http10 {
                    res.keep_alive = false;
                }
                res.head_into(&mut out, None);
            }
            if !res.head_request {
                if res.chunked {
                    encode_chunk(&mut out, data);
                } else {
                    out.extend_from_slice(data);
                }
            }
            (out, c.socket.clone())
        });
        let Some((out, socket)) = prepared else {
            return false;
        };
        let below = socket.write(&out);
        self.conn.borrow_mut().out = out;
        below
    }

    /// Sends the last of the body and finishes the response: status line,
    /// headers and body go out in one `write` when nothing was written
    /// before.
    pub fn end(&self, data: impl AsRef<[u8]>) {
        let data = data.as_ref();
        let prepared = self.with_open(|c| {
            let mut out = std::mem::take(&mut c.out);
            out.clear();
            let res = &mut c.res;
            res.ended = true;
            if !res.head_sent {
                res.head_into(&mut out, Some(data.len()));
                if !res.head_request {
                    out.extend_from_slice(data);
                }
            } else if !res.head_request {
                if res.chunked {
                    encode_chunk(&mut out, data);
                    out.extend_from_slice(b"0\r\n\r\n");
                } else {
                    out.extend_from_slice(data);
                }
            }
            (out, c.socket.clone(), c.res.keep_alive)
        });
        let Some((out, socket, keep_alive)) = prepared else {
            return;
        };
        if keep_alive {
            socket.write(&out);
        } else {
            socket.end(&out);
        }
        self.conn.borrow_mut().out = out;
        conn::response_ended(&self.conn, keep_alive);
    }

    /// Calls `f` when the connection's write buffer has drained after
    /// [`Response::write`] returned false (the socket's `drain` event).
    #[track_caller]
    pub fn on_drain(&self, f: impl FnMut() + 'static) -> &Self {
        let socket = self.conn.borrow().socket.clone();
        socket.on_drain(f);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http10_gets_no_chunks_and_an_explicit_keep_alive() {
        let mut state = ResponseState::default();
        state.start(true, true, false);
        let mut out = Vec::new();
        state.head_into(&mut out, Some(2));
        let head = String::from_utf8(out).unwrap();
        assert!(
            head.contains("Content-Length: 2\r\nConnection: keep-alive\r\n"),
            "{head}"
        );
        state.start(true, false, false);
        let mut out = Vec::new();
        state.head_into(&mut out, Some(2));
        assert!(!String::from_utf8(out).unwrap().contains("Connection"));
    }

    #[test]
    fn status_lines_and_lengths_are_formatted_by_hand() {
        let mut state = ResponseState::default();
        state.start(false, false, false);
        state.status = 404;
        let mut out = Vec::new();
        state.head_into(&mut out, Some(1234567));
        assert_eq!(
            out,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 1234567\r\nConnection: close\r\n\r\n"
        );
        let mut out = Vec::new();
        push_decimal(&mut out, 0);
        assert_eq!(out, b"0");
    }

    #[test]
    fn content_length_is_recognized_in_any_case_and_nothing_else() {
        for name in [
            "Content-Length",
            "content-length",
            "CONTENT-LENGTH",
            "cOnTeNt-LeNgTh",
        ] {
            assert!(is_content_length(name), "{name}");
        }
        for name in [
            "Content-Lengt",
            "Content-Lengths",
            "Content_Length",
            "Content-Type",
            "",
        ] {
            assert!(!is_content_length(name), "{name}");
        }
    }

    #[test]
    fn header_lines_are_replaced_by_name() {
        let mut state = ResponseState::default();
        state.start(true, false, false);
        state.push_field("X-A", "1");
        state.push_field("Content-Type", "a");
        state.push_field("X-B", "2");
        state.remove_field("content-type");
        assert_eq!(state.fields, b"X-A: 1\r\nX-B: 2\r\n");
        state.remove_field("X");
        assert_eq!(state.fields, b"X-A: 1\r\nX-B: 2\r\n");
        // The lines after a removed one moved: they are still found.
        state.remove_field("x-b");
        assert_eq!(state.fields, b"X-A: 1\r\n");
        state.push_field("X-C", "3");
        state.remove_field("X-A");
        assert_eq!(state.fields, b"X-C: 3\r\n");
        state.remove_field("X-C");
        assert!(state.fields.is_empty() && state.lines.is_empty());
    }
}
