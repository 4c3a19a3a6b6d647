//! HTTP client and server against each other: keep-alive reuse, chunked and
//! length-delimited bodies both ways, and the server's answers to bad input.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use eddy_node::{http, net};

/// Runs a server with `handler` and calls `client(url, done)`; `done` closes
/// the server.
fn with_server(
    handler: impl FnMut(http::Request, http::Response) + 'static,
    client: impl FnOnce(String, Rc<dyn Fn()>) + 'static,
) {
    eddy_node::run(move || {
        let server = http::create_server(handler);
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let done: Rc<dyn Fn()> = Rc::new(move || srv.close(|| {}));
            client(addr.unwrap().to_string(), done);
        });
    })
    .unwrap();
}

#[test]
fn sequential_requests_reuse_one_connection() {
    let open = Rc::new(RefCell::new(Vec::new()));
    let o = open.clone();
    eddy_node::run(move || {
        let server: Rc<RefCell<Option<http::Server>>> = Rc::default();
        let s = server.clone();
        let srv = http::create_server(move |_req, res| {
            let count = s.borrow().as_ref().map_or(0, |s| s.connections());
            o.borrow_mut().push(count);
            res.end("ok");
        });
        *server.borrow_mut() = Some(srv.clone());
        srv.listen("127.0.0.1:0", move |addr| {
            let url = format!("http://{}/", addr.unwrap());
            let u = url.clone();
            http::get(&url, move |_| {
                let u2 = u.clone();
                http::get(&u, move |_| {
                    http::get(&u2, move |_| {
                        let srv = server.borrow_mut().take().unwrap();
                        srv.close(|| {});
                    });
                });
            });
        });
    })
    .unwrap();
    assert_eq!(*open.borrow(), [1, 1, 1]);
}

#[test]
fn sequential_requests_on_a_keep_alive_agent() {
    let peers = Rc::new(RefCell::new(Vec::new()));
    let p = peers.clone();
    let bodies = Rc::new(RefCell::new(Vec::new()));
    let b = bodies.clone();
    with_server(
        move |req, res| {
            p.borrow_mut()
                .push(req.header("host").unwrap_or("").to_owned());
            res.end(format!("hello {}", req.url()));
        },
        move |addr, done| {
            fn next(addr: String, n: u32, bodies: Rc<RefCell<Vec<String>>>, done: Rc<dyn Fn()>) {
                if n == 3 {
                    return done();
                }
                let url = format!("http://{addr}/{n}");
                http::get(&url, move |res| {
                    bodies.borrow_mut().push(res.unwrap().text());
                    next(addr, n + 1, bodies, done);
                });
            }
            next(addr, 0, b, done);
        },
    );
    assert_eq!(*bodies.borrow(), ["hello /0", "hello /1", "hello /2"]);
    assert_eq!(peers.borrow().len(), 3);
}

#[test]
fn chunked_response_and_chunked_request() {
    let got = Rc::new(RefCell::new(None));
    let g = got.clone();
    let seen_body = Rc::new(RefCell::new(Vec::new()));
    let s = seen_body.clone();
    with_server(
        move |req, res| {
            let s = s.clone();
            req.read_body(move |body| {
                s.borrow_mut().extend_from_slice(&body.unwrap());
                res.write("part one, ");
                res.end("part two");
            });
        },
        move |addr, done| {
            // A raw chunked request, to check the server's decoder.
            let socket = net::connect(&addr);
            let sock = socket.clone();
            socket.on_connect(move || {
                sock.write(
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                     4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n",
                );
            });
            let buf = Rc::new(RefCell::new(Vec::new()));
            let (b, sock) = (buf.clone(), socket.clone());
            socket.on_data(move |chunk| {
                b.borrow_mut().extend_from_slice(chunk);
                if b.borrow().ends_with(b"0\r\n\r\n") {
                    sock.end("");
                }
            });
            socket.on_close(move |_| {
                *g.borrow_mut() = Some(String::from_utf8_lossy(&buf.borrow()).into_owned());
                done();
            });
        },
    );
    let response = got.borrow().clone().unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.contains("Transfer-Encoding: chunked"),
        "{response}"
    );
    assert!(
        response.ends_with("a\r\npart one, \r\n8\r\npart two\r\n0\r\n\r\n"),
        "{response}"
    );
    assert_eq!(*seen_body.borrow(), b"abcdefg");
}

#[test]
fn client_reads_chunked_bodies() {
    let text = Rc::new(RefCell::new(String::new()));
    let t = text.clone();
    with_server(
        |_req, res| {
            res.status(201).set_header("X-Test", "yes");
            res.write("a");
            res.write("b");
            res.end("c");
        },
        move |addr, done| {
            http::request(
                "POST",
                &format!("http://{addr}/"),
                &[],
                "body",
                move |res| {
                    let res = res.unwrap();
                    assert_eq!((res.status, res.header("x-test")), (201, Some("yes")));
                    *t.borrow_mut() = res.text();
                    done();
                },
            );
        },
    );
    assert_eq!(*text.borrow(), "abc");
}

fn raw_exchange(request: Vec<u8>) -> String {
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    with_server(
        move |_req, res| {
            c.set(c.get() + 1);
            res.end("handler ran");
        },
        move |addr, done| {
            let socket = net::connect(&addr);
            let sock = socket.clone();
            socket.on_connect(move || {
                sock.write(request.clone());
            });
            let g2 = g.clone();
            socket.on_data(move |chunk| g2.borrow_mut().extend_from_slice(chunk));
            socket.on_error(|_| {});
            socket.on_close(move |_| done());
        },
    );
    assert_eq!(calls.get(), 0, "the handler must not see a bad request");
    String::from_utf8_lossy(&got.borrow()).into_owned()
}

#[test]
fn malformed_request_gets_400_and_close() {
    let response = raw_exchange(b"GARBAGE \x00\x01 nonsense\r\n\r\n".to_vec());
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(response.contains("Connection: close"), "{response}");
}

#[test]
fn oversized_head_gets_431() {
    let mut request = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    request.extend(std::iter::repeat_n(b'a', 20 * 1024));
    request.extend_from_slice(b"\r\n\r\n");
    let response = raw_exchange(request);
    assert!(response.starts_with("HTTP/1.1 431 "), "{response}");
}

#[test]
fn get_async_in_a_spawned_future() {
    let text = Rc::new(RefCell::new(String::new()));
    let t = text.clone();
    with_server(
        |req, res| res.end(req.method()),
        move |addr, done| {
            eddy_node::spawn(async move {
                let res = http::get_async(&format!("http://{addr}/")).await.unwrap();
                *t.borrow_mut() = res.text();
                done();
            });
        },
    );
    assert_eq!(*text.borrow(), "GET");
}

#[test]
fn connection_refused_reaches_the_callback() {
    let code = Rc::new(RefCell::new(String::new()));
    let c = code.clone();
    eddy_node::run(move || {
        let probe = net::create_server(|_| {});
        let p = probe.clone();
        probe.listen("127.0.0.1:0", move |addr| {
            let addr = addr.unwrap();
            p.close(move || {
                http::get(&format!("http://{addr}/"), move |res| {
                    *c.borrow_mut() = res.unwrap_err().code().to_owned();
                });
            });
        });
    })
    .unwrap();
    assert_eq!(*code.borrow(), "ECONNREFUSED");
}

#[test]
fn request_headers_read_as_received() {
    let seen = Rc::new(RefCell::new(None));
    let s = seen.clone();
    with_server(
        move |req, res| {
            let all: Vec<(String, String)> = req
                .headers()
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            *s.borrow_mut() = Some((
                all,
                // Case-insensitive; the first of repeated names.
                req.header("x-dup").map(str::to_owned),
                req.header("X-SPACED").map(str::to_owned),
                req.header("x-missing").is_none(),
            ));
            res.end("ok");
        },
        move |addr, done| {
            let headers = [
                ("X-Dup", "first"),
                ("x-dup", "second"),
                ("X-Spaced", "a  b"),
            ];
            http::request(
                "GET",
                &format!("http://{addr}/"),
                &headers,
                "",
                move |res| {
                    assert_eq!(res.unwrap().text(), "ok");
                    done();
                },
            );
        },
    );
    let (all, dup, spaced, missing) = seen.borrow_mut().take().expect("handler ran");
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    for name in ["X-Dup", "x-dup", "X-Spaced"] {
        assert!(names.contains(&name), "{name} not in {all:?}");
    }
    let dups: Vec<&str> = all
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("x-dup"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(dups, ["first", "second"]);
    assert_eq!(dup.as_deref(), Some("first"));
    assert_eq!(spaced.as_deref(), Some("a  b"));
    assert!(missing);
}
