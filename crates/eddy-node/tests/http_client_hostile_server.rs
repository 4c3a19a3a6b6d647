//! The HTTP client against servers that misbehave, over real sockets: a
//! `Content-Length` past `MAX_RESPONSE_BODY` fails at once (the rest is not
//! read), an endless body without a length fails once it passes the limit,
//! a head that never ends fails at 16 KiB, and a request whose header would
//! split it is refused before anything is sent.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use eddy_node::{http, net};

/// Runs a raw TCP server that answers each connection with `reply(socket)`
/// and a client `http::get`; returns the client's error code (or "ok") and
/// how many bytes the server had written when the client gave up.
fn get_from(reply: impl Fn(&net::Socket) + 'static) -> (String, usize) {
    let outcome = Rc::new(RefCell::new(String::new()));
    let written = Rc::new(Cell::new(0usize));
    let (o, w) = (outcome.clone(), written.clone());
    eddy_node::run(move || {
        let reply = Rc::new(reply);
        let server = net::create_server(move |socket| {
            let (reply, socket2) = (reply.clone(), socket.clone());
            socket.on_data(move |_request| reply(&socket2));
            socket.on_error(|_| {});
        });
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let url = format!("http://{}/", addr.unwrap());
            let (o, w, srv) = (o.clone(), w.clone(), srv.clone());
            http::get(&url, move |res| {
                *o.borrow_mut() = match res {
                    Ok(_) => "ok".to_owned(),
                    Err(e) => e.code().to_owned(),
                };
                w.set(WRITTEN.with(Cell::get));
                srv.close(|| {});
            });
        });
    })
    .unwrap();
    let code = outcome.borrow().clone();
    (code, written.get())
}

thread_local! {
    /// Bytes the hostile server has written so far.
    static WRITTEN: Cell<usize> = const { Cell::new(0) };
}

/// Writes `piece` until the peer goes away, waiting for the socket to
/// drain in between; after `limit` bytes ends the connection (so a client
/// that never refuses completes, and its test fails instead of hanging).
fn pour(socket: &net::Socket, piece: Rc<Vec<u8>>, limit: usize) {
    loop {
        if socket.destroyed() {
            return;
        }
        if WRITTEN.with(Cell::get) >= limit {
            socket.end("");
            return;
        }
        WRITTEN.with(|w| w.set(w.get() + piece.len()));
        if !socket.write(piece.as_slice()) {
            let (s, p) = (socket.clone(), piece.clone());
            socket.on_drain(move || pour(&s, p.clone(), limit));
            return;
        }
    }
}

#[test]
fn a_declared_length_over_the_limit_fails_without_reading_the_body() {
    WRITTEN.with(|w| w.set(0));
    let (code, written) = get_from(|socket| {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            http::MAX_RESPONSE_BODY * 4
        );
        socket.write(head);
        pour(
            socket,
            Rc::new(vec![b'x'; 64 * 1024]),
            http::MAX_RESPONSE_BODY * 4,
        );
    });
    assert_eq!(code, "ERR_HTTP_BODY_TOO_LARGE");
    assert!(
        written < http::MAX_RESPONSE_BODY,
        "the client read {written} bytes before refusing"
    );
}

#[test]
fn an_endless_body_fails_once_past_the_limit() {
    WRITTEN.with(|w| w.set(0));
    // HTTP/1.0 without a length: the body runs until the connection ends,
    // which this server does only after twice the limit.
    let (code, written) = get_from(|socket| {
        socket.write("HTTP/1.0 200 OK\r\n\r\n");
        pour(
            socket,
            Rc::new(vec![b'x'; 64 * 1024]),
            http::MAX_RESPONSE_BODY * 2,
        );
    });
    assert_eq!(code, "ERR_HTTP_BODY_TOO_LARGE");
    assert!(written > http::MAX_RESPONSE_BODY, "{written}");
}

#[test]
fn a_head_that_never_ends_fails_at_its_limit() {
    WRITTEN.with(|w| w.set(0));
    let (code, _) = get_from(|socket| {
        socket.write("HTTP/1.1 200 OK\r\nX-Endless: ");
        pour(socket, Rc::new(vec![b'a'; 1024]), 4 * 1024 * 1024);
    });
    assert_eq!(code, "HPE_HEADER_OVERFLOW");
}

#[test]
fn a_header_that_would_split_the_request_is_refused_before_connecting() {
    let connections = Rc::new(Cell::new(0));
    let outcome = Rc::new(RefCell::new(String::new()));
    let (c, o) = (connections.clone(), outcome.clone());
    eddy_node::run(move || {
        let server = net::create_server(move |_socket| c.set(c.get() + 1));
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let url = format!("http://{}/", addr.unwrap());
            let (o, srv) = (o.clone(), srv.clone());
            http::request("GET", &url, &[("X", "1\r\nEvil: 1")], "", move |res| {
                *o.borrow_mut() = res.unwrap_err().code().to_owned();
                // Give a connection that should not exist time to show up.
                eddy_node::timers::set_timeout(50, move || srv.close(|| {}));
            });
        });
    })
    .unwrap();
    assert_eq!(*outcome.borrow(), "ERR_INVALID_CHAR");
    assert_eq!(connections.get(), 0);
}
