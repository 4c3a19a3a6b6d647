//! Shared helpers for the scenario tests: a server on an ephemeral port, a
//! blocking HTTP client that reads one response at a time, and a way to run
//! the `delayserver` binary.
#![allow(dead_code)] // Each test file uses a different subset.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use delayserver::{Server, ServerHandle};

/// Long enough that only a real hang trips it on a busy machine.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// A quiet server on 127.0.0.1 with an ephemeral port.
pub fn server() -> ServerHandle {
    Server::bind(localhost())
        .expect("bind an ephemeral port")
        .quiet(true)
        .spawn()
}

/// `127.0.0.1:0`.
pub fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// One parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of header `name` (case-insensitive), if present once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let value = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "header {name} repeated");
        value
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

/// A blocking client connection with generous timeouts.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to the server");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        Client {
            reader: BufReader::new(stream),
        }
    }

    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.reader
            .get_mut()
            .write_all(bytes.as_ref())
            .expect("send a request");
    }

    /// Sends `GET {path} HTTP/1.1` with no other headers.
    pub fn get(&mut self, path: &str) {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n"));
    }

    /// Reads one response, with a body as long as its `Content-Length`.
    pub fn response(&mut self) -> Response {
        self.read_response(true)
    }

    /// Reads one response to a HEAD request: headers only.
    pub fn head_response(&mut self) -> Response {
        self.read_response(false)
    }

    fn read_response(&mut self, with_body: bool) -> Response {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let n = self
                .reader
                .read_until(b'\n', &mut head)
                .expect("read a response head");
            assert!(n > 0, "connection closed mid-response: {head:?}");
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut headers);
        let status = parsed.parse(&head).expect("a valid response head");
        assert!(status.is_complete());
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                )
            })
            .collect();
        let mut response = Response {
            status: parsed.code.unwrap(),
            reason: parsed.reason.unwrap().to_owned(),
            headers,
            body: Vec::new(),
        };
        if with_body {
            let len: usize = response
                .header("Content-Length")
                .expect("Content-Length")
                .parse()
                .unwrap();
            response.body = vec![0; len];
            self.reader
                .read_exact(&mut response.body)
                .expect("read the body");
        }
        response
    }

    /// Asserts that the server closed the connection: end of stream (or a
    /// reset) with no further bytes.
    pub fn assert_closed(&mut self) {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => assert!(rest.is_empty(), "unexpected bytes: {rest:?}"),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("expected the server to close, got {e}"),
        }
    }

    /// Asserts that nothing arrives within `wait` and the connection stays
    /// open.
    pub fn assert_silent_for(&mut self, wait: Duration) {
        self.stream().set_read_timeout(Some(wait)).unwrap();
        let mut byte = [0u8; 1];
        match self.reader.read(&mut byte) {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            other => panic!("expected silence, got {other:?} {byte:?}"),
        }
        self.stream().set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    }
}

/// The `delayserver` binary, running, with the address it announced.
#[derive(Debug)]
pub struct Binary {
    pub child: Child,
    pub stdout: BufReader<ChildStdout>,
    pub addr: SocketAddr,
}

impl Binary {
    /// Starts the binary on an ephemeral port with `args` added, and reads
    /// its `delayserver listening on http://ADDR` line.
    pub fn start(args: &[&str]) -> Binary {
        Binary::start_command(Binary::command(args))
    }

    /// The command [`start`](Binary::start) runs, to adjust before starting.
    pub fn command(args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_delayserver"));
        command
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        command
    }

    /// Starts a prepared command and reads the address it announces.
    pub fn start_command(mut command: Command) -> Binary {
        let mut child = command.spawn().expect("start the delayserver binary");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the announcement");
        let addr = line
            .trim_end()
            .strip_prefix("delayserver listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address in the announcement");
        Binary {
            child,
            stdout,
            addr,
        }
    }

    /// Reads one line of the binary's standard output.
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read stdout");
        line
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
