//! A delayed GET is answered `200 OK` with the decoded message and the
//! required headers.

mod util;

use std::time::{Duration, SystemTime};

use util::{Client, server};

#[test]
fn ok_response_carries_type_length_date_and_decoded_body() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/5/hello%20w%C3%B6rld%21");
    let response = client.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.reason, "OK");
    assert_eq!(
        response.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.header("Content-Length"), Some("13"));
    assert_eq!(response.text(), "hello wörld!");
    // HTTP/1.1 keeps the connection: no Connection header is needed.
    assert_eq!(response.header("Connection"), None);

    let date = response.header("Date").expect("a Date header");
    let date = httpdate::parse_http_date(date).expect("an HTTP date");
    let skew = SystemTime::now()
        .duration_since(date)
        .unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_secs(60), "Date is {skew:?} off");
}

#[test]
fn message_may_hold_encoded_slashes_and_plain_punctuation() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/0/a%2Fb%20c-d_e.f~g");
    assert_eq!(client.response().text(), "a/b c-d_e.f~g");
}

#[test]
fn query_string_is_not_part_of_the_message() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/0/hi?cache=bust");
    assert_eq!(client.response().text(), "hi");
}

#[test]
fn zero_delay_answers_at_once() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/0/now");
    let response = client.response();
    assert_eq!((response.status, response.text()), (200, "now"));
}
