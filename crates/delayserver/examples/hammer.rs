//! A keep-alive load generator for measuring a delay server: `connections`
//! sockets each send `GET /{delay}/hello` and, as soon as the answer is in,
//! the next one, until `requests` have been answered. One thread, one
//! eddy-poll loop.
//!
//! ```text
//! cargo run --release -p delayserver --bin delayserver -- --port 8080 --quiet &
//! cargo run --release -p delayserver --example hammer -- --addr 127.0.0.1:8080
//! ```
//!
//! It prints requests per second; pair it with `strace -c -p PID` or
//! callgrind on the server for per-request costs (see the README).

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use clap::Parser;
use eddy_poll::net::TcpStream;
use eddy_poll::{Events, Interest, Poll, Token};

/// Drive a delay server with keep-alive requests.
#[derive(Debug, Parser)]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Connections open at once.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Requests to complete in all.
    #[arg(long, default_value_t = 50_000)]
    requests: usize,
    /// The delay each request asks for, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay: u64,
}

/// One client socket and its unparsed input.
struct Conn {
    stream: TcpStream,
    input: Vec<u8>,
}

/// Removes one whole response from the front of `input`, if there is one.
fn take_response(input: &mut Vec<u8>) -> Result<bool, String> {
    let Some(end) = input.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(false);
    };
    let head = std::str::from_utf8(&input[..end]).map_err(|e| e.to_string())?;
    if !head.starts_with("HTTP/1.1 200 ") {
        return Err(format!("unexpected response: {head}"));
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.parse().ok())
        .ok_or("no Content-Length")?;
    if input.len() < end + 4 + length {
        return Ok(false);
    }
    input.drain(..end + 4 + length);
    Ok(true)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let request = format!("GET /{}/hello HTTP/1.1\r\nHost: hammer\r\n\r\n", args.delay);
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut conns = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        let stream = std::net::TcpStream::connect(args.addr)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(stream);
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE)?;
        conns.push(Conn {
            stream,
            input: Vec::new(),
        });
    }
    let start = Instant::now();
    let mut sent = 0;
    for conn in &mut conns {
        if sent < args.requests {
            conn.stream.write_all(request.as_bytes())?;
            sent += 1;
        }
    }
    let mut done = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while done < args.requests {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            let conn = &mut conns[event.token().0];
            loop {
                match conn.stream.read(&mut buf) {
                    Ok(0) => return Err("the server closed a connection".into()),
                    Ok(n) => conn.input.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e.into()),
                }
            }
            while take_response(&mut conn.input)? {
                done += 1;
                if sent < args.requests {
                    // A few bytes into an empty send buffer: never blocks.
                    conn.stream.write_all(request.as_bytes())?;
                    sent += 1;
                }
            }
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{done} requests over {} connections in {elapsed:.2?}: {:.0} requests/s",
        args.connections,
        done as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
