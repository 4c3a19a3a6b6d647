//! Five requests at once on one thread.
//!
//! Request `i` (0..=4) asks the delay server for `/{i * 1000}/HelloWorld{i}`.
//! Done one after the other that would take 0 + 1 + 2 + 3 + 4 = 10 s; spawned
//! as five tasks on the current-thread runtime they wait together, so the
//! program takes about as long as the slowest one: 4 s. Each response is
//! printed as it arrives, then the elapsed time.
//!
//! It starts its own delay server unless `--addr` is given; `--scale 0.1`
//! shortens every delay (for tests).
//!
//! Run: `cargo run --release --example join_all_requests`

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use clap::Parser;
use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::net::TcpStream;
use eddy_examples::response_complete;

#[derive(Parser, Debug)]
#[command(about = "Five concurrent HTTP GETs on one thread")]
struct Args {
    /// Use a delay server already running here instead of starting one.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Multiply every delay by this factor (1.0 = steps of 1000 ms).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
}

/// GETs `path` with `Connection: close` and returns the whole response.
async fn http_get(addr: SocketAddr, path: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        if response_complete(&response)? {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&response).into_owned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (addr, _server) = match args.addr {
        Some(addr) => (addr, None),
        None => {
            let server = delayserver::Server::bind("127.0.0.1:0".parse()?)?
                .quiet(true)
                .spawn();
            (server.local_addr(), Some(server))
        }
    };
    let rt = eddy::runtime::Builder::new_current_thread().build()?;
    let start = Instant::now();
    rt.block_on(async move {
        let mut tasks = Vec::new();
        for i in 0..5u64 {
            let delay = ((i * 1000) as f64 * args.scale).round() as u64;
            tasks.push(eddy::spawn(async move {
                let txt = http_get(addr, &format!("/{delay}/HelloWorld{i}")).await?;
                println!("{txt}");
                Ok::<(), io::Error>(())
            }));
        }
        for task in tasks {
            task.await.map_err(io::Error::other)??;
        }
        Ok::<(), io::Error>(())
    })?;
    println!("Elapsed: {} ms", start.elapsed().as_millis());
    Ok(())
}
