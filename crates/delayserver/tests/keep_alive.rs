//! HTTP/1.1 connections stay open for more requests until the client sends
//! `Connection: close`.

mod util;

use util::{Client, server};

#[test]
fn one_connection_serves_many_requests_in_turn() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    for i in 0..20 {
        client.get(&format!("/{}/req-{i}", i % 3));
        let response = client.response();
        assert_eq!(response.status, 200);
        assert_eq!(response.text(), format!("req-{i}"));
        assert_eq!(response.header("Connection"), None);
    }
}

#[test]
fn connection_close_is_answered_then_closed() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/0/first");
    assert_eq!(client.response().text(), "first");
    client.send("GET /10/last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let response = client.response();
    assert_eq!(response.text(), "last");
    assert_eq!(response.header("Connection"), Some("close"));
    client.assert_closed();
}

#[test]
fn connection_close_token_is_found_in_a_list_and_any_case() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.send("GET /0/x HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n");
    assert_eq!(client.response().header("Connection"), Some("close"));
    client.assert_closed();
}

#[test]
fn requests_after_connection_close_are_ignored() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.send(
        "GET /0/a HTTP/1.1\r\nConnection: close\r\n\r\n\
         GET /0/b HTTP/1.1\r\n\r\n",
    );
    assert_eq!(client.response().text(), "a");
    client.assert_closed();
}

#[test]
fn client_half_close_still_gets_its_answers() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/50/one");
    client.get("/0/two");
    client.stream().shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(client.response().text(), "one");
    assert_eq!(client.response().text(), "two");
    client.assert_closed();
}
