//! The examples crate. The programs are the `[[example]]` targets in this
//! folder; run one with `cargo run --release --example NAME`. This library
//! holds the one piece several of them share: knowing when a delay-server
//! response has arrived whole, without trusting the server (an example
//! given `--addr` talks to whatever listens there).

use std::io;

/// The largest response the example clients accept: the delay server's
/// replies are a few hundred bytes, so a longer one is refused instead of
/// buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Whether `response`, the bytes received so far, holds a whole response:
/// its head and the `Content-Length` body. `Ok(false)` while more is to
/// come (a response without a length runs until the server closes);
/// `InvalidData` when the bytes are not an HTTP response or cannot become
/// one within [`MAX_RESPONSE_BYTES`].
///
/// ```
/// use eddy_examples::response_complete;
/// assert!(!response_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel").unwrap());
/// assert!(response_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").unwrap());
/// assert!(response_complete(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
/// ```
pub fn response_complete(response: &[u8]) -> io::Result<bool> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(response) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if response.len() <= MAX_RESPONSE_BYTES => return Ok(false),
        Ok(httparse::Status::Partial) => {
            return Err(invalid(format!(
                "no end of the response head in {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        Err(e) => return Err(invalid(format!("not an HTTP response: {e}"))),
    };
    let length = parsed
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map(|h| {
            std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| invalid("bad Content-Length".to_owned()))
        })
        .transpose()?;
    let whole = head_len.saturating_add(length.unwrap_or(0));
    if whole > MAX_RESPONSE_BYTES || response.len() > MAX_RESPONSE_BYTES {
        return Err(invalid(format!("response over {MAX_RESPONSE_BYTES} bytes")));
    }
    Ok(length.is_some() && response.len() >= whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_only_with_the_whole_body() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        for cut in 0..full.len() {
            assert!(!response_complete(&full[..cut]).unwrap(), "cut at {cut}");
        }
        assert!(response_complete(full).unwrap());
        // Without a length the body runs until the server closes.
        assert!(!response_complete(b"HTTP/1.0 200 OK\r\n\r\nbody").unwrap());
    }

    #[test]
    fn oversized_or_foreign_responses_are_errors() {
        let long = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_RESPONSE_BYTES
        );
        assert!(response_complete(long.as_bytes()).is_err());
        let mut endless_head = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        endless_head.resize(MAX_RESPONSE_BYTES + 1, b'a');
        assert!(response_complete(&endless_head).is_err());
        let mut endless_body = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
        endless_body.resize(MAX_RESPONSE_BYTES + 1, b'a');
        assert!(response_complete(&endless_body).is_err());
        assert!(response_complete(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(response_complete(b"\x16\x03\x01 not http\r\n\r\n").is_err());
    }
}
