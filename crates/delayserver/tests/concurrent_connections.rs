//! Connections are served independently: a slow, stalled or greedy client
//! does not hold up the others.

mod util;

use std::io::Write;
use std::time::{Duration, Instant};

use util::{Client, server};

/// Generous: the fast request needs milliseconds; the slow one takes 5 s.
const FAST_ENOUGH: Duration = Duration::from_secs(3);

#[test]
fn a_long_delay_does_not_hold_up_a_short_one() {
    let server = server();
    let mut slow = Client::connect(server.local_addr());
    slow.get("/5000/slow");
    let mut fast = Client::connect(server.local_addr());
    let start = Instant::now();
    fast.get("/0/fast");
    assert_eq!(fast.response().text(), "fast");
    assert!(start.elapsed() < FAST_ENOUGH, "{:?}", start.elapsed());
}

#[test]
fn a_client_sending_half_a_request_does_not_block_others() {
    let server = server();
    let mut stalled = Client::connect(server.local_addr());
    stalled.send("GET /0/never-fin");
    let mut fast = Client::connect(server.local_addr());
    let start = Instant::now();
    fast.get("/0/fast");
    assert_eq!(fast.response().text(), "fast");
    assert!(start.elapsed() < FAST_ENOUGH);
    // The stalled one is still served once it finishes.
    stalled.send("ished HTTP/1.1\r\n\r\n");
    assert_eq!(stalled.response().text(), "never-finished");
}

#[test]
fn a_client_that_never_reads_does_not_block_others() {
    let server = server();
    // Thousands of pipelined requests with long messages and no reading:
    // the server fills this client's socket, stops, and moves on.
    let greedy = Client::connect(server.local_addr());
    let mut writer = greedy.stream().try_clone().unwrap();
    writer
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let message = "m".repeat(4000);
    let request = format!("GET /0/{message} HTTP/1.1\r\n\r\n");
    for _ in 0..2000 {
        if writer.write_all(request.as_bytes()).is_err() {
            break; // Both directions are full: the server stopped reading.
        }
    }
    let mut fast = Client::connect(server.local_addr());
    let start = Instant::now();
    fast.get("/0/fast");
    assert_eq!(fast.response().text(), "fast");
    assert!(start.elapsed() < FAST_ENOUGH);
    drop(greedy);
}

#[test]
fn many_clients_each_get_their_own_answer() {
    let server = server();
    let addr = server.local_addr();
    let threads: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                for round in 0..3 {
                    client.get(&format!("/{}/c{i}-r{round}", (i * 7) % 50));
                    assert_eq!(client.response().text(), format!("c{i}-r{round}"));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
