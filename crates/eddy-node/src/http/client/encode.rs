//! The request a client sends: what the caller passed, checked (a method
//! and header names that are tokens, header values without CR, LF or other
//! controls, a path without spaces or controls, a `Content-Length` that is
//! the body's), then encoded. Nothing a caller passes can split the request.

use super::super::header::{is_token, valid_value};
use crate::Error;

/// Checks what the caller gave and encodes the request: head and body.
pub(super) fn encode_request(
    method: &str,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<u8>, Error> {
    if !is_token(method) {
        return Err(Error::new(
            "ERR_INVALID_HTTP_TOKEN",
            format!("Method must be a valid HTTP token [{method:?}]"),
        ));
    }
    if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(Error::new(
            "ERR_UNESCAPED_CHARACTERS",
            format!("Request path contains unescaped characters [{path:?}]"),
        ));
    }
    let mut own_host = true;
    let mut own_connection = true;
    let mut own_length = !body.is_empty();
    for (name, value) in headers {
        if !is_token(name) {
            return Err(Error::new(
                "ERR_INVALID_HTTP_TOKEN",
                format!("Header name must be a valid HTTP token [{name:?}]"),
            ));
        }
        if !valid_value(value) {
            return Err(Error::new(
                "ERR_INVALID_CHAR",
                format!("Invalid character in header content [{name:?}]"),
            ));
        }
        if name.eq_ignore_ascii_case("host") {
            own_host = false;
        } else if name.eq_ignore_ascii_case("connection") {
            own_connection = false;
        } else if name.eq_ignore_ascii_case("content-length") {
            if value.trim().parse::<usize>().ok() != Some(body.len()) {
                return Err(Error::new(
                    "ERR_HTTP_CONTENT_LENGTH_MISMATCH",
                    format!(
                        "Request body length of {} byte(s) does not match the content-length of {value:?} set in header",
                        body.len()
                    ),
                ));
            }
            own_length = false;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Error::new(
                "ERR_INVALID_ARG_VALUE",
                "this client sends a body with Content-Length; a Transfer-Encoding header would contradict it",
            ));
        }
    }
    let mut out = Vec::with_capacity(64 + path.len() + body.len());
    for part in [method, " ", path, " HTTP/1.1\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    if own_host {
        for part in ["Host: ", authority, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    for (name, value) in headers {
        for part in [*name, ": ", *value, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    if own_length {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    if own_connection {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<String, Error> {
        encode_request(method, "h:1", path, headers, body)
            .map(|out| String::from_utf8(out).unwrap())
    }

    #[test]
    fn requests_are_encoded_with_host_length_and_keep_alive() {
        assert_eq!(
            encode("POST", "/x?y=1", &[("X-A", "1")], b"abc").unwrap(),
            "POST /x?y=1 HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc"
        );
        // The caller's Host, Connection and (matching) Content-Length win.
        assert_eq!(
            encode(
                "PUT",
                "/",
                &[
                    ("host", "example"),
                    ("Connection", "close"),
                    ("Content-Length", "2")
                ],
                b"ab"
            )
            .unwrap(),
            "PUT / HTTP/1.1\r\nhost: example\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab"
        );
    }

    #[test]
    fn requests_that_could_be_split_are_refused() {
        type Case = (
            &'static str,
            &'static str,
            &'static [(&'static str, &'static str)],
            &'static [u8],
            &'static str,
        );
        let cases: [Case; 10] = [
            ("GE T", "/", &[], b"", "ERR_INVALID_HTTP_TOKEN"),
            ("", "/", &[], b"", "ERR_INVALID_HTTP_TOKEN"),
            ("GET", "/a b", &[], b"", "ERR_UNESCAPED_CHARACTERS"),
            ("GET", "/a\r\nX: y", &[], b"", "ERR_UNESCAPED_CHARACTERS"),
            (
                "GET",
                "/",
                &[("X\r\nY", "1")],
                b"",
                "ERR_INVALID_HTTP_TOKEN",
            ),
            ("GET", "/", &[("X Y", "1")], b"", "ERR_INVALID_HTTP_TOKEN"),
            (
                "GET",
                "/",
                &[("X", "1\r\nEvil: 1")],
                b"",
                "ERR_INVALID_CHAR",
            ),
            ("GET", "/", &[("X", "a\0")], b"", "ERR_INVALID_CHAR"),
            (
                "POST",
                "/",
                &[("Content-Length", "5")],
                b"abc",
                "ERR_HTTP_CONTENT_LENGTH_MISMATCH",
            ),
            (
                "POST",
                "/",
                &[("Transfer-Encoding", "chunked")],
                b"abc",
                "ERR_INVALID_ARG_VALUE",
            ),
        ];
        for (method, path, headers, body, want) in cases {
            let got = encode(method, path, headers, body);
            assert_eq!(
                got.as_ref().map_err(|e| e.code()).err(),
                Some(want),
                "{method:?} {path:?} {headers:?}: {got:?}"
            );
        }
        // Tabs and non-ASCII text are fine in values.
        assert!(encode("GET", "/", &[("X", "a\tcaf\u{e9}")], b"").is_ok());
    }
}
