//! Request bodies streamed through the server in bounded pieces: a 10 MiB
//! chunked upload arrives whole (checksum) without the server buffering
//! it, `Content-Length` bodies stream too, a malformed chunk size gets
//! `400`, and a body nobody reads is skipped so the next request is served.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use eddy_node::{http, net};

/// A simple running checksum (FNV-1a over the bytes).
fn fnv(mut hash: u64, data: &[u8]) -> u64 {
    for &b in data {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Deterministic bytes for piece `i` of an upload.
fn piece(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j * 7) as u8).collect()
}

/// The peak resident set of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A server that checksums each request body it streams and answers
/// `"<bytes> <checksum>"`; records the largest piece it was handed.
fn checksum_server(largest: Rc<Cell<usize>>) -> http::Server {
    http::create_server(move |req, res| {
        let state = Rc::new(Cell::new((0usize, FNV_START)));
        let (s, largest) = (state.clone(), largest.clone());
        req.on_data(move |chunk| {
            largest.set(largest.get().max(chunk.len()));
            let (n, hash) = s.get();
            s.set((n + chunk.len(), fnv(hash, chunk)));
        });
        req.on_end(move || {
            let (n, hash) = state.get();
            res.end(format!("{n} {hash:x}"));
        });
    })
}

/// Sends `pieces` pieces of `len` bytes as a chunked request body,
/// writing only while the socket takes them (drain in between).
fn upload_chunked(socket: net::Socket, pieces: usize, len: usize) {
    fn pump(socket: &net::Socket, next: &Rc<Cell<usize>>, pieces: usize, len: usize) {
        while next.get() < pieces {
            let data = piece(next.get(), len);
            next.set(next.get() + 1);
            let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
            framed.extend_from_slice(&data);
            framed.extend_from_slice(b"\r\n");
            if next.get() == pieces {
                framed.extend_from_slice(b"0\r\n\r\n");
            }
            if !socket.write(framed) {
                return; // wait for drain
            }
        }
    }
    let next = Rc::new(Cell::new(0usize));
    let (sock, n) = (socket.clone(), next.clone());
    socket.on_drain(move || pump(&sock, &n, pieces, len));
    let sock = socket.clone();
    socket.on_connect(move || {
        sock.write("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        pump(&sock, &next, pieces, len);
    });
}

#[test]
fn a_10_mib_chunked_upload_arrives_whole_in_bounded_memory() {
    const PIECES: usize = 160;
    const LEN: usize = 64 * 1024; // 160 x 64 KiB = 10 MiB
    let expected = (0..PIECES).fold(FNV_START, |h, i| fnv(h, &piece(i, LEN)));
    let reply = Rc::new(RefCell::new(Vec::new()));
    let largest = Rc::new(Cell::new(0));
    let before = peak_rss_kib();
    let (r, l) = (reply.clone(), largest.clone());
    eddy_node::run(move || {
        let server = checksum_server(l);
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let socket = net::connect(&addr.unwrap().to_string());
            upload_chunked(socket.clone(), PIECES, LEN);
            socket.on_data(move |chunk| r.borrow_mut().extend_from_slice(chunk));
            socket.on_close(move |_| srv.close(|| {}));
        });
    })
    .unwrap();
    let reply = String::from_utf8_lossy(&reply.borrow()).into_owned();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(
        reply.ends_with(&format!("\r\n\r\n{} {expected:x}", PIECES * LEN)),
        "{reply}"
    );
    assert!(
        largest.get() <= 64 * 1024,
        "a piece of {} bytes",
        largest.get()
    );
    // Buffering the body would add 10 MiB; streaming adds a few buffers.
    let grew = peak_rss_kib().saturating_sub(before);
    assert!(grew < 6 * 1024, "peak RSS grew by {grew} KiB");
}

#[test]
fn a_content_length_body_streams_to_on_end() {
    let reply = Rc::new(RefCell::new(String::new()));
    let r = reply.clone();
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let expected = format!("{} {:x}", body.len(), fnv(FNV_START, &body));
    eddy_node::run(move || {
        let server = checksum_server(Rc::default());
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let url = format!("http://{}/", addr.unwrap());
            http::request("PUT", &url, &[], body, move |res| {
                *r.borrow_mut() = res.unwrap().text();
                srv.close(|| {});
            });
        });
    })
    .unwrap();
    assert_eq!(*reply.borrow(), expected);
}

/// Sends `request` raw and returns everything the server sent back before
/// it closed.
fn raw_exchange(
    handler: impl FnMut(http::Request, http::Response) + 'static,
    request: &'static [u8],
) -> String {
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    eddy_node::run(move || {
        let server = http::create_server(handler);
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let socket = net::connect(&addr.unwrap().to_string());
            let sock = socket.clone();
            socket.on_connect(move || {
                sock.write(request);
            });
            socket.on_data(move |chunk| g.borrow_mut().extend_from_slice(chunk));
            socket.on_error(|_| {});
            socket.on_close(move |_| srv.close(|| {}));
        });
    })
    .unwrap();
    String::from_utf8_lossy(&got.borrow()).into_owned()
}

#[test]
fn a_malformed_chunk_size_gets_400_and_close() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let response = raw_exchange(
        move |req, res| {
            let s = s.clone();
            req.on_data(move |chunk| s.borrow_mut().extend_from_slice(chunk));
            req.on_end(move || res.end("should not happen"));
        },
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nmore\r\n0\r\n\r\n",
    );
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(response.contains("Connection: close"), "{response}");
    assert_eq!(*seen.borrow(), b"abc", "the good chunk before the bad one");
}

#[test]
fn an_unread_body_is_skipped_and_the_next_request_served() {
    let urls = Rc::new(RefCell::new(Vec::new()));
    let u = urls.clone();
    // A 100 KiB body nobody reads, then a pipelined GET that closes.
    let mut request = b"POST /first HTTP/1.1\r\nContent-Length: 102400\r\n\r\n".to_vec();
    request.extend(std::iter::repeat_n(b'x', 102_400));
    request.extend_from_slice(b"GET /second HTTP/1.1\r\nConnection: close\r\n\r\n");
    let request: &'static [u8] = request.leak();
    let response = raw_exchange(
        move |req, res| {
            u.borrow_mut().push(req.url().to_owned());
            res.end(req.url());
        },
        request,
    );
    assert_eq!(*urls.borrow(), ["/first", "/second"]);
    assert!(response.ends_with("\r\n\r\n/second"), "{response}");
    assert_eq!(response.matches("HTTP/1.1 200 OK").count(), 2, "{response}");
}

#[test]
fn expect_100_continue_is_answered_before_the_body() {
    let got = Rc::new(RefCell::new(String::new()));
    let g = got.clone();
    eddy_node::run(move || {
        let server = checksum_server(Rc::default());
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let socket = net::connect(&addr.unwrap().to_string());
            let sock = socket.clone();
            socket.on_connect(move || {
                sock.write(
                    "PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\
                     Connection: close\r\n\r\n",
                );
            });
            // The body goes only once the server said to continue.
            let (sock, sent) = (socket.clone(), Rc::new(Cell::new(false)));
            socket.on_data(move |chunk| {
                g.borrow_mut().push_str(&String::from_utf8_lossy(chunk));
                if !sent.get() && g.borrow().starts_with("HTTP/1.1 100 Continue\r\n\r\n") {
                    sent.set(true);
                    sock.write("hello");
                }
            });
            socket.on_close(move |_| srv.close(|| {}));
        });
    })
    .unwrap();
    let got = got.borrow();
    let expected = format!("\r\n\r\n5 {:x}", fnv(FNV_START, b"hello"));
    assert!(
        got.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
        "{got}"
    );
    assert!(got.ends_with(&expected), "{got}");
}

#[test]
fn a_data_handler_set_later_gets_the_body_that_came_before() {
    let reply = Rc::new(RefCell::new(String::new()));
    let r = reply.clone();
    let body: Vec<u8> = (0..20_000u32).map(|i| (i % 13) as u8).collect();
    let expected = format!("{} {:x}", body.len(), fnv(FNV_START, &body));
    eddy_node::run(move || {
        let server = http::create_server(|req, res| {
            // The body arrives while nobody listens; read it 20 ms later.
            eddy_node::timers::set_timeout(20, move || {
                req.read_body(move |body| {
                    let body = body.unwrap();
                    res.end(format!("{} {:x}", body.len(), fnv(FNV_START, &body)));
                });
            });
        });
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let url = format!("http://{}/", addr.unwrap());
            http::request("POST", &url, &[], body, move |res| {
                *r.borrow_mut() = res.unwrap().text();
                srv.close(|| {});
            });
        });
    })
    .unwrap();
    assert_eq!(*reply.borrow(), expected);
}
