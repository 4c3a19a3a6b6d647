//! Request parsing: turns the bytes at the front of a connection's input
//! into a [`Request`] (with `httparse`, bounded in size and header count)
//! and routes it to a delayed message or an error status.
//!
//! The parser is a pure function of the bytes and the delay cap, so it is
//! tested (and fuzzed) apart from any socket. What to do with the result,
//! when to answer and whether to keep the connection, is the
//! [`connection`](crate::connection) module's job.
//!
//! | input | outcome |
//! |---|---|
//! | `GET` or `HEAD /{digits}/{segment}`, delay within the cap | a delayed 200 |
//! | method other than GET/HEAD | 405 |
//! | any other path shape, or a delay that is not all digits | 404 |
//! | delay over the cap | 400 |
//! | message not UTF-8 after percent-decoding | 400 |
//! | head (request line + headers) over 8 KiB or over 64 headers | 431, close |
//! | bytes httparse rejects, `Transfer-Encoding`, bad `Content-Length` | 400, close |

use std::mem::MaybeUninit;
use std::time::Duration;

use percent_encoding::percent_decode_str;

use crate::response::{ConnectionHeader, Response, Status};

/// The largest request head (request line and headers) accepted, in bytes.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// The most headers one request may carry.
pub(crate) const MAX_HEADERS: usize = 64;

/// What the front of a connection's input holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// An incomplete head within the size limit: read more.
    Partial,
    /// A complete, well-framed request.
    Complete(Request),
    /// Bytes that cannot be framed as a request: answer `status` (400 or
    /// 431) and close the connection, since where the next request would
    /// start is unknown.
    Invalid(Status),
}

/// A parsed request, already routed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Request {
    /// Length of the head in the input; the body (if any) follows it.
    pub(crate) head_len: usize,
    /// `Content-Length` of the body, which the connection reads and discards.
    pub(crate) body_len: u64,
    /// A HEAD request: answer with headers only.
    pub(crate) head_only: bool,
    /// Whether the connection stays open after the response (HTTP/1.1
    /// unless `Connection: close`; HTTP/1.0 only with `Connection:
    /// keep-alive`), as the response's `Connection` header says.
    pub(crate) connection: ConnectionHeader,
    /// What to answer.
    pub(crate) route: Route,
}

/// Where a request leads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `200 OK` with `message` after `delay`.
    Delayed {
        /// The delay in milliseconds, as the client wrote it.
        delay_ms: u64,
        /// The percent-decoded message.
        message: String,
    },
    /// An immediate error response with this status and body.
    Error(Status, String),
}

impl Request {
    /// The delay before answering.
    pub(crate) fn delay(&self) -> Duration {
        match self.route {
            Route::Delayed { delay_ms, .. } => Duration::from_millis(delay_ms),
            Route::Error(..) => Duration::ZERO,
        }
    }

    /// Turns the request into its response (the body moves out of `self`).
    pub(crate) fn into_response(self) -> Response {
        let (status, body) = match self.route {
            Route::Delayed { message, .. } => (Status::Ok, message),
            Route::Error(status, body) => (status, body),
        };
        Response {
            status,
            body,
            head_only: self.head_only,
            connection: self.connection,
        }
    }
}

/// The response for input that [`parse`] found [`Parsed::Invalid`].
pub(crate) fn invalid_response(status: Status) -> Response {
    let body = match status {
        Status::HeadersTooLarge => {
            format!("request head over {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} headers\n")
        }
        _ => "malformed request\n".to_owned(),
    };
    Response {
        status,
        body,
        head_only: false,
        connection: ConnectionHeader::Close,
    }
}

/// Parses the request at the front of `input`; delays over `max_delay_ms`
/// are refused.
pub(crate) fn parse(input: &[u8], max_delay_ms: u64) -> Parsed {
    // Uninitialised header slots: httparse fills only what it uses, which
    // spares zeroing 64 of them for every request.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let head_len = match req.parse_with_uninit_headers(input, &mut headers) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD_BYTES => len,
        Ok(httparse::Status::Complete(_)) => return Parsed::Invalid(Status::HeadersTooLarge),
        Ok(httparse::Status::Partial) if input.len() <= MAX_HEAD_BYTES => return Parsed::Partial,
        Ok(httparse::Status::Partial) => return Parsed::Invalid(Status::HeadersTooLarge),
        Err(httparse::Error::TooManyHeaders) => return Parsed::Invalid(Status::HeadersTooLarge),
        Err(_) => return Parsed::Invalid(Status::BadRequest),
    };
    // httparse returns Complete only with method, path and version set.
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Parsed::Invalid(Status::BadRequest);
    };

    let mut body_len = None;
    let mut close = false;
    let mut keep_alive = false;
    for header in req.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            match parse_content_length(header.value) {
                Some(len) if body_len.is_none_or(|seen| seen == len) => body_len = Some(len),
                _ => return Parsed::Invalid(Status::BadRequest),
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked bodies are not supported; guessing their framing would
            // desynchronise the connection.
            return Parsed::Invalid(Status::BadRequest);
        } else if header.name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let connection = match (version, close, keep_alive) {
        (_, true, _) => ConnectionHeader::Close,
        (0, false, true) => ConnectionHeader::KeepAlive,
        (0, false, false) => ConnectionHeader::Close,
        _ => ConnectionHeader::Omitted,
    };
    Parsed::Complete(Request {
        head_len,
        body_len: body_len.unwrap_or(0),
        head_only: method == "HEAD",
        connection,
        route: route(method, path, max_delay_ms),
    })
}

/// Routes a method and request target to a delayed message or an error.
fn route(method: &str, target: &str, max_delay_ms: u64) -> Route {
    if method != "GET" && method != "HEAD" {
        return Route::Error(
            Status::MethodNotAllowed,
            format!("method {method} not allowed: use GET or HEAD\n"),
        );
    }
    let not_found = || {
        Route::Error(
            Status::NotFound,
            "not found: ask for /{delay_ms}/{message}\n".to_owned(),
        )
    };
    // The query string, if any, is not part of the message.
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let Some((delay, message)) = path.strip_prefix('/').and_then(|rest| rest.split_once('/'))
    else {
        return not_found();
    };
    if delay.is_empty()
        || !delay.bytes().all(|b| b.is_ascii_digit())
        || message.is_empty()
        || message.contains('/')
    {
        return not_found();
    }
    // All digits: the only parse failure left is overflow, which is over any cap.
    let delay_ms = delay.parse::<u64>().unwrap_or(u64::MAX);
    if delay_ms > max_delay_ms {
        return Route::Error(
            Status::BadRequest,
            format!("delay {delay} ms is over the cap of {max_delay_ms} ms\n"),
        );
    }
    match percent_decode_str(message).decode_utf8() {
        Ok(message) => Route::Delayed {
            delay_ms,
            message: message.into_owned(),
        },
        Err(_) => Route::Error(
            Status::BadRequest,
            "message is not UTF-8 after percent-decoding\n".to_owned(),
        ),
    }
}

/// A `Content-Length` value: one or more ASCII digits fitting in a `u64`.
fn parse_content_length(value: &[u8]) -> Option<u64> {
    let value = value.trim_ascii();
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: u64 = 60_000;

    fn complete(input: &str) -> Request {
        match parse(input.as_bytes(), CAP) {
            Parsed::Complete(request) => request,
            other => panic!("{input:?} parsed as {other:?}"),
        }
    }

    fn error_status(input: &str) -> Status {
        match complete(input).route {
            Route::Error(status, _) => status,
            route => panic!("{input:?} routed to {route:?}"),
        }
    }

    #[test]
    fn delayed_get_decodes_the_message() {
        let input = "GET /1500/hello%20w%C3%B6rld HTTP/1.1\r\nHost: x\r\n\r\n";
        let request = complete(input);
        assert_eq!(request.head_len, input.len());
        assert_eq!(request.body_len, 0);
        assert!(!request.head_only);
        assert_eq!(request.connection, ConnectionHeader::Omitted);
        assert_eq!(request.delay(), Duration::from_millis(1500));
        assert_eq!(
            request.route,
            Route::Delayed {
                delay_ms: 1500,
                message: "hello wörld".into()
            }
        );
    }

    #[test]
    fn query_string_is_ignored() {
        let request = complete("GET /0/hi?x=1 HTTP/1.1\r\n\r\n");
        assert!(matches!(request.route, Route::Delayed { ref message, .. } if message == "hi"));
    }

    #[test]
    fn head_is_head_only() {
        assert!(complete("HEAD /0/x HTTP/1.1\r\n\r\n").head_only);
    }

    #[test]
    fn connection_modes() {
        let mode = |input: &str| complete(input).connection;
        assert_eq!(mode("GET /0/x HTTP/1.1\r\n\r\n"), ConnectionHeader::Omitted);
        assert_eq!(
            mode("GET /0/x HTTP/1.1\r\nConnection: Close\r\n\r\n"),
            ConnectionHeader::Close
        );
        assert_eq!(
            mode("GET /0/x HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n"),
            ConnectionHeader::Close
        );
        assert_eq!(mode("GET /0/x HTTP/1.0\r\n\r\n"), ConnectionHeader::Close);
        assert_eq!(
            mode("GET /0/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
            ConnectionHeader::KeepAlive
        );
    }

    #[test]
    fn partial_until_the_blank_line() {
        assert_eq!(parse(b"GET /0/x HTTP/1.1\r\nHost:", CAP), Parsed::Partial);
        assert_eq!(parse(b"", CAP), Parsed::Partial);
    }

    #[test]
    fn routing_errors() {
        assert_eq!(
            error_status("POST /0/x HTTP/1.1\r\n\r\n"),
            Status::MethodNotAllowed
        );
        assert_eq!(
            error_status("get /0/x HTTP/1.1\r\n\r\n"),
            Status::MethodNotAllowed
        );
        for path in [
            "/",
            "/0",
            "/0/",
            "/x/y",
            "/-1/x",
            "/+1/x",
            "//x",
            "/1/a/b",
            "http://h/1/x",
        ] {
            let input = format!("GET {path} HTTP/1.1\r\n\r\n");
            assert_eq!(error_status(&input), Status::NotFound, "{path}");
        }
        assert_eq!(
            error_status("GET /60001/x HTTP/1.1\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(
            error_status("GET /99999999999999999999999/x HTTP/1.1\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(
            error_status("GET /1/%FF HTTP/1.1\r\n\r\n"),
            Status::BadRequest
        );
    }

    #[test]
    fn delay_at_the_cap_is_allowed() {
        assert_eq!(
            complete("GET /60000/x HTTP/1.1\r\n\r\n").delay(),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn content_length_is_framed() {
        let request = complete("GET /0/x HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(request.body_len, 12);
        let same_twice = "GET /0/x HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n";
        assert_eq!(complete(same_twice).body_len, 3);
        for bad in [
            "GET /0/x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "GET /0/x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "GET /0/x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "GET /0/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert_eq!(
                parse(bad.as_bytes(), CAP),
                Parsed::Invalid(Status::BadRequest),
                "{bad}"
            );
        }
    }

    #[test]
    fn garbage_is_a_bad_request() {
        assert_eq!(
            parse(b"\x00\x01\x02 junk\r\n\r\n", CAP),
            Parsed::Invalid(Status::BadRequest)
        );
        assert_eq!(
            parse(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", CAP),
            Parsed::Invalid(Status::BadRequest)
        );
    }

    #[test]
    fn oversized_heads_are_refused() {
        let mut big = b"GET /0/x HTTP/1.1\r\nX-Big: ".to_vec();
        big.resize(MAX_HEAD_BYTES + 1, b'a');
        assert_eq!(parse(&big, CAP), Parsed::Invalid(Status::HeadersTooLarge));
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&big, CAP), Parsed::Invalid(Status::HeadersTooLarge));

        let mut many = "GET /0/x HTTP/1.1\r\n".to_owned();
        for i in 0..=MAX_HEADERS {
            many.push_str(&format!("X-{i}: y\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(
            parse(many.as_bytes(), CAP),
            Parsed::Invalid(Status::HeadersTooLarge)
        );
    }

    #[test]
    fn a_head_of_exactly_the_limit_is_accepted() {
        let mut head = b"GET /0/x HTTP/1.1\r\nX-Pad: ".to_vec();
        head.resize(MAX_HEAD_BYTES - 4, b'a');
        head.extend_from_slice(b"\r\n\r\n");
        assert_eq!(head.len(), MAX_HEAD_BYTES);
        assert!(matches!(parse(&head, CAP), Parsed::Complete(_)));
    }

    #[test]
    fn responses_carry_status_body_and_mode() {
        let response = complete("HEAD /0/a%2Fb HTTP/1.0\r\n\r\n").into_response();
        assert_eq!(response.status, Status::Ok);
        assert_eq!(response.body, "a/b");
        assert!(response.head_only && response.closes());
        assert!(invalid_response(Status::HeadersTooLarge).closes());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces that make near-requests more often than random bytes do.
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::sample::select(vec![
                "GET ",
                "HEAD ",
                "POST ",
                "/",
                "0",
                "17",
                "99999999999999999999",
                "abc",
                "%",
                "%2",
                "%FF",
                "%C3%A9",
                "?q",
                " HTTP/1.1",
                " HTTP/1.0",
                " HTTP/2",
                "\r\n",
                "\n",
                "Connection: close",
                "Connection: keep-alive",
                "Content-Length: 3",
                "Content-Length: x",
                "Transfer-Encoding: chunked",
                ": ",
                "\0",
                " ",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..16),
        ]
    }

    fn input() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(piece(), 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_keeps_its_promises(input in input(), cap in 0u64..100_000) {
            match parse(&input, cap) {
                Parsed::Partial => prop_assert!(input.len() <= MAX_HEAD_BYTES),
                Parsed::Complete(request) => {
                    prop_assert!(request.head_len <= input.len());
                    prop_assert!(request.head_len <= MAX_HEAD_BYTES);
                    if let Route::Delayed { delay_ms, .. } = request.route {
                        prop_assert!(delay_ms <= cap);
                    }
                }
                Parsed::Invalid(status) => prop_assert!(matches!(
                    status,
                    Status::BadRequest | Status::HeadersTooLarge
                )),
            }
        }

        #[test]
        fn parse_of_random_bytes_never_panics(input in prop::collection::vec(any::<u8>(), 0..20_000)) {
            let _ = parse(&input, 60_000);
        }

        #[test]
        fn a_complete_request_parses_the_same_with_trailing_bytes(
            delay in 0u64..100_000,
            message in "[a-zA-Z0-9%]{1,30}",
            tail in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let head = format!("GET /{delay}/{message} HTTP/1.1\r\n\r\n");
            let mut input = head.clone().into_bytes();
            input.extend_from_slice(&tail);
            let alone = parse(head.as_bytes(), 60_000);
            let with_tail = parse(&input, 60_000);
            prop_assert_eq!(alone, with_tail);
        }
    }
}
