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
use std::io::Write as _;
use std::rc::Rc;

use super::conn::{self, Conn};
use crate::http::body::encode_chunk;
use crate::http::reason;

/// The response side of a connection's current request.
pub(crate) struct ResponseState {
    status: u16,
    /// Header lines set so far, each `Name: value\r\n`.
    fields: Vec<u8>,
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
        let mut start = 0;
        while start < self.fields.len() {
            let end = self.fields[start..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .map_or(self.fields.len(), |p| start + p + 2);
            let line = &self.fields[start..end];
            let same = line.len() > name.len()
                && line[name.len()] == b':'
                && line[..name.len()].eq_ignore_ascii_case(name.as_bytes());
            if same {
                self.fields.drain(start..end);
                return;
            }
            start = end;
        }
    }

    /// Serializes the status line and headers into `out`; `length` is the
    /// body length when the whole body is known (`end` without `write`).
    fn head_into(&mut self, out: &mut Vec<u8>, length: Option<usize>) {
        self.head_sent = true;
        // Writing into a Vec cannot fail.
        let _ = write!(out, "HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        out.extend_from_slice(&self.fields);
        match length {
            Some(n) if !self.has_length => {
                let _ = write!(out, "Content-Length: {n}\r\n");
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

/// True if `s` may go into a header line as is (no CR, LF or NUL).
fn header_safe(s: &str) -> bool {
    !s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
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
    /// is sent, and (as Node refuses them) for a name or value holding CR,
    /// LF or NUL, which could split the response.
    pub fn set_header(&self, name: &str, value: impl AsRef<str>) -> &Self {
        let value = value.as_ref();
        if name.is_empty() || !header_safe(name) || name.contains(':') || !header_safe(value) {
            return self;
        }
        self.with_open(|c| {
            let res = &mut c.res;
            if res.head_sent {
                return;
            }
            res.remove_field(name);
            if name.eq_ignore_ascii_case("content-length") {
                res.has_length = true;
            }
            res.fields.extend_from_slice(name.as_bytes());
            res.fields.extend_from_slice(b": ");
            res.fields.extend_from_slice(value.as_bytes());
            res.fields.extend_from_slice(b"\r\n");
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
    fn header_lines_are_replaced_by_name() {
        let mut state = ResponseState::default();
        state.start(true, false, false);
        state
            .fields
            .extend_from_slice(b"X-A: 1\r\nContent-Type: a\r\nX-B: 2\r\n");
        state.remove_field("content-type");
        assert_eq!(state.fields, b"X-A: 1\r\nX-B: 2\r\n");
        state.remove_field("X");
        assert_eq!(state.fields, b"X-A: 1\r\nX-B: 2\r\n");
    }
}
