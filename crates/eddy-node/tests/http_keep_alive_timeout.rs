//! The HTTP server's keep-alive idle timeout (Node's
//! `server.keepAliveTimeout`): an idle keep-alive connection is ended after
//! it, one that keeps sending requests is not.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use eddy_node::{http, net, timers};

const REQUEST: &str = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const RESPONSE_END: &[u8] = b"\r\n\r\nok";

#[test]
fn the_default_is_nodes_five_seconds() {
    eddy_node::run(|| {
        let server = http::create_server(|_req, res| res.end("ok"));
        assert_eq!(server.keep_alive_timeout(), Duration::from_secs(5));
        assert_eq!(http::DEFAULT_KEEP_ALIVE_TIMEOUT, Duration::from_secs(5));
    })
    .unwrap();
}

#[test]
fn an_idle_keep_alive_connection_is_ended_after_the_timeout() {
    let eof_after: Rc<Cell<Option<Duration>>> = Rc::default();
    let e = eof_after.clone();
    eddy_node::run(move || {
        let server = http::create_server(|_req, res| res.end("ok"));
        server.set_keep_alive_timeout(Duration::from_millis(150));
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let socket = net::connect(&addr.unwrap().to_string());
            let sent = Rc::new(Cell::new(Instant::now()));
            let (sock, s) = (socket.clone(), sent.clone());
            socket.on_connect(move || {
                s.set(Instant::now());
                sock.write(REQUEST);
            });
            socket.on_data(|_| {});
            // A guard so a broken timeout fails instead of hanging.
            let (sock, srv2) = (socket.clone(), srv.clone());
            let guard = timers::set_timeout(5000, move || {
                sock.destroy();
                srv2.close(|| {});
            });
            let sock = socket.clone();
            socket.on_end(move || {
                e.set(Some(sent.get().elapsed()));
                timers::clear_timeout(&guard);
                sock.end("");
                srv.close(|| {});
            });
        });
    })
    .unwrap();
    let eof_after = eof_after
        .get()
        .expect("the server never ended the idle connection");
    assert!(eof_after >= Duration::from_millis(150), "{eof_after:?}");
    assert!(eof_after < Duration::from_secs(2), "{eof_after:?}");
}

#[test]
fn a_connection_sending_requests_is_not_ended() {
    const REQUESTS: u32 = 15;
    let answered = Rc::new(Cell::new(0u32));
    let ended_early = Rc::new(Cell::new(false));
    let (a, seen, early) = (answered.clone(), answered.clone(), ended_early.clone());
    let start = Instant::now();
    eddy_node::run(move || {
        let server = http::create_server(|_req, res| res.end("ok"));
        // 15 requests 20 ms apart span 300+ ms: longer than the timeout,
        // but no gap comes near it.
        server.set_keep_alive_timeout(Duration::from_millis(200));
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let socket = net::connect(&addr.unwrap().to_string());
            let sock = socket.clone();
            socket.on_connect(move || {
                sock.write(REQUEST);
            });
            let buf = Rc::new(RefCell::new(Vec::new()));
            let sock = socket.clone();
            socket.on_data(move |chunk| {
                buf.borrow_mut().extend_from_slice(chunk);
                if !buf.borrow().ends_with(RESPONSE_END) {
                    return;
                }
                buf.borrow_mut().clear();
                a.set(a.get() + 1);
                if a.get() == REQUESTS {
                    sock.end("");
                    srv.close(|| {});
                } else {
                    let sock = sock.clone();
                    timers::set_timeout(20, move || {
                        sock.write(REQUEST);
                    });
                }
            });
            socket.on_end(move || {
                if seen.get() < REQUESTS {
                    early.set(true);
                }
            });
        });
    })
    .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(280));
    assert_eq!(answered.get(), REQUESTS);
    assert!(!ended_early.get(), "the server ended a busy connection");
}
