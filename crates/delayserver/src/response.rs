//! Responses: the [`Status`] codes the server uses, the [`Response`] a
//! request turns into, and its serialisation into bytes for the socket.
//!
//! A response is decided when its request is parsed (see
//! [`request`](crate::request)) but only written when it is due; the `Date`
//! header is therefore stamped at write time, from a [`DateCache`] that
//! formats the current second once however many responses share it.

use std::time::SystemTime;

/// The status codes the server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 200: the delayed message.
    Ok,
    /// 400: a malformed request, a bad body framing, a delay over the cap or
    /// a message that is not UTF-8 after percent-decoding.
    BadRequest,
    /// 404: the path is not `/{delay_ms}/{message}` with a numeric delay.
    NotFound,
    /// 405: a method other than GET or HEAD.
    MethodNotAllowed,
    /// 431: the request head is over the size or header-count limit.
    HeadersTooLarge,
}

impl Status {
    /// The whole status line, `HTTP/1.1 {code} {reason}` and CRLF.
    pub(crate) fn line(self) -> &'static str {
        match self {
            Status::Ok => "HTTP/1.1 200 OK\r\n",
            Status::BadRequest => "HTTP/1.1 400 Bad Request\r\n",
            Status::NotFound => "HTTP/1.1 404 Not Found\r\n",
            Status::MethodNotAllowed => "HTTP/1.1 405 Method Not Allowed\r\n",
            Status::HeadersTooLarge => "HTTP/1.1 431 Request Header Fields Too Large\r\n",
        }
    }
}

/// What the `Connection` header of a response says, which is also what the
/// server does with the connection after writing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionHeader {
    /// No header: HTTP/1.1's default, the connection stays open.
    Omitted,
    /// `Connection: keep-alive`: an HTTP/1.0 client asked to keep it open.
    KeepAlive,
    /// `Connection: close`: the server closes after this response.
    Close,
}

/// One response, ready to be serialised when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    /// The status line's code.
    pub(crate) status: Status,
    /// The body (sent unless `head_only`); its length is `Content-Length`.
    pub(crate) body: String,
    /// Answering a HEAD request: headers only, `Content-Length` as for GET.
    pub(crate) head_only: bool,
    /// The `Connection` header, and whether the server closes afterwards.
    pub(crate) connection: ConnectionHeader,
}

impl Response {
    /// Whether the server closes the connection once this is written.
    pub(crate) fn closes(&self) -> bool {
        self.connection == ConnectionHeader::Close
    }

    /// Appends the whole response (status line, headers, body) to `out`.
    ///
    /// Built from byte slices rather than `write!`: this runs once per
    /// request, and the formatting machinery would be most of its cost.
    pub(crate) fn write_to(&self, date: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(self.status.line().as_bytes());
        out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
        push_decimal(out, self.body.len());
        out.extend_from_slice(b"\r\nDate: ");
        out.extend_from_slice(date.as_bytes());
        out.extend_from_slice(b"\r\n");
        match self.connection {
            ConnectionHeader::Omitted => {}
            ConnectionHeader::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
            ConnectionHeader::Close => out.extend_from_slice(b"Connection: close\r\n"),
        }
        if self.status == Status::MethodNotAllowed {
            out.extend_from_slice(b"Allow: GET, HEAD\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !self.head_only {
            out.extend_from_slice(self.body.as_bytes());
        }
    }
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// The current `Date` header value, formatted at most once per second.
#[derive(Debug)]
pub(crate) struct DateCache {
    /// The whole second `text` was formatted for (seconds since the epoch).
    second: u64,
    /// `text` formatted as an HTTP date (IMF-fixdate).
    text: String,
}

impl DateCache {
    /// A cache holding the current time.
    pub(crate) fn new() -> DateCache {
        let mut cache = DateCache {
            second: u64::MAX,
            text: String::new(),
        };
        cache.refresh();
        cache
    }

    /// The `Date` value for now.
    pub(crate) fn now(&mut self) -> &str {
        self.refresh();
        &self.text
    }

    fn refresh(&mut self) {
        let now = SystemTime::now();
        let second = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if second != self.second {
            self.second = second;
            self.text = httpdate::fmt_http_date(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(response: &Response) -> String {
        let mut out = Vec::new();
        response.write_to("Thu, 01 Jan 1970 00:00:00 GMT", &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ok_response_has_the_required_headers() {
        let text = render(&Response {
            status: Status::Ok,
            body: "héllo".into(),
            head_only: false,
            connection: ConnectionHeader::Omitted,
        });
        assert_eq!(
            text,
            "HTTP/1.1 200 OK\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 6\r\n\
             Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
             \r\n\
             héllo"
        );
    }

    #[test]
    fn head_keeps_content_length_but_drops_the_body() {
        let text = render(&Response {
            status: Status::Ok,
            body: "abc".into(),
            head_only: true,
            connection: ConnectionHeader::Close,
        });
        assert!(text.contains("Content-Length: 3\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn method_not_allowed_lists_allowed_methods() {
        let text = render(&Response {
            status: Status::MethodNotAllowed,
            body: String::new(),
            head_only: false,
            connection: ConnectionHeader::KeepAlive,
        });
        assert!(text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(text.contains("Allow: GET, HEAD\r\n"));
        assert!(text.contains("Connection: keep-alive\r\n"));
    }

    #[test]
    fn status_lines_parse_with_their_codes() {
        for (status, code) in [
            (Status::Ok, 200),
            (Status::BadRequest, 400),
            (Status::NotFound, 404),
            (Status::MethodNotAllowed, 405),
            (Status::HeadersTooLarge, 431),
        ] {
            let head = format!("{}\r\n", status.line());
            let mut headers = [httparse::EMPTY_HEADER; 1];
            let mut response = httparse::Response::new(&mut headers);
            assert!(response.parse(head.as_bytes()).unwrap().is_complete());
            assert_eq!(response.code, Some(code));
        }
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 99, 100, 12_345, usize::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn date_cache_formats_an_http_date() {
        let mut cache = DateCache::new();
        let text = cache.now().to_owned();
        assert!(httpdate::parse_http_date(&text).is_ok(), "{text}");
        assert!(text.ends_with(" GMT"));
    }
}
