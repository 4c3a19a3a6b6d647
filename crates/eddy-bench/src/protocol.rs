//! The wire protocols every system speaks, byte for byte the same.
//!
//! Servers use [`RequestBuffer`] (find `\r\n\r\n` in a bounded buffer, then
//! answer [`RESPONSE`]); the load generator validates every reply with
//! [`parse_response`]. The echo scenario sends
//! [`ECHO_MESSAGE`] and expects it back unchanged. Keeping both sides in one
//! file is what makes a row differ only by runtime.

use std::fmt;

/// The body every HTTP server answers with.
pub const BODY: &[u8] = b"Hello, World!";

/// The whole HTTP response every Rust server writes, for every request.
pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

/// The request the load generator sends (keep-alive is HTTP/1.1's default).
pub const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: eddy-bench\r\n\r\n";

/// Size of the echo scenario's message.
pub const ECHO_SIZE: usize = 64;

/// The message the echo scenario sends; servers send it back.
pub const ECHO_MESSAGE: &[u8; ECHO_SIZE] =
    b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Largest request head a server accepts before closing the connection.
pub const MAX_REQUEST: usize = 2048;

/// The protocol a scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// HTTP/1.1 hello world, keep-alive, one request in flight.
    Http,
    /// 64-byte ping-pong.
    Echo,
}

impl Protocol {
    /// The bytes the client sends for one exchange.
    pub fn request(self) -> &'static [u8] {
        match self {
            Protocol::Http => REQUEST,
            Protocol::Echo => ECHO_MESSAGE,
        }
    }

    /// Checks the bytes a client has received so far: `Ok(Some(n))` when
    /// the first `n` bytes are one complete, valid reply.
    pub fn parse_reply(self, buf: &[u8]) -> Result<Option<usize>, ReplyError> {
        match self {
            Protocol::Http => parse_response(buf),
            Protocol::Echo => {
                if buf.len() < ECHO_SIZE {
                    return Ok(None);
                }
                if &buf[..ECHO_SIZE] == ECHO_MESSAGE {
                    Ok(Some(ECHO_SIZE))
                } else {
                    Err(ReplyError("echo reply differs from the message sent"))
                }
            }
        }
    }
}

/// The byte offset just past the first `\r\n\r\n` in `buf`, if any.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// A reply that is not what every server must send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyError(pub &'static str);

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Validates an HTTP response: status 200, a `Content-Length` of 13 and the
/// body `Hello, World!`. Returns the response's length once complete.
pub fn parse_response(buf: &[u8]) -> Result<Option<usize>, ReplyError> {
    let Some(end) = head_end(buf) else {
        if buf.len() > MAX_REQUEST {
            return Err(ReplyError("response head larger than 2 KiB"));
        }
        return Ok(None);
    };
    let head = &buf[..end - 4];
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status = lines.next().unwrap_or_default();
    if !(status.starts_with(b"HTTP/1.1 200") || status.starts_with(b"HTTP/1.0 200")) {
        return Err(ReplyError("status is not 200"));
    }
    let mut length = None;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(ReplyError("header line without a colon"));
        };
        if line[..colon].eq_ignore_ascii_case(b"content-length") {
            let value = std::str::from_utf8(&line[colon + 1..])
                .map_err(|_| ReplyError("Content-Length is not UTF-8"))?;
            let value: usize = value
                .trim()
                .parse()
                .map_err(|_| ReplyError("Content-Length is not a number"))?;
            length = Some(value);
        }
    }
    let Some(length) = length else {
        return Err(ReplyError("no Content-Length header"));
    };
    if length != BODY.len() {
        return Err(ReplyError("Content-Length is not 13"));
    }
    if buf.len() < end + length {
        return Ok(None);
    }
    if &buf[end..end + length] != BODY {
        return Err(ReplyError("body is not \"Hello, World!\""));
    }
    Ok(Some(end + length))
}

/// A server connection's bounded request buffer: the one HTTP handler
/// every Rust server shares.
///
/// Read into [`spare`](Self::spare), then call [`filled`](Self::filled):
/// it returns how many complete requests arrived, each to be answered with
/// [`RESPONSE`].
#[derive(Debug)]
pub struct RequestBuffer {
    buf: Box<[u8; MAX_REQUEST]>,
    len: usize,
}

/// A request head larger than [`MAX_REQUEST`]: the server closes the
/// connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTooLarge;

impl Default for RequestBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        RequestBuffer {
            buf: Box::new([0; MAX_REQUEST]),
            len: 0,
        }
    }

    /// The free space to read into.
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Records `n` bytes read into [`spare`](Self::spare) and returns the
    /// number of complete requests now consumed.
    pub fn filled(&mut self, n: usize) -> Result<usize, RequestTooLarge> {
        self.len += n;
        let mut start = 0;
        let mut complete = 0;
        while let Some(end) = head_end(&self.buf[start..self.len]) {
            start += end;
            complete += 1;
        }
        if start > 0 {
            self.buf.copy_within(start..self.len, 0);
            self.len -= start;
        }
        if self.len == MAX_REQUEST {
            return Err(RequestTooLarge);
        }
        Ok(complete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_response_passes_our_validation() {
        assert_eq!(parse_response(RESPONSE), Ok(Some(RESPONSE.len())));
        assert_eq!(parse_response(&RESPONSE[..RESPONSE.len() - 1]), Ok(None));
        assert_eq!(parse_response(&RESPONSE[..10]), Ok(None));
    }

    #[test]
    fn node_style_response_with_more_headers_passes() {
        let r = b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\nDate: x\r\nConnection: keep-alive\r\n\r\nHello, World!";
        assert_eq!(parse_response(r), Ok(Some(r.len())));
    }

    #[test]
    fn wrong_status_length_or_body_is_an_error() {
        let bad_status = b"HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\nHello, World!";
        assert!(parse_response(bad_status).is_err());
        let bad_len = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHello, World";
        assert!(parse_response(bad_len).is_err());
        let bad_body = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world!";
        assert!(parse_response(bad_body).is_err());
        let no_len = b"HTTP/1.1 200 OK\r\n\r\n";
        assert!(parse_response(no_len).is_err());
    }

    #[test]
    fn request_buffer_counts_complete_requests_and_keeps_the_rest() {
        let mut rb = RequestBuffer::new();
        let two_and_a_half = [REQUEST, REQUEST, &REQUEST[..5]].concat();
        rb.spare()[..two_and_a_half.len()].copy_from_slice(&two_and_a_half);
        assert_eq!(rb.filled(two_and_a_half.len()), Ok(2));
        let rest = &REQUEST[5..];
        rb.spare()[..rest.len()].copy_from_slice(rest);
        assert_eq!(rb.filled(rest.len()), Ok(1));
    }

    #[test]
    fn request_buffer_rejects_an_endless_head() {
        let mut rb = RequestBuffer::new();
        let n = rb.spare().len();
        rb.spare().fill(b'a');
        assert_eq!(rb.filled(n), Err(RequestTooLarge));
    }

    #[test]
    fn echo_reply_must_match() {
        assert_eq!(Protocol::Echo.parse_reply(ECHO_MESSAGE), Ok(Some(64)));
        assert_eq!(Protocol::Echo.parse_reply(&ECHO_MESSAGE[..3]), Ok(None));
        assert!(Protocol::Echo.parse_reply(&[b'x'; 64]).is_err());
    }
}
