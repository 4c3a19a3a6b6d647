//! The delay is honoured: never early, and not much late.

mod util;

use std::time::{Duration, Instant};

use util::{Client, server};

#[test]
fn a_200ms_delay_answers_after_200ms_and_well_within_a_second() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    let start = Instant::now();
    client.get("/200/late");
    let response = client.response();
    let elapsed = start.elapsed();
    assert_eq!(response.text(), "late");
    assert!(elapsed >= Duration::from_millis(200), "early: {elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1000),
        "too late: {elapsed:?}"
    );
}

#[test]
fn each_request_on_a_connection_waits_its_own_delay() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    for delay in [150, 0, 100] {
        let start = Instant::now();
        client.get(&format!("/{delay}/x"));
        client.response();
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(delay),
            "{delay} ms answered after {elapsed:?}"
        );
    }
}

#[test]
fn a_closed_connections_timer_does_not_fire_for_the_next_one() {
    // The first connection's slot (and poll token) is reused by the second;
    // the first one's timer entry is stale and must not answer early.
    let server = server();
    let mut first = Client::connect(server.local_addr());
    first.get("/100/gone");
    drop(first);
    let mut second = Client::connect(server.local_addr());
    let start = Instant::now();
    second.get("/400/kept");
    assert_eq!(second.response().text(), "kept");
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
}
