//! Message framing shared by the HTTP client and server: which body a
//! message has (`Content-Length`, chunked, until close) and the
//! incremental body decoder both sides feed whatever bytes have arrived.
//! Everything here works on byte slices, so the random-input tests can
//! hammer it without a loop.

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

/// What [`BodyDecoder::step`] found at the start of its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyStep {
    /// The first `n` bytes are framing (a chunk-size line, a CRLF, a
    /// trailer): consumed, nothing to deliver.
    Skip(usize),
    /// The first `n` bytes are body data: deliver them, then drop them.
    Data(usize),
    /// The input holds no whole step yet.
    NeedMore,
    /// The body is complete after the first `n` bytes (framing).
    Done(usize),
}

/// An incremental request-body decoder: `Content-Length` or chunked, fed
/// whatever bytes have arrived, so a body of any size streams through
/// bounded buffers (a chunk's data is handed out as it arrives, not
/// collected).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyDecoder {
    /// `Content-Length` bytes still to come.
    Length(u64),
    /// Expecting a chunk-size line.
    ChunkSize,
    /// Inside a chunk: this many data bytes still to come.
    ChunkData(u64),
    /// After a chunk's data: expecting its CRLF.
    ChunkEnd,
    /// After the last (0-size) chunk: trailer lines until an empty one;
    /// the bytes of trailers seen so far.
    Trailers(usize),
}

/// The longest chunk-size line (with extensions) accepted.
const MAX_CHUNK_LINE: usize = 1024;

impl BodyDecoder {
    /// The decoder for a request's framing.
    pub(crate) fn new(framing: Framing) -> BodyDecoder {
        match framing {
            Framing::Chunked => BodyDecoder::ChunkSize,
            Framing::Length(n) => BodyDecoder::Length(n as u64),
            // Requests never read until close (refused before this).
            Framing::UntilClose => BodyDecoder::Length(0),
        }
    }

    /// Decodes the next step at the start of `input`.
    pub(crate) fn step(&mut self, input: &[u8]) -> Result<BodyStep, Malformed> {
        match *self {
            BodyDecoder::Length(0) => Ok(BodyStep::Done(0)),
            BodyDecoder::Length(left) => {
                if input.is_empty() {
                    return Ok(BodyStep::NeedMore);
                }
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                *self = BodyDecoder::Length(left - n as u64);
                Ok(BodyStep::Data(n))
            }
            BodyDecoder::ChunkSize => {
                let Some(end) = find_crlf(input) else {
                    if input.len() > MAX_CHUNK_LINE {
                        return Err(Malformed("chunk size line too long"));
                    }
                    return Ok(BodyStep::NeedMore);
                };
                if end > MAX_CHUNK_LINE {
                    return Err(Malformed("chunk size line too long"));
                }
                let line = &input[..end];
                let digits = line.split(|&b| b == b';').next().unwrap_or(line);
                let digits = std::str::from_utf8(digits).map_err(|_| Malformed("chunk size"))?;
                let digits = digits.trim_matches(|c| c == ' ' || c == '\t');
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Malformed("chunk size"));
                }
                let size = u64::from_str_radix(digits, 16).map_err(|_| Malformed("chunk size"))?;
                *self = if size == 0 {
                    BodyDecoder::Trailers(0)
                } else {
                    BodyDecoder::ChunkData(size)
                };
                Ok(BodyStep::Skip(end + 2))
            }
            BodyDecoder::ChunkData(left) => {
                if input.is_empty() {
                    return Ok(BodyStep::NeedMore);
                }
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                let left = left - n as u64;
                *self = if left == 0 {
                    BodyDecoder::ChunkEnd
                } else {
                    BodyDecoder::ChunkData(left)
                };
                Ok(BodyStep::Data(n))
            }
            BodyDecoder::ChunkEnd => {
                if input.len() < 2 {
                    return Ok(BodyStep::NeedMore);
                }
                if &input[..2] != b"\r\n" {
                    return Err(Malformed("chunk without CRLF"));
                }
                *self = BodyDecoder::ChunkSize;
                Ok(BodyStep::Skip(2))
            }
            BodyDecoder::Trailers(seen) => {
                let Some(end) = find_crlf(input) else {
                    if seen + input.len() > super::MAX_HEAD_SIZE {
                        return Err(Malformed("trailers too long"));
                    }
                    return Ok(BodyStep::NeedMore);
                };
                if seen + end > super::MAX_HEAD_SIZE {
                    return Err(Malformed("trailers too long"));
                }
                if end == 0 {
                    *self = BodyDecoder::Length(0);
                    return Ok(BodyStep::Done(2));
                }
                *self = BodyDecoder::Trailers(seen + end + 2);
                Ok(BodyStep::Skip(end + 2))
            }
        }
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

    /// Feeds `input` in pieces of `piece` bytes; the body, or the error.
    fn stream(input: &[u8], piece: usize) -> Result<(Vec<u8>, usize), Malformed> {
        let mut decoder = BodyDecoder::ChunkSize;
        let (mut body, mut pos, mut avail) = (Vec::new(), 0, 0);
        loop {
            match decoder.step(&input[pos..avail])? {
                BodyStep::Skip(n) => pos += n,
                BodyStep::Data(n) => {
                    body.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                }
                BodyStep::Done(n) => return Ok((body, pos + n)),
                BodyStep::NeedMore if avail == input.len() => return Err(Malformed("eof")),
                BodyStep::NeedMore => avail = (avail + piece).min(input.len()),
            }
        }
    }

    #[test]
    fn streams_chunks_fed_a_byte_at_a_time() {
        let input = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for piece in [1, 2, 3, 7, input.len()] {
            let (body, used) = stream(input, piece).unwrap();
            assert_eq!(body, b"hello world");
            assert_eq!(&input[used..], b"NEXT");
        }
    }

    #[test]
    fn partial_input_is_never_a_whole_body() {
        assert!(stream(b"5\r\nhel", 1).is_err());
        assert!(stream(b"5\r\nhello\r\n0\r\n", 3).is_err());
    }

    #[test]
    fn streaming_rejects_bad_chunk_sizes() {
        assert!(stream(b"zz\r\n", 1).is_err());
        assert!(stream(b"-1\r\n", 4).is_err());
        assert!(stream(b"\r\n", 4).is_err());
        assert!(stream(b"5\r\nhelloXX", 4).is_err());
        assert!(stream(b"ffffffffffffffffffff\r\n", 64).is_err());
        let long = vec![b'1'; 2000];
        assert!(stream(&long, 64).is_err());
    }

    #[test]
    fn length_bodies_stream_to_their_end() {
        let mut decoder = BodyDecoder::Length(5);
        assert_eq!(decoder.step(b"abc"), Ok(BodyStep::Data(3)));
        assert_eq!(decoder.step(b""), Ok(BodyStep::NeedMore));
        assert_eq!(decoder.step(b"defGET"), Ok(BodyStep::Data(2)));
        assert_eq!(decoder.step(b"GET"), Ok(BodyStep::Done(0)));
    }

    #[test]
    fn encodes_round_trip() {
        let mut out = Vec::new();
        encode_chunk(&mut out, b"abc");
        encode_chunk(&mut out, b"");
        out.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(stream(&out, out.len()).unwrap().0, b"abc");
    }
}
