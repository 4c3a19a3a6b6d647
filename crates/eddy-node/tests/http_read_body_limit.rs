//! `Request::read_body` and its limit: a body over `http::MAX_BODY` is
//! refused with `ERR_HTTP_BODY_TOO_LARGE`, at once when the
//! `Content-Length` already says so, while collecting when it is chunked;
//! the rest is discarded and the connection serves the next request. (Its
//! own test binary: these bodies are megabytes, and the bounded-memory
//! test beside the streaming ones measures the process's peak RSS.)

use std::cell::RefCell;
use std::rc::Rc;

use eddy_node::{http, net};

/// Runs a server whose handler collects each body with `read_body` and
/// answers `413 <error code>` when that fails, `200 <bytes>` otherwise;
/// sends `request` raw on one connection and returns everything received
/// until `responses` responses have arrived (or a 20 s guard gave up).
fn read_body_exchange(request: Vec<u8>, responses: usize) -> String {
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    eddy_node::run(move || {
        let server = http::create_server(|req, res| {
            req.read_body(move |body| match body {
                Ok(body) => {
                    res.end(format!("{} bytes", body.len()));
                }
                Err(err) => {
                    res.status(413).end(err.code());
                }
            });
        });
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let socket = net::connect(&addr.unwrap().to_string());
            let sock = socket.clone();
            socket.on_connect(move || {
                sock.write(request.clone());
            });
            // A guard so a server that never answers fails the test
            // instead of hanging it.
            let sock = socket.clone();
            eddy_node::timers::set_timeout(20_000, move || sock.destroy()).unref();
            let (g2, sock) = (g.clone(), socket.clone());
            socket.on_data(move |chunk| {
                g2.borrow_mut().extend_from_slice(chunk);
                let text = String::from_utf8_lossy(&g2.borrow()).into_owned();
                let complete = text.ends_with("bytes") || text.ends_with("ERR_HTTP_BODY_TOO_LARGE");
                if complete && text.matches("HTTP/1.1 ").count() == responses {
                    sock.destroy();
                }
            });
            socket.on_error(|_| {});
            socket.on_close(move |_| srv.close(|| {}));
        });
    })
    .unwrap();
    let got = got.borrow();
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn read_body_refuses_a_declared_length_over_the_limit_before_the_body_arrives() {
    // The head promises one byte over the limit; only 10 bytes follow. A
    // read_body that waited for the body would never answer.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n0123456789",
        http::MAX_BODY + 1
    );
    let response = read_body_exchange(head.into_bytes(), 1);
    assert!(
        response.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{response}"
    );
    assert!(response.ends_with("ERR_HTTP_BODY_TOO_LARGE"), "{response}");
}

#[test]
fn read_body_at_the_declared_limit_is_collected() {
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        http::MAX_BODY
    )
    .into_bytes();
    request.extend(std::iter::repeat_n(b'x', http::MAX_BODY));
    let response = read_body_exchange(request, 1);
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.ends_with(&format!("{} bytes", http::MAX_BODY)),
        "{response}"
    );
}

#[test]
fn read_body_over_the_limit_in_chunks_fails_and_the_connection_serves_the_next_request() {
    // No length up front: the limit is found while collecting. The rest of
    // the body is discarded, then a pipelined request is answered.
    let mut request = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let piece = vec![b'y'; 64 * 1024];
    for _ in 0..(http::MAX_BODY / piece.len() + 2) {
        request.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        request.extend_from_slice(&piece);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    request.extend_from_slice(b"POST /next HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    let response = read_body_exchange(request, 2);
    let first = response.find("HTTP/1.1 413 Payload Too Large\r\n");
    let second = response.find("HTTP/1.1 200 OK\r\n");
    assert!(
        matches!((first, second), (Some(a), Some(b)) if a < b),
        "{response}"
    );
    assert!(response.contains("ERR_HTTP_BODY_TOO_LARGE"), "{response}");
    assert!(response.ends_with("3 bytes"), "{response}");
}
