//! The response a client reads, as its bytes arrive: the head once whole
//! (at most [`MAX_HEAD_SIZE`]), then the body through the server's
//! incremental [`BodyDecoder`], so each byte is looked at once and memory
//! stays bounded by [`MAX_RESPONSE_BODY`]. Interim `1xx` heads are skipped.

use super::super::body::{BodyDecoder, BodyStep, Framing, framing};
use super::super::{MAX_HEAD_SIZE, MAX_HEADERS};
use super::{ClientResponse, MAX_RESPONSE_BODY};
use crate::Error;

/// A response read as its bytes arrive: the head once whole, then the body
/// through [`BodyDecoder`], each byte looked at once, memory bounded by
/// [`MAX_HEAD_SIZE`] and [`MAX_RESPONSE_BODY`].
pub(super) struct ResponseReader {
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
    pub(super) fn new(head_request: bool) -> ResponseReader {
        ResponseReader {
            buf: Vec::new(),
            head_request,
            head: None,
        }
    }

    /// Takes the next `bytes` (`eof`: the peer ended) and reads as far as
    /// they go: `Ok(None)` until the response is whole; with it, whether
    /// the connection may carry another request.
    pub(super) fn feed(
        &mut self,
        bytes: &[u8],
        eof: bool,
    ) -> Result<Option<(ClientResponse, bool)>, Error> {
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
        let close = super::super::find_header(&headers, "connection")
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
}
