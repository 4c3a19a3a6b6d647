//! Each accepted request is logged as `#{n} - {delay_ms}ms: {message}`,
//! numbered from 1; quiet mode logs nothing.

mod util;

use std::io::Write;
use std::sync::{Arc, Mutex};

use delayserver::Server;
use util::{Binary, Client, localhost};

/// A log writer the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn library_logs_each_request_numbered_from_one() {
    let log = Captured::default();
    let server = Server::bind(localhost())
        .unwrap()
        .log_to(log.clone())
        .spawn();
    let mut client = Client::connect(server.local_addr());
    client.get("/20/hello%20world");
    client.response();
    client.send("HEAD /0/heads-count-too HTTP/1.1\r\n\r\n");
    client.head_response();
    // Errors are not logged.
    client.get("/x/y");
    client.response();
    client.get("/0/line%0Abreak");
    client.response();
    server.shutdown().unwrap();
    assert_eq!(
        log.text(),
        "#1 - 20ms: hello world\n\
         #2 - 0ms: heads-count-too\n\
         #3 - 0ms: line\\nbreak\n"
    );
}

#[test]
fn quiet_library_logs_nothing() {
    let log = Captured::default();
    let server = Server::bind(localhost())
        .unwrap()
        .log_to(log.clone())
        .quiet(true)
        .spawn();
    let mut client = Client::connect(server.local_addr());
    client.get("/0/x");
    client.response();
    server.shutdown().unwrap();
    assert_eq!(log.text(), "");
}

#[test]
fn binary_logs_to_stdout() {
    let mut binary = Binary::start(&[]);
    let mut client = Client::connect(binary.addr);
    client.get("/5/first");
    client.response();
    client.get("/0/second%21");
    client.response();
    assert_eq!(binary.line(), "#1 - 5ms: first\n");
    assert_eq!(binary.line(), "#2 - 0ms: second!\n");
}

#[test]
fn quiet_binary_prints_only_its_address() {
    let mut binary = Binary::start(&["--quiet"]);
    let mut client = Client::connect(binary.addr);
    client.get("/0/unlogged");
    client.response();
    binary.child.kill().unwrap();
    binary.child.wait().unwrap();
    assert_eq!(binary.line(), "", "nothing after the address line");
}
