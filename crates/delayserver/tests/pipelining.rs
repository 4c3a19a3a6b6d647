//! Pipelined requests on one connection are answered in the order they were
//! sent, each after its own delay counted from when it was parsed.

mod util;

use std::time::{Duration, Instant};

use util::{Client, server};

#[test]
fn answers_come_in_request_order_even_when_later_ones_are_due_first() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let start = Instant::now();
    client.send(
        "GET /300/first HTTP/1.1\r\n\r\n\
         GET /0/second HTTP/1.1\r\n\r\n\
         HEAD /50/third HTTP/1.1\r\n\r\n\
         GET /nope HTTP/1.1\r\n\r\n\
         GET /100/fifth HTTP/1.1\r\n\r\n",
    );
    assert_eq!(client.response().text(), "first");
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(client.response().text(), "second");
    let third = client.head_response();
    assert_eq!(third.header("Content-Length"), Some("5"));
    assert_eq!(client.response().status, 404);
    assert_eq!(client.response().text(), "fifth");
}

#[test]
fn delays_run_concurrently_not_one_after_another() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let start = Instant::now();
    let mut batch = String::new();
    for i in 0..4 {
        batch.push_str(&format!("GET /400/r{i} HTTP/1.1\r\n\r\n"));
    }
    client.send(batch);
    for i in 0..4 {
        assert_eq!(client.response().text(), format!("r{i}"));
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    // One after another would take 1.6 s.
    assert!(elapsed < Duration::from_millis(1400), "{elapsed:?}");
}

#[test]
fn a_request_split_across_writes_is_reassembled() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    for piece in [
        "GE",
        "T /0/sp",
        "lit HTTP/1.1\r",
        "\nHost: x\r\n",
        "\r\nGET /0/next",
        " HTTP/1.1\r\n\r\n",
    ] {
        client.send(piece);
        client.stream().set_nodelay(true).unwrap();
        std::thread::yield_now();
    }
    assert_eq!(client.response().text(), "split");
    assert_eq!(client.response().text(), "next");
}

#[test]
fn a_long_pipeline_is_answered_completely_and_in_order() {
    // More requests than the server queues per connection: it stops
    // reading, answers, and resumes, without losing or reordering any.
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let count = 500;
    let mut batch = String::new();
    for i in 0..count {
        batch.push_str(&format!("GET /{}/m{i} HTTP/1.1\r\n\r\n", i % 4));
    }
    let mut writer = client.stream().try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(batch.as_bytes()).unwrap();
    });
    for i in 0..count {
        assert_eq!(client.response().text(), format!("m{i}"));
    }
    sender.join().unwrap();
}
