//! Five requests in flight on one thread, answered out of order.
//!
//! The program opens five non-blocking TCP connections to a delay server
//! and asks connection `i` for `/{(5 - i) * 1000}/request-{i}`: the first
//! request waits longest. All five are registered with one
//! [`eddy_poll::Poll`] (registration is edge-triggered), the request is
//! written once the connection reports writable (the connect finished), and
//! each ready stream is read until `WouldBlock`. Responses are printed as
//! they arrive: in reverse order, about a second apart, about five seconds
//! in all, though the program never blocks on any one connection.
//!
//! Unless `--addr HOST:PORT` names a running delay server, the program
//! starts one in-process on an ephemeral port. `--unit-ms` shrinks the
//! delays (the test runs with 100).
//!
//! Run: `cargo run --release --example epoll_delay`

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use eddy_poll::net::TcpStream;
use eddy_poll::{Events, Interest, Poll, Token};

/// How many requests are sent at once.
const REQUESTS: usize = 5;

/// Largest response head accepted, as a guard against a broken server.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[derive(Parser, Debug)]
#[command(about = "Five delayed requests on one thread with eddy-poll")]
struct Args {
    /// A running delay server; without it one is started in-process.
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<String>,

    /// Milliseconds per step of delay: request i waits (5 - i) units.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    unit_ms: u64,
}

/// One connection and how far its request and response have got.
#[derive(Debug)]
struct Exchange {
    stream: TcpStream,
    request: Vec<u8>,
    written: usize,
    received: Vec<u8>,
    done: bool,
}

fn main() -> ExitCode {
    match run_with(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("epoll_delay: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the server unless `--addr` names one, then runs the client.
fn run_with(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let (addr, server) = match &args.addr {
        Some(addr) => (resolve(addr)?, None),
        None => {
            let server = delayserver::Server::bind("127.0.0.1:0".parse()?)?
                .quiet(true)
                .spawn();
            (server.local_addr(), Some(server))
        }
    };
    println!("delay server at {addr}; sending {REQUESTS} requests");

    let result = run(addr, Duration::from_millis(args.unit_ms));
    if let Some(server) = server {
        server.shutdown()?;
    }
    result?;
    Ok(())
}

/// `HOST:PORT` to the first address it resolves to.
fn resolve(addr: &str) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("--addr {addr}: {e}")))?
        .next()
        .ok_or_else(|| {
            io::Error::new(
                ErrorKind::InvalidInput,
                format!("--addr {addr}: no address"),
            )
        })
}

/// Sends the requests and prints each response as it completes.
fn run(addr: SocketAddr, unit: Duration) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);
    let start = Instant::now();

    let mut exchanges = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        let delay_ms = (REQUESTS - i) as u128 * unit.as_millis();
        let request = format!("GET /{delay_ms}/request-{i} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        let mut stream = TcpStream::connect(addr)?;
        // Readable for the response, writable to learn the connect is done.
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        exchanges.push(Exchange {
            stream,
            request: request.into_bytes(),
            written: 0,
            received: Vec::new(),
            done: false,
        });
    }

    // Never wait forever on a server that stopped answering.
    let patience = unit
        .checked_mul(REQUESTS as u32 + 1)
        .and_then(|d| d.checked_add(Duration::from_secs(10)))
        .unwrap_or(Duration::MAX);
    let mut remaining = REQUESTS;
    while remaining > 0 {
        let left = patience.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("{remaining} responses from {addr} still missing after {patience:?}"),
            ));
        }
        poll.poll(&mut events, Some(left))?;
        for event in events.iter() {
            let i = event.token().0;
            let exchange = &mut exchanges[i];
            if exchange.done {
                continue;
            }
            if event.is_writable() || event.is_error() {
                send_request(exchange, addr)?;
            }
            if (event.is_readable() || event.is_read_closed())
                && let Some((status, body)) = receive_response(exchange, i)?
            {
                let secs = start.elapsed().as_secs_f64();
                println!("{secs:7.3} s  stream {i}: {status} | {}", body.trim_end());
                exchange.done = true;
                poll.registry().deregister(&mut exchange.stream)?;
                remaining -= 1;
            }
        }
    }
    Ok(())
}

/// Writes what is left of the request once the connect has finished.
fn send_request(exchange: &mut Exchange, addr: SocketAddr) -> io::Result<()> {
    if let Some(e) = exchange.stream.take_error()? {
        return Err(io::Error::new(e.kind(), format!("connect {addr}: {e}")));
    }
    while exchange.written < exchange.request.len() {
        match exchange.stream.write(&exchange.request[exchange.written..]) {
            Ok(n) => exchange.written += n,
            // The rest goes at the next writable edge.
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            // Still connecting: the writable edge has not come yet.
            Err(e) if e.kind() == ErrorKind::NotConnected => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io::Error::new(e.kind(), format!("send to {addr}: {e}"))),
        }
    }
    Ok(())
}

/// Reads until `WouldBlock` (the registration is edge-triggered) and
/// returns the status line and body once the whole response is in.
fn receive_response(exchange: &mut Exchange, i: usize) -> io::Result<Option<(String, String)>> {
    let mut buf = [0u8; 4096];
    let mut closed = false;
    loop {
        match exchange.stream.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => exchange.received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io::Error::new(e.kind(), format!("stream {i}: {e}"))),
        }
    }
    let parsed = parse_response(&exchange.received)
        .map_err(|why| io::Error::new(ErrorKind::InvalidData, format!("stream {i}: {why}")))?;
    match parsed {
        Some(response) => Ok(Some(response)),
        None if closed => Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            format!("stream {i}: server closed before the response was complete"),
        )),
        None => Ok(None),
    }
}

/// A complete `Content-Length` response as (status line, body), `None`
/// while incomplete, `Err` if it cannot be one.
fn parse_response(data: &[u8]) -> Result<Option<(String, String)>, String> {
    let Some(head_end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
        if data.len() > MAX_RESPONSE_BYTES {
            return Err(format!("no end of headers in {} bytes", data.len()));
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&data[..head_end]).map_err(|_| "headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_owned();
    if !status.starts_with("HTTP/1.") {
        return Err(format!("not an HTTP response: {status:?}"));
    }
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .ok_or("no Content-Length")?
        .1
        .trim()
        .parse::<usize>()
        .map_err(|_| "bad Content-Length")?;
    let body = &data[head_end + 4..];
    if body.len() < length {
        return Ok(None);
    }
    Ok(Some((
        status,
        String::from_utf8_lossy(&body[..length]).into_owned(),
    )))
}
