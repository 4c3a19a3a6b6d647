//! The HTTP server's headers timeout (Node's `server.headersTimeout`): a
//! client that has not sent a complete request head in time gets `408`
//! and is closed, however it trickles bytes (slow loris); one that sends
//! its head in time is served.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use eddy_node::{http, net, timers};

#[test]
fn the_default_is_nodes_sixty_seconds() {
    eddy_node::run(|| {
        let server = http::create_server(|_req, res| res.end("ok"));
        assert_eq!(server.headers_timeout(), Duration::from_secs(60));
        assert_eq!(http::DEFAULT_HEADERS_TIMEOUT, Duration::from_secs(60));
    })
    .unwrap();
}

/// Connects, sends `head` one byte every `every` ms, and records what came
/// back and when the server closed the connection.
fn trickle(head: &'static [u8], every: u64, timeout: Duration) -> (String, Duration, u32) {
    let got = Rc::new(RefCell::new(Vec::new()));
    let closed_after: Rc<Cell<Option<Duration>>> = Rc::default();
    let handled = Rc::new(Cell::new(0u32));
    let (g, c, h) = (got.clone(), closed_after.clone(), handled.clone());
    eddy_node::run(move || {
        let server = http::create_server(move |_req, res| {
            h.set(h.get() + 1);
            res.end("ok");
        });
        server.set_headers_timeout(timeout);
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let socket = net::connect(&addr.unwrap().to_string());
            let start = Instant::now();
            let sent = Rc::new(Cell::new(0usize));
            let sock = socket.clone();
            let drip = timers::set_interval(every, move || {
                let i = sent.get();
                if i < head.len() {
                    sock.write(&head[i..=i]);
                    sent.set(i + 1);
                }
            });
            // A guard so a broken timeout fails instead of hanging.
            let sock = socket.clone();
            let guard = timers::set_timeout(10_000, move || sock.destroy());
            socket.on_data(move |chunk| g.borrow_mut().extend_from_slice(chunk));
            socket.on_error(|_| {});
            socket.on_close(move |_| {
                c.set(Some(start.elapsed()));
                timers::clear_interval(&drip);
                timers::clear_timeout(&guard);
                srv.close(|| {});
            });
        });
    })
    .unwrap();
    let text = String::from_utf8_lossy(&got.borrow()).into_owned();
    let after = closed_after.get().expect("the connection never closed");
    (text, after, handled.get())
}

#[test]
fn a_slow_loris_client_gets_408_and_is_closed() {
    // 40 header bytes at one per 20 ms would take 800 ms: far past 200 ms.
    let head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghij\r\n\r\n";
    let (response, after, handled) = trickle(head, 20, Duration::from_millis(200));
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{response:?}"
    );
    assert!(response.contains("Connection: close"), "{response}");
    assert_eq!(handled, 0, "the handler must not see a timed-out head");
    assert!(after >= Duration::from_millis(200), "{after:?}");
    assert!(after < Duration::from_secs(3), "{after:?}");
}

#[test]
fn a_head_sent_in_time_is_served() {
    // 26 bytes at one per 2 ms (~52 ms) against a 1 s timeout; the server
    // then ends the idle connection after its keep-alive timeout (5 s is
    // too long for a test: the guard would fire first), so ask to close.
    let head = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    let (response, _, handled) = trickle(head, 2, Duration::from_secs(1));
    assert_eq!(handled, 1);
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nok"), "{response}");
}
