//! A spawned server stops on `shutdown` or when its handle is dropped:
//! its thread ends, its connections and its port are closed.

mod util;

use std::net::TcpStream;
use std::time::Duration;

use delayserver::Server;
use util::{Client, localhost, server};

#[test]
fn shutdown_stops_serving_and_frees_the_port() {
    let server = server();
    let addr = server.local_addr();
    let mut client = Client::connect(addr);
    client.get("/0/before");
    assert_eq!(client.response().text(), "before");
    server.shutdown().expect("a clean shutdown");
    client.assert_closed();
    assert!(TcpStream::connect(addr).is_err(), "still listening");
    // The port can be bound again.
    let again = Server::bind(addr).expect("rebind the freed port");
    assert_eq!(again.local_addr(), addr);
}

#[test]
fn shutdown_does_not_wait_for_pending_delays() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.get("/60000/never");
    let start = std::time::Instant::now();
    server.shutdown().unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    client.assert_closed();
}

#[test]
fn dropping_the_handle_shuts_down() {
    let server = server();
    let addr = server.local_addr();
    drop(server);
    assert!(TcpStream::connect(addr).is_err(), "still listening");
}

#[test]
fn shutdown_of_an_idle_server_returns_promptly() {
    for _ in 0..20 {
        server().shutdown().unwrap();
    }
}

#[test]
fn handle_reports_the_bound_address() {
    let server = Server::bind(localhost()).unwrap().quiet(true);
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    let handle = server.spawn();
    assert_eq!(handle.local_addr(), addr);
}
