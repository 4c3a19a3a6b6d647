//! Unit tests of the server's head parser and body framing, and the
//! random-input check that no bytes make them panic.

use super::head::{Head, parse_head};
use crate::http::MAX_HEAD_SIZE;
use crate::http::body::{BodyDecoder, BodyStep, Framing};

fn status_of(input: &[u8]) -> Option<u16> {
    match parse_head(input) {
        Head::Reject(status) => Some(status),
        _ => None,
    }
}

#[test]
fn parses_pipelined_heads_one_at_a_time() {
    let input = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    let Head::Complete(head) = parse_head(input) else {
        panic!("not parsed");
    };
    assert_eq!(&input[head.method.clone()], b"GET");
    assert_eq!(&input[head.url.clone()], b"/a");
    assert!(head.keep_alive);
    let Head::Complete(next) = parse_head(&input[head.len..]) else {
        panic!("second not parsed");
    };
    assert_eq!(&input[head.len..][next.url], b"/b");
}

#[test]
fn rejects_what_node_rejects() {
    assert_eq!(status_of(b"NOT HTTP\r\n\r\n"), Some(400));
    let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', MAX_HEAD_SIZE + 1));
    assert_eq!(status_of(&big), Some(431));
    assert_eq!(
        status_of(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
        Some(400)
    );
    assert_eq!(
        status_of(b"POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n"),
        Some(400)
    );
}

#[test]
fn expect_continue_only_with_a_body_on_http11() {
    let expects = |input: &[u8]| match parse_head(input) {
        Head::Complete(head) => head.expect_continue,
        _ => panic!("not parsed"),
    };
    assert!(expects(
        b"PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n"
    ));
    assert!(!expects(b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n"));
    assert!(!expects(
        b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
    ));
}

#[test]
fn framing_and_connection_tokens() {
    let Head::Complete(head) =
        parse_head(b"POST / HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 5\r\n\r\nab")
    else {
        panic!("not parsed");
    };
    assert_eq!((head.framing, head.keep_alive), (Framing::Length(5), true));
    let Head::Complete(head) = parse_head(
        b"POST / HTTP/1.1\r\nConnection: x, close\r\nTransfer-Encoding: chunked\r\n\r\n",
    ) else {
        panic!("not parsed");
    };
    assert_eq!((head.framing, head.keep_alive), (Framing::Chunked, false));
}

mod random_input {
    use super::*;
    use proptest::prelude::*;

    /// Runs the head parser, then the body decoder over what follows.
    fn drive(input: &[u8]) {
        let Head::Complete(head) = parse_head(input) else {
            return;
        };
        let mut decoder = BodyDecoder::new(head.framing);
        let mut pos = head.len;
        while let Ok(step) = decoder.step(&input[pos..]) {
            match step {
                BodyStep::Skip(n) | BodyStep::Data(n) => pos += n,
                BodyStep::NeedMore | BodyStep::Done(_) => return,
            }
            assert!(pos <= input.len());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes: the parser answers, asks for more, or rejects; it
        /// never panics.
        #[test]
        fn never_panics_on_random_bytes(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            drive(&input);
        }

        /// Valid heads followed by random bytes (bodies, chunk sizes).
        #[test]
        fn never_panics_on_random_bodies(
            tail in proptest::collection::vec(any::<u8>(), 0..256),
            chunked in any::<bool>(),
        ) {
            let mut input = if chunked {
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()
            } else {
                b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n".to_vec()
            };
            input.extend_from_slice(&tail);
            drive(&input);
        }
    }
}
