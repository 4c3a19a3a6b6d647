//! The `delayserver` binary: announces its address, honours its options,
//! and fails cleanly on bad arguments or a busy port.

mod util;

use std::process::{Command, Stdio};

use util::{Binary, Client};

#[test]
fn announces_the_bound_address_and_serves_there() {
    let binary = Binary::start(&["--quiet"]);
    assert!(binary.addr.ip().is_loopback());
    assert_ne!(binary.addr.port(), 0);
    let mut client = Client::connect(binary.addr);
    client.get("/1/up");
    assert_eq!(client.response().text(), "up");
}

#[test]
fn max_delay_option_sets_the_cap() {
    let binary = Binary::start(&["--quiet", "--max-delay", "100"]);
    let mut client = Client::connect(binary.addr);
    client.get("/100/ok");
    assert_eq!(client.response().status, 200);
    client.get("/101/over");
    assert_eq!(client.response().status, 400);
}

#[test]
fn bad_arguments_exit_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_delayserver"))
        .args(["--port", "not-a-port"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--port"), "{stderr}");
}

#[test]
fn a_busy_port_is_reported_with_its_address() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_delayserver"))
        .args(["--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")) && stderr.contains("in use"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "announced despite failing");
}

#[test]
fn help_describes_every_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_delayserver"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in ["--host", "--port", "--max-delay", "--quiet"] {
        assert!(help.contains(option), "{option} missing from {help}");
    }
}
