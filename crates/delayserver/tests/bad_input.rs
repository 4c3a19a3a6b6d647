//! Every kind of bad request gets its status: 404 for a wrong path, 400 for
//! a delay over the cap or a bad message, 405 for another method (the
//! connection stays usable after these), and 400 or 431 followed by a close
//! when the request cannot be framed.

mod util;

use std::io::Write;
use std::time::Duration;

use delayserver::{MAX_HEAD_BYTES, Server};
use util::{Client, localhost, server};

/// Sends `request`, expects `status`, then proves the connection still works.
fn assert_status_and_still_open(client: &mut Client, request: &str, status: u16) {
    client.send(request);
    let response = client.response();
    assert_eq!(response.status, status, "{request:?}: {}", response.text());
    assert_eq!(response.header("Connection"), None, "{request:?}");
    client.get("/0/still-open");
    assert_eq!(client.response().text(), "still-open");
}

/// Sends `request`, expects `status` with `Connection: close`, then a close.
fn assert_status_and_closed(client: &mut Client, request: &[u8], status: u16) {
    client.send(request);
    let response = client.response();
    assert_eq!(response.status, status);
    assert_eq!(response.header("Connection"), Some("close"));
    client.assert_closed();
}

#[test]
fn wrong_path_shapes_are_404() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    for path in [
        "/", "/100", "/100/", "/abc/x", "/10ms/x", "/-5/x", "/1.5/x", "//x", "/1/a/b", "/1/x/",
        "/%31/x", "*",
    ] {
        let request = format!("GET {path} HTTP/1.1\r\n\r\n");
        assert_status_and_still_open(&mut client, &request, 404);
    }
}

#[test]
fn delay_over_the_cap_is_400() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/60001/x");
    let response = client.response();
    assert_eq!(response.status, 400);
    assert!(response.text().contains("60000"), "{}", response.text());
    assert_status_and_still_open(
        &mut client,
        "GET /184467440737095516150/x HTTP/1.1\r\n\r\n",
        400,
    );
}

#[test]
fn the_cap_is_configurable() {
    let server = Server::bind(localhost())
        .unwrap()
        .quiet(true)
        .max_delay(Duration::from_millis(100))
        .spawn();
    let mut client = Client::connect(server.local_addr());
    client.get("/100/at-cap");
    assert_eq!(client.response().status, 200);
    client.get("/101/over");
    assert_eq!(client.response().status, 400);
}

#[test]
fn message_that_is_not_utf8_is_400() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    assert_status_and_still_open(&mut client, "GET /0/%FF%FE HTTP/1.1\r\n\r\n", 400);
}

#[test]
fn other_methods_are_405_with_allow() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"] {
        client.send(format!(
            "{method} /0/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        ));
        let response = client.response();
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("Allow"), Some("GET, HEAD"));
    }
    client.get("/0/ok");
    assert_eq!(client.response().text(), "ok");
}

#[test]
fn a_post_body_is_skipped_not_parsed_as_a_request() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let body = "GET /0/smuggled HTTP/1.1\r\n\r\n";
    client.send(format!(
        "POST /0/x HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    assert_eq!(client.response().status, 405);
    client.get("/0/real");
    assert_eq!(client.response().text(), "real");
}

#[test]
fn a_get_body_is_read_and_discarded() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let body = vec![b'z'; 100_000];
    client.send(format!(
        "GET /0/with-body HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    client.send(&body);
    assert_eq!(client.response().text(), "with-body");
    client.get("/0/after");
    assert_eq!(client.response().text(), "after");
}

#[test]
fn garbage_is_400_and_closes() {
    let server = server();
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..],
        b"GET /0/x HTTP/9.9\r\n\r\n",
        b"GET /0/x\r\n\r\n",
        b"GET /0/x HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET /0/a b HTTP/1.1\r\n\r\n",
    ] {
        let mut client = Client::connect(server.local_addr());
        assert_status_and_closed(&mut client, garbage, 400);
    }
}

#[test]
fn bad_body_framing_is_400_and_closes() {
    let server = server();
    for request in [
        "GET /0/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET /0/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "GET /0/x HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
    ] {
        let mut client = Client::connect(server.local_addr());
        assert_status_and_closed(&mut client, request.as_bytes(), 400);
    }
}

#[test]
fn head_over_8_kib_is_431_and_closes() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let mut request = b"GET /0/x HTTP/1.1\r\nX-Padding: ".to_vec();
    request.resize(MAX_HEAD_BYTES + 100, b'p');
    request.extend_from_slice(b"\r\n\r\n");
    assert_status_and_closed(&mut client, &request, 431);
}

#[test]
fn too_many_headers_is_431_and_closes() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let mut request = "GET /0/x HTTP/1.1\r\n".to_owned();
    for i in 0..100 {
        request.push_str(&format!("X-{i}: v\r\n"));
    }
    request.push_str("\r\n");
    assert_status_and_closed(&mut client, request.as_bytes(), 431);
}

/// Sets `SO_SNDBUF` on `stream`.
fn set_send_buffer(stream: &std::net::TcpStream, bytes: libc::c_int) {
    use std::os::fd::AsRawFd;
    // SAFETY: setsockopt reads one c_int that lives for the call, on a
    // socket this test owns.
    let result = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&bytes as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(result, 0, "{}", std::io::Error::last_os_error());
}

#[test]
fn the_431_reaches_a_client_that_sends_everything_before_reading() {
    // The server answers after 8 KiB while the client goes on sending its
    // 256 KiB head. Closing outright would reset the connection and fail
    // the client's writes (and could destroy the answer in flight); the
    // server lingers instead, discarding input until the client is done.
    let server = server();
    let mut client = Client::connect(server.local_addr());
    // Small socket buffers, so the head cannot all sit in buffers before
    // the server decides; 768 KiB stays under the server's linger budget.
    set_send_buffer(client.stream(), 4096);
    let mut request = b"GET /0/x HTTP/1.1\r\nX-Endless: ".to_vec();
    request.resize(768 * 1024, b'e');
    client
        .stream()
        .write_all(&request)
        .expect("the server keeps reading while it closes");
    let response = client.response();
    assert_eq!(response.status, 431);
    assert_eq!(response.header("Connection"), Some("close"));
    client.assert_closed();
}

#[test]
fn bad_requests_do_not_disturb_other_connections() {
    let server = server();
    let mut good = Client::connect(server.local_addr());
    good.get("/300/patient");
    for _ in 0..10 {
        let mut bad = Client::connect(server.local_addr());
        bad.send(b"\x00\x01\x02\r\n\r\n");
        assert_eq!(bad.response().status, 400);
    }
    assert_eq!(good.response().text(), "patient");
}
