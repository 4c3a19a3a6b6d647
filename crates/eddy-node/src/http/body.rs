//! Message framing shared by the HTTP client and server: which body a
//! message has (`Content-Length`, chunked, until close) and the chunked
//! decoder. Everything here is pure functions on byte slices, so the
//! random-input tests can hammer it without a loop.

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length: n` (0 for no body).
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Responses without either: the body ends when the connection does.
    UntilClose,
}

/// The body is malformed (bad chunk size, missing CRLF, conflicting headers).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// Picks the framing from the headers (RFC 9112 §6.3): chunked wins over a
/// length; two different lengths or a non-numeric one are malformed.
pub(crate) fn framing(
    headers: &[httparse::Header<'_>],
    default: Framing,
) -> Result<Framing, Malformed> {
    let mut length: Option<usize> = None;
    let mut chunked = false;
    for header in headers {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            let value =
                std::str::from_utf8(header.value).map_err(|_| Malformed("transfer-encoding"))?;
            match value.rsplit(',').next().map(str::trim) {
                Some(last) if last.eq_ignore_ascii_case("chunked") => chunked = true,
                _ => return Err(Malformed("unsupported transfer-encoding")),
            }
        } else if header.name.eq_ignore_ascii_case("content-length") {
            let value =
                std::str::from_utf8(header.value).map_err(|_| Malformed("content-length"))?;
            let n: usize = value
                .trim()
                .parse()
                .map_err(|_| Malformed("content-length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(Malformed("conflicting content-length"));
            }
            length = Some(n);
        }
    }
    if chunked {
        // Both present is a smuggling vector: refuse (as Node does).
        if length.is_some() {
            return Err(Malformed("content-length with chunked"));
        }
        return Ok(Framing::Chunked);
    }
    Ok(length.map_or(default, Framing::Length))
}

/// Decodes a complete chunked body at the start of `input`: `Ok(None)` if
/// more bytes are needed, else the body and the bytes consumed (trailers
/// included). Bodies over `limit` bytes are malformed.
pub(crate) fn decode_chunked(
    input: &[u8],
    limit: usize,
) -> Result<Option<(Vec<u8>, usize)>, Malformed> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let Some(line_end) = find_crlf(&input[pos..]) else {
            if input.len() - pos > 1024 {
                return Err(Malformed("chunk size line too long"));
            }
            return Ok(None);
        };
        let line = &input[pos..pos + line_end];
        let size_text = line.split(|&b| b == b';').next().unwrap_or(line);
        let size_text = std::str::from_utf8(size_text).map_err(|_| Malformed("chunk size"))?;
        let size =
            usize::from_str_radix(size_text.trim(), 16).map_err(|_| Malformed("chunk size"))?;
        pos += line_end + 2;
        if size == 0 {
            // Trailers: lines until an empty one.
            loop {
                let Some(end) = find_crlf(&input[pos..]) else {
                    return Ok(None);
                };
                pos += end + 2;
                if end == 0 {
                    return Ok(Some((body, pos)));
                }
            }
        }
        if body.len().saturating_add(size) > limit {
            return Err(Malformed("body too large"));
        }
        if input.len() < pos.saturating_add(size).saturating_add(2) {
            return Ok(None);
        }
        body.extend_from_slice(&input[pos..pos + size]);
        pos += size;
        if &input[pos..pos + 2] != b"\r\n" {
            return Err(Malformed("chunk without CRLF"));
        }
        pos += 2;
    }
}

fn find_crlf(input: &[u8]) -> Option<usize> {
    input.windows(2).position(|w| w == b"\r\n")
}

/// Encodes one chunk of a chunked body.
pub(crate) fn encode_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return; // an empty chunk would end the body
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_chunks_and_trailers() {
        let input = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        let (body, used) = decode_chunked(input, 1 << 20).unwrap().unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(&input[used..], b"NEXT");
    }

    #[test]
    fn partial_input_needs_more() {
        assert_eq!(decode_chunked(b"5\r\nhel", 100), Ok(None));
        assert_eq!(decode_chunked(b"5\r\nhello\r\n0\r\n", 100), Ok(None));
    }

    #[test]
    fn bad_sizes_are_malformed() {
        assert!(decode_chunked(b"zz\r\n", 100).is_err());
        assert!(decode_chunked(b"5\r\nhelloXX", 100).is_err());
        assert!(decode_chunked(b"ffffffffffffffffffff\r\n", 100).is_err());
        assert!(decode_chunked(b"10\r\n", 4).is_err());
    }

    #[test]
    fn encodes_round_trip() {
        let mut out = Vec::new();
        encode_chunk(&mut out, b"abc");
        encode_chunk(&mut out, b"");
        out.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(decode_chunked(&out, 100).unwrap().unwrap().0, b"abc");
    }
}
