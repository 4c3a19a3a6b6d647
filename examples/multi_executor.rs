//! Many requests on several executor threads sharing one reactor (the
//! book's chapter 8, "multiple executors").
//!
//! 60 requests ask the delay server for `/{delay}/Request{i}`, with delays
//! from 100 ms to 2000 ms (`(i % 20 + 1) * 100`). They are spawned on the
//! multi-thread runtime: every worker thread is an executor with its own run
//! queue, one reactor (epoll) serves them all, and idle workers steal from
//! busy ones. One after the other the requests would take 63 s; together
//! they take about the longest delay, 2 s. The program prints each
//! response's first line with the worker that finished it, then how many
//! requests each worker completed and the elapsed time.
//!
//! It starts its own delay server unless `--addr` is given; `--scale 0.1`
//! shortens every delay (for tests).
//!
//! Run: `cargo run --release --example multi_executor -- --workers 4`

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use clap::Parser;
use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::net::TcpStream;
use eddy_examples::response_complete;

#[derive(Parser, Debug)]
#[command(about = "60 delayed HTTP GETs spread over the workers of a multi-thread runtime")]
struct Args {
    /// Worker threads (default: EDDY_WORKER_THREADS, else one per CPU).
    #[arg(long)]
    workers: Option<usize>,
    /// How many requests.
    #[arg(long, default_value_t = 60)]
    requests: u64,
    /// Multiply every delay by this factor (1.0 = 100 ms to 2000 ms).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Use a delay server already running here instead of starting one.
    #[arg(long)]
    addr: Option<SocketAddr>,
}

/// GETs `path` with `Connection: close` and returns the whole response.
async fn http_get(addr: SocketAddr, path: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response_complete(&response)? {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// Which worker runs the calling task: its index among the threads seen.
fn worker_label() -> String {
    format!("{:?}", std::thread::current().id())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (addr, server) = match args.addr {
        Some(addr) => (addr, None),
        None => {
            let server = delayserver::Server::bind("127.0.0.1:0".parse()?)?
                .quiet(true)
                .spawn();
            (server.local_addr(), Some(server))
        }
    };
    let mut builder = eddy::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers {
        builder.worker_threads(n);
    }
    let rt = builder.build()?;
    let start = Instant::now();
    let mut longest = 0;
    let mut tasks = Vec::new();
    for i in 0..args.requests {
        let delay = (((i % 20 + 1) * 100) as f64 * args.scale).round() as u64;
        longest = longest.max(delay);
        tasks.push(rt.spawn(async move {
            let response = http_get(addr, &format!("/{delay}/Request{i}")).await?;
            let worker = worker_label();
            let status = response
                .lines()
                .next()
                .unwrap_or("(empty response)")
                .to_string();
            let body = response.rsplit("\r\n\r\n").next().unwrap_or("").to_string();
            println!("{body:<12} {status} after {delay} ms on worker {worker}");
            Ok::<String, io::Error>(worker)
        }));
    }
    let per_worker = rt.block_on(async {
        let mut per_worker = BTreeMap::new();
        for task in tasks {
            let worker = task.await.map_err(io::Error::other)??;
            *per_worker.entry(worker).or_insert(0u32) += 1;
        }
        Ok::<_, io::Error>(per_worker)
    })?;
    let elapsed = start.elapsed();
    for (worker, count) in &per_worker {
        println!("Worker {worker}: {count} requests");
    }
    println!("Workers used: {}", per_worker.len());
    println!("Longest delay: {longest} ms");
    println!("Elapsed: {} ms", elapsed.as_millis());
    drop(rt);
    if let Some(server) = server {
        server.shutdown()?;
    }
    Ok(())
}
