//! The tour: one workload, several concurrency models, one table.
//!
//! The workload is N HTTP requests (default 1000) to a delay server that
//! answers each after D ms (default 1000), all in flight at once. Waiting is
//! all they do, so every model should finish in about D ms; what differs is
//! what the waiting costs: OS threads and memory.
//!
//! The tour starts the delay server in its own process on an ephemeral port,
//! then runs each model in a fresh child process (itself, re-executed with a
//! hidden `--model` flag), so that each row's peak RSS (`VmHWM`) and thread
//! count belong to that model alone. A watcher thread in the child samples
//! `/proc/self/task` to find the peak number of OS threads (the watcher
//! itself is not counted).
//!
//! Adding a model is one variant of [`Model`] and one `run_*` function.
//!
//! Run: `cargo run --release --example tour [-- --requests 1000 --delay-ms 1000]`

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use eddy_examples::response_complete;

#[derive(Parser, Debug)]
#[command(about = "N delayed HTTP requests through each concurrency model, compared")]
struct Args {
    /// Number of concurrent requests.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Delay of each response, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    delay_ms: u64,
    /// Internal: run one model against `--addr` and print its measurements.
    #[arg(long, hide = true, requires = "addr")]
    model: Option<Model>,
    /// Internal: the delay server's address, for `--model`.
    #[arg(long, hide = true)]
    addr: Option<SocketAddr>,
}

/// The concurrency models, in table order. The extension point: add a
/// variant, its label, and its `run_*` function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Model {
    /// One OS thread per request, blocking `std::net` I/O.
    Threads,
    /// One eddy task per request on the current-thread runtime.
    EddyFutures,
    /// One eddy task per request on the multi-thread runtime (one worker per CPU).
    EddyMultiThread,
    /// One eddy-fiber fiber per request, blocking-style code, one thread.
    EddyFiber,
    /// One eddy-node HTTP callback per request on the Node-style loop.
    EddyNode,
}

impl Model {
    const ALL: &'static [Model] = &[
        Model::Threads,
        Model::EddyFutures,
        Model::EddyMultiThread,
        Model::EddyFiber,
        Model::EddyNode,
    ];

    fn label(self) -> &'static str {
        match self {
            Model::Threads => "one OS thread per request",
            Model::EddyFutures => "eddy futures (current-thread)",
            Model::EddyMultiThread => "eddy futures (multi-thread)",
            Model::EddyFiber => "eddy-fiber (one fiber per request)",
            Model::EddyNode => "eddy-node callbacks",
        }
    }

    /// Runs the whole workload; returns how many requests succeeded.
    fn run(self, work: &Workload) -> io::Result<usize> {
        match self {
            Model::Threads => run_threads(work),
            Model::EddyFutures => run_eddy_futures(work),
            Model::EddyMultiThread => run_eddy_multi_thread(work),
            Model::EddyFiber => run_eddy_fibers(work),
            Model::EddyNode => run_eddy_node(work),
        }
    }
}

/// What every model does: `requests` GETs of `/{delay_ms}/tour{i}`.
#[derive(Clone, Copy, Debug)]
struct Workload {
    addr: SocketAddr,
    requests: usize,
    delay_ms: u64,
}

impl Workload {
    fn request(&self, i: usize) -> String {
        format!(
            "GET /{}/tour{i} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.delay_ms, self.addr
        )
    }
}

/// One OS thread per request.
fn run_threads(work: &Workload) -> io::Result<usize> {
    let mut threads = Vec::with_capacity(work.requests);
    for i in 0..work.requests {
        let work = *work;
        let thread = std::thread::Builder::new()
            .spawn(move || -> io::Result<()> {
                let mut stream = std::net::TcpStream::connect(work.addr)?;
                stream.write_all(work.request(i).as_bytes())?;
                let mut response = Vec::new();
                let mut buf = [0u8; 1024];
                while !response_complete(&response)? {
                    let n = stream.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    response.extend_from_slice(&buf[..n]);
                }
                check_response(&response, i)
            })
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "spawn thread {} of {}: {e} (raise `ulimit -u` or lower --requests)",
                        i + 1,
                        work.requests
                    ),
                )
            })?;
        threads.push(thread);
    }
    let mut ok = 0;
    for thread in threads {
        match thread.join() {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => eprintln!("threads: request failed: {e}"),
            Err(_) => eprintln!("threads: a request thread panicked"),
        }
    }
    Ok(ok)
}

/// One task per request on eddy's current-thread runtime.
fn run_eddy_futures(work: &Workload) -> io::Result<usize> {
    run_eddy_on(eddy::runtime::Builder::new_current_thread().build()?, work)
}

/// One task per request on eddy's multi-thread runtime: every worker runs
/// tasks from its own queue; one reactor serves them all.
fn run_eddy_multi_thread(work: &Workload) -> io::Result<usize> {
    run_eddy_on(eddy::runtime::Builder::new_multi_thread().build()?, work)
}

/// The futures model on a given runtime: one spawned task per request.
fn run_eddy_on(rt: eddy::runtime::Runtime, work: &Workload) -> io::Result<usize> {
    use eddy::io::{AsyncReadExt, AsyncWriteExt};

    rt.block_on(async {
        let mut tasks = Vec::with_capacity(work.requests);
        for i in 0..work.requests {
            let work = *work;
            tasks.push(eddy::spawn(async move {
                let mut stream = eddy::net::TcpStream::connect(work.addr).await?;
                stream.write_all(work.request(i).as_bytes()).await?;
                let mut response = Vec::new();
                let mut buf = [0u8; 1024];
                while !response_complete(&response)? {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    response.extend_from_slice(&buf[..n]);
                }
                check_response(&response, i)
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await {
                Ok(Ok(())) => ok += 1,
                Ok(Err(e)) => eprintln!("eddy: request failed: {e}"),
                Err(e) => eprintln!("eddy: a request task failed: {e}"),
            }
        }
        Ok(ok)
    })
}

/// One fiber per request on eddy-fiber: blocking-style code, one thread.
fn run_eddy_fibers(work: &Workload) -> io::Result<usize> {
    let work = *work;
    // Small stacks: a request needs little, and RSS is what the row shows.
    let runtime = eddy_fiber::Runtime::builder()
        .stack_size(32 * 1024)
        .build()?;
    runtime.block_on(move || {
        let fibers = (0..work.requests)
            .map(|i| {
                eddy_fiber::Builder::new().spawn(move || -> io::Result<()> {
                    let mut stream = eddy_fiber::net::TcpStream::connect(work.addr)?;
                    stream.write_all(work.request(i).as_bytes())?;
                    let mut response = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !response_complete(&response)? {
                        let n = stream.read(&mut buf)?; // parks this fiber only
                        if n == 0 {
                            break;
                        }
                        response.extend_from_slice(&buf[..n]);
                    }
                    check_response(&response, i)
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        let mut ok = 0;
        for fiber in fibers {
            match fiber.join() {
                Ok(Ok(())) => ok += 1,
                Ok(Err(e)) => eprintln!("eddy-fiber: request failed: {e}"),
                Err(e) => eprintln!("eddy-fiber: a request fiber failed: {e}"),
            }
        }
        Ok(ok)
    })
}

/// One callback per request on eddy-node's loop, as Node would do it.
fn run_eddy_node(work: &Workload) -> io::Result<usize> {
    use std::cell::Cell;
    use std::rc::Rc;

    let work = *work;
    let ok = Rc::new(Cell::new(0));
    let counted = ok.clone();
    eddy_node::run(move || {
        for i in 0..work.requests {
            let url = format!("http://{}/{}/tour{i}", work.addr, work.delay_ms);
            let ok = counted.clone();
            eddy_node::http::get(&url, move |result| match result {
                Ok(res) if res.status == 200 && res.text().contains(&format!("tour{i}")) => {
                    ok.set(ok.get() + 1)
                }
                Ok(res) => eprintln!(
                    "eddy-node: request {i}: unexpected response {} {:?}",
                    res.status,
                    res.text()
                ),
                Err(e) => eprintln!("eddy-node: request {i} failed: {e}"),
            });
        }
    })
    .map_err(io::Error::from)?;
    Ok(ok.get())
}

/// A response is good if it is a complete `200` carrying `tour{i}`.
fn check_response(response: &[u8], i: usize) -> io::Result<()> {
    let text = String::from_utf8_lossy(response);
    let ok = text.starts_with("HTTP/1.1 200") && matches!(response_complete(response), Ok(true));
    if ok && text.contains(&format!("tour{i}")) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("request {i}: unexpected response {text:?}"),
        ))
    }
}

/// Samples the process's thread count until stopped; reports the peak.
struct ThreadWatcher {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicUsize>,
    handle: std::thread::JoinHandle<()>,
}

impl ThreadWatcher {
    fn start() -> ThreadWatcher {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicUsize::new(0));
        let handle = {
            let (stop, peak) = (stop.clone(), peak.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // Minus one: the watcher thread itself.
                    let threads = thread_count().saturating_sub(1);
                    peak.fetch_max(threads, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        ThreadWatcher { stop, peak, handle }
    }

    fn finish(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.handle.join();
        self.peak.load(Ordering::Relaxed)
    }
}

/// The number of OS threads in this process.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// This process's peak resident set size (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Raises the soft descriptor limit to the hard one; errors if even that
/// is too low for `needed` descriptors.
fn raise_fd_limit(needed: u64) -> io::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid rlimit; raising the soft limit up to the
        // hard limit needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    if limit.rlim_cur < needed {
        return Err(io::Error::other(format!(
            "{needed} file descriptors needed but the hard limit is {}: \
             raise it (`ulimit -Hn`) or lower --requests",
            limit.rlim_cur
        )));
    }
    Ok(())
}

/// Child mode: run one model, print one `RESULT` line for the parent.
fn run_child(model: Model, work: Workload) -> io::Result<()> {
    let watcher = ThreadWatcher::start();
    let start = Instant::now();
    let ok = model.run(&work)?;
    let wall = start.elapsed();
    let threads = watcher.finish();
    println!(
        "RESULT wall_us={} threads={threads} rss_kib={} ok={ok}",
        wall.as_micros(),
        peak_rss_kib()
    );
    Ok(())
}

/// One row of the table.
struct Row {
    model: Model,
    wall: Duration,
    threads: usize,
    rss_kib: u64,
    ok: usize,
}

/// Runs `model` in a child process and parses its `RESULT` line.
fn measure(model: Model, work: Workload) -> io::Result<Row> {
    let exe = std::env::current_exe()?;
    let name = model
        .to_possible_value()
        .expect("models have names")
        .get_name()
        .to_string();
    let out = Command::new(exe)
        .args(["--model", &name, "--addr", &work.addr.to_string()])
        .args(["--requests", &work.requests.to_string()])
        .args(["--delay-ms", &work.delay_ms.to_string()])
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fail = |why: &str| {
        io::Error::other(format!(
            "model {name}: {why} ({})\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    };
    if !out.status.success() {
        return Err(fail("child failed"));
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| fail("no RESULT line"))?;
    let field = |key: &str| -> io::Result<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| fail(&format!("no {key} in {line:?}")))
    };
    Ok(Row {
        model,
        wall: Duration::from_micros(field("wall_us")?),
        threads: field("threads")? as usize,
        rss_kib: field("rss_kib")?,
        ok: field("ok")? as usize,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // The server holds one descriptor per connection, and so does each model.
    raise_fd_limit(args.requests as u64 + 64)?;
    if let (Some(model), Some(addr)) = (args.model, args.addr) {
        let work = Workload {
            addr,
            requests: args.requests,
            delay_ms: args.delay_ms,
        };
        return Ok(run_child(model, work)?);
    }

    let server = delayserver::Server::bind("127.0.0.1:0".parse()?)?
        .quiet(true)
        .spawn();
    let work = Workload {
        addr: server.local_addr(),
        requests: args.requests,
        delay_ms: args.delay_ms,
    };
    println!(
        "Eddy tour: {} requests, each answered after {} ms by a delay server at {}.",
        work.requests, work.delay_ms, work.addr
    );
    println!("Each model runs in its own process; threads and RSS are that process's peak.\n");
    println!(
        "{:<36} {:>10} {:>11} {:>10} {:>11}",
        "model", "wall time", "OS threads", "peak RSS", "ok"
    );
    for &model in Model::ALL {
        let row = measure(model, work)?;
        println!(
            "{:<36} {:>8.2} s {:>11} {:>6.1} MiB {:>11}",
            row.model.label(),
            row.wall.as_secs_f64(),
            row.threads,
            row.rss_kib as f64 / 1024.0,
            format!("{}/{}", row.ok, work.requests),
        );
    }
    server.shutdown()?;
    Ok(())
}
