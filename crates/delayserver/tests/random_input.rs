//! Random and near-valid bytes thrown at a live server, split at random
//! points: it never panics or hangs, answers only with HTTP responses,
//! closes once the client is done, and keeps serving everyone else.

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

use delayserver::{Server, ServerHandle};
use proptest::prelude::*;
use util::{Client, localhost};

/// One server for every case, with short delays so answers come quickly.
fn server_addr() -> SocketAddr {
    static SERVER: OnceLock<ServerHandle> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            Server::bind(localhost())
                .unwrap()
                .quiet(true)
                .max_delay(Duration::from_millis(50))
                .spawn()
        })
        .local_addr()
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "GET ",
            "HEAD ",
            "PUT ",
            "/",
            "0",
            "7",
            "50",
            "51",
            "x",
            "%41",
            "%FF",
            "?",
            " HTTP/1.1",
            " HTTP/1.0",
            "\r\n",
            "\r\n\r\n",
            "Connection: close",
            "Connection: keep-alive",
            "Content-Length: 2",
            "Transfer-Encoding: x",
            ": ",
            "GET /0/ok HTTP/1.1\r\n\r\n",
            "HEAD /5/h HTTP/1.1\r\n\r\n",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn chunks() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(piece(), 0..12), 0..8)
        .prop_map(|chunks| chunks.into_iter().map(|pieces| pieces.concat()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn server_survives_any_input(chunks in chunks()) {
        let addr = server_addr();
        let client = Client::connect(addr);
        client.stream().set_nodelay(true).unwrap();
        for chunk in &chunks {
            // The server may already have closed after a fatal request.
            if client.stream().write_all(chunk).is_err() {
                break;
            }
        }
        let _ = client.stream().shutdown(Shutdown::Write);
        // With the client done, the server answers what it parsed and
        // closes: reading to the end must finish (the client's read timeout
        // turns a hang into a failure).
        let mut output = Vec::new();
        let read = client.stream().read_to_end(&mut output);
        if let Err(e) = &read {
            prop_assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{}", e);
        }
        prop_assert!(
            output.is_empty() || output.starts_with(b"HTTP/1.1 "),
            "not an HTTP response: {:?}", String::from_utf8_lossy(&output)
        );

        // And everyone else is still served.
        let mut other = Client::connect(addr);
        other.get("/0/alive");
        let response = other.response();
        prop_assert_eq!(response.text(), "alive");
    }
}
