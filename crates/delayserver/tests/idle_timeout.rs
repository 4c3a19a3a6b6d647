//! Clients that stop making progress are disconnected after the idle
//! timeout; waiting on a delay the client asked for is not idleness.

mod util;

use std::time::{Duration, Instant};

use delayserver::Server;
use util::{Client, localhost};

fn server_with_idle_timeout(timeout: Duration) -> delayserver::ServerHandle {
    Server::bind(localhost())
        .unwrap()
        .quiet(true)
        .idle_timeout(timeout)
        .spawn()
}

#[test]
fn an_idle_connection_is_closed_after_the_timeout() {
    let server = server_with_idle_timeout(Duration::from_millis(200));
    let mut client = Client::connect(server.local_addr());
    client.get("/0/x");
    client.response();
    let start = Instant::now();
    client.assert_closed();
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_half_sent_request_times_out_too() {
    let server = server_with_idle_timeout(Duration::from_millis(200));
    let mut client = Client::connect(server.local_addr());
    client.send("GET /0/x HTTP/1.1\r\n");
    client.assert_closed();
}

#[test]
fn a_delay_longer_than_the_idle_timeout_is_still_answered() {
    let server = server_with_idle_timeout(Duration::from_millis(100));
    let mut client = Client::connect(server.local_addr());
    client.get("/500/worth-the-wait");
    assert_eq!(client.response().text(), "worth-the-wait");
}
