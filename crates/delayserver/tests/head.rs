//! HEAD answers with the headers GET would send and no body.

mod util;

use util::{Client, server};

#[test]
fn head_sends_headers_only() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.send("HEAD /5/twelve-bytes HTTP/1.1\r\n\r\n");
    let response = client.head_response();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Length"), Some("12"));
    assert_eq!(
        response.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(response.header("Date").is_some());

    // Had a body been sent, this response would start with it.
    client.get("/0/next");
    let next = client.response();
    assert_eq!((next.status, next.text()), (200, "next"));
}

#[test]
fn head_of_an_error_has_no_body_either() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.send("HEAD /nope HTTP/1.1\r\n\r\n");
    let response = client.head_response();
    assert_eq!(response.status, 404);
    assert_ne!(response.header("Content-Length"), Some("0"));
    client.get("/0/after");
    assert_eq!(client.response().text(), "after");
}
