//! Request-head parsing: `httparse` over the connection's buffer, giving
//! offsets (so the head is copied once, into the [`Request`](super::Request)),
//! the body framing, whether the connection stays open and whether the
//! client waits for `100 Continue` before sending its body. Heads over
//! 16 KiB or with too many headers are refused with `431`, anything
//! malformed (conflicting lengths, `Content-Length` with chunked, an
//! unsupported transfer coding) with `400`.

use std::mem::MaybeUninit;

use crate::http::body::{Framing, framing};
use crate::http::{MAX_HEAD_SIZE, MAX_HEADERS};

/// A parsed head, as offsets into the buffer.
pub(crate) struct ParsedHead {
    pub(crate) len: usize,
    pub(crate) method: std::ops::Range<usize>,
    pub(crate) url: std::ops::Range<usize>,
    pub(crate) version: u8,
    pub(crate) framing: Framing,
    pub(crate) keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request with a body.
    pub(crate) expect_continue: bool,
}

pub(crate) enum Head {
    Incomplete,
    Complete(ParsedHead),
    Reject(u16),
}

/// The offset of `part` (a slice of `buf`) in `buf`.
fn offset(buf: &[u8], part: &str) -> std::ops::Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(buf.as_ptr() as usize);
    start..start + part.len()
}

/// Parses the request head at the start of `buf`.
pub(crate) fn parse_head(buf: &[u8]) -> Head {
    // Uninitialised header slots: no 3 KiB memset per request.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(buf, &mut headers) {
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD_SIZE => return Head::Reject(431),
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_SIZE => return Head::Reject(431),
        Ok(httparse::Status::Partial) => return Head::Incomplete,
        Err(httparse::Error::TooManyHeaders) => return Head::Reject(431),
        Err(_) => return Head::Reject(400),
    };
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Head::Reject(400);
    };
    // One pass over the names, comparing only those of the right length.
    let mut keep_alive = version == 1;
    let mut has_body_headers = false;
    let mut expect_continue = false;
    for h in req.headers.iter() {
        match h.name.len() {
            10 if h.name.eq_ignore_ascii_case("connection") => {
                for token in h.value.split(|&b| b == b',') {
                    let token = token.trim_ascii();
                    if token.eq_ignore_ascii_case(b"close") {
                        keep_alive = false;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        keep_alive = true;
                    }
                }
            }
            6 if h.name.eq_ignore_ascii_case("expect") => {
                expect_continue = h.value.trim_ascii().eq_ignore_ascii_case(b"100-continue");
            }
            14 | 17 => has_body_headers = true,
            _ => {}
        }
    }
    let framing = if has_body_headers {
        match framing(req.headers, Framing::Length(0)) {
            Ok(Framing::UntilClose) | Err(_) => return Head::Reject(400),
            Ok(f) => f,
        }
    } else {
        Framing::Length(0)
    };
    Head::Complete(ParsedHead {
        len,
        method: offset(buf, method),
        url: offset(buf, path),
        version,
        framing,
        keep_alive,
        expect_continue: expect_continue && version == 1 && framing != Framing::Length(0),
    })
}
