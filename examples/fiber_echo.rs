//! An echo server where every connection is a fiber running plain blocking
//! code: `read`, then `write_all`, in a loop. The fibers park on the event
//! queue instead of blocking the thread, so one thread serves them all.
//!
//! * `fiber_echo --addr 127.0.0.1:7878` serves until killed
//!   (try `nc 127.0.0.1 7878`).
//! * `fiber_echo --clients 1000 --rounds 10` is a self-test: the server and
//!   1000 client fibers run on the same runtime; each client sends `rounds`
//!   messages, checks every echoed byte, and the program prints a summary
//!   and exits.
//!
//! Run: `cargo run --release --example fiber_echo -- --clients 1000`

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use clap::Parser;
use eddy_fiber::net::{TcpListener, TcpStream};
use eddy_fiber::sync::channel;

#[derive(Parser, Debug)]
#[command(about = "A TCP echo server with one fiber per connection")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: SocketAddr,
    /// Self-test: run this many client fibers against the server, then exit.
    #[arg(long)]
    clients: Option<usize>,
    /// Messages each self-test client sends.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
}

/// One connection: echo until the peer closes. Blocking style, parks only
/// this fiber.
fn echo_connection(stream: TcpStream) -> io::Result<u64> {
    let mut buf = [0u8; 4096];
    let mut echoed = 0;
    loop {
        let n = (&stream).read(&mut buf)?;
        if n == 0 {
            return Ok(echoed);
        }
        (&stream).write_all(&buf[..n])?;
        echoed += n as u64;
    }
}

/// Accepts connections forever (or `limit` of them), one fiber each.
fn serve(listener: TcpListener, limit: Option<usize>) -> io::Result<u64> {
    let mut handles = Vec::new();
    let mut accepted = 0;
    while limit.is_none_or(|l| accepted < l) {
        let (stream, _peer) = listener.accept()?;
        accepted += 1;
        let handle = eddy_fiber::spawn(move || echo_connection(stream));
        if limit.is_some() {
            handles.push(handle);
        }
    }
    let mut total = 0;
    for h in handles {
        total += h.join().map_err(|e| io::Error::other(e.to_string()))??;
    }
    Ok(total)
}

/// A self-test client: `rounds` messages, every echoed byte compared.
fn client(addr: SocketAddr, id: usize, rounds: usize) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    for round in 0..rounds {
        let message = format!("client {id} round {round}\n");
        stream.write_all(message.as_bytes())?;
        let mut back = vec![0; message.len()];
        stream.read_exact(&mut back)?;
        if back != message.as_bytes() {
            return Err(io::Error::other(format!(
                "client {id}: echo mismatch in round {round}"
            )));
        }
    }
    Ok(())
}

fn self_test(addr: SocketAddr, clients: usize, rounds: usize) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    let start = Instant::now();
    let server = eddy_fiber::spawn(move || serve(listener, Some(clients)));
    // Start clients in waves no larger than the listen backlog.
    let mut handles = Vec::with_capacity(clients);
    let (done_tx, done_rx) = channel();
    for id in 0..clients {
        let done = done_tx.clone();
        handles.push(eddy_fiber::spawn(move || {
            let result = client(addr, id, rounds);
            let _ = done.send(());
            result
        }));
        if (id + 1) % 512 == 0 {
            for _ in 0..256 {
                let _ = done_rx.recv();
            }
        }
    }
    drop(done_tx);
    for h in handles {
        h.join().map_err(|e| io::Error::other(e.to_string()))??;
    }
    let echoed = server
        .join()
        .map_err(|e| io::Error::other(e.to_string()))??;
    println!(
        "{clients} clients x {rounds} rounds: {echoed} bytes echoed and checked in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let runtime = eddy_fiber::Runtime::new()?;
    runtime.block_on(move || match args.clients {
        Some(clients) => self_test(args.addr_for_test(), clients, args.rounds),
        None => {
            let listener = TcpListener::bind(args.addr)?;
            println!("echo server listening on {}", listener.local_addr()?);
            serve(listener, None).map(drop)
        }
    })
}

impl Args {
    /// The self-test listens on an ephemeral port unless told otherwise.
    fn addr_for_test(&self) -> SocketAddr {
        if self.addr == "127.0.0.1:7878".parse().expect("a valid address") {
            "127.0.0.1:0".parse().expect("a valid address")
        } else {
            self.addr
        }
    }
}
