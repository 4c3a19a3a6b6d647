//! HTTP/1.1 keep-alive hello-world: the same handler served by eddy's
//! current-thread runtime and by tokio's `current_thread` runtime, driven by
//! the same in-bench load generator, in the same run.
//!
//! * Server: one runtime on its own thread (pinned to CPU 0 when there are
//!   two), one task per connection. The handler reads into a 4 KiB buffer,
//!   parses every complete request in it with `httparse`, answers each with
//!   a fixed response whose body is `Hello, World!` (13 bytes), and writes
//!   the answers with one `write_all`.
//! * Load generator: one thread (pinned to CPU 1) on `eddy_poll` directly,
//!   [`CONNECTIONS`] keep-alive connections, one request in flight per
//!   connection. One criterion iteration is [`REQUESTS`] requests; the
//!   throughput line is requests/s.
//!
//! Run: `cargo bench -p eddy --bench http`. With one client thread the client
//! is often the limit (see `/work/shared/PERF.md` for steadier measures:
//! instructions and syscalls per request).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eddy_poll::net::TcpStream as PollStream;
use eddy_poll::{Events, Interest, Poll, Token};

/// Keep-alive connections the load generator keeps busy.
const CONNECTIONS: usize = 64;
/// Requests per criterion iteration.
const REQUESTS: u64 = 5_000;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: eddy-bench\r\n\r\n";
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

/// Parses every complete request at the front of `input`, appending one
/// response per request to `out`. Returns the bytes consumed, or an error
/// for a malformed request.
fn handle_requests(input: &[u8], out: &mut Vec<u8>) -> Result<usize, httparse::Error> {
    let mut consumed = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&input[consumed..])? {
            httparse::Status::Complete(len) => {
                consumed += len;
                out.extend_from_slice(RESPONSE);
            }
            httparse::Status::Partial => return Ok(consumed),
        }
    }
}

/// One connection's read-parse-respond loop over any read/write pair.
macro_rules! serve_connection {
    ($stream: expr) => {{
        let mut stream = $stream;
        let mut buf = vec![0u8; 4096];
        let mut filled = 0;
        let mut out = Vec::with_capacity(4096);
        loop {
            if filled == buf.len() {
                break; // request larger than the buffer: drop the connection
            }
            let n = match stream.read(&mut buf[filled..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            filled += n;
            let Ok(consumed) = handle_requests(&buf[..filled], &mut out) else {
                break;
            };
            buf.copy_within(consumed..filled, 0);
            filled -= consumed;
            if !out.is_empty() {
                if stream.write_all(&out).await.is_err() {
                    break;
                }
                out.clear();
            }
        }
    }};
}

/// Pins the calling thread to `cpu` when the machine has more than one.
fn pin_to_cpu(cpu: usize) {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return;
    }
    // SAFETY: cpu_set_t is plain data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below CPU_SETSIZE (we only use 0 and 1).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed; 0 means this thread.
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
}

/// Starts the eddy server on its own thread; returns its address.
fn start_eddy_server() -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        pin_to_cpu(0);
        let rt = eddy::runtime::Builder::new_current_thread()
            .build()
            .expect("build eddy runtime");
        rt.block_on(async move {
            use eddy::io::{AsyncReadExt, AsyncWriteExt};
            let listener = eddy::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind eddy server");
            tx.send(listener.local_addr().expect("local_addr")).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                eddy::spawn(async move { serve_connection!(stream) });
            }
        });
    });
    rx.recv().expect("eddy server started")
}

/// Starts the tokio server on its own thread; returns its address.
fn start_tokio_server() -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        pin_to_cpu(0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build tokio runtime");
        rt.block_on(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind tokio server");
            tx.send(listener.local_addr().expect("local_addr")).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move { serve_connection!(stream) });
            }
        });
    });
    rx.recv().expect("tokio server started")
}

/// A load generator thread holding [`CONNECTIONS`] connections to one
/// server; each `run(n)` sends `n` requests and returns the time taken.
struct LoadGenerator {
    jobs: mpsc::Sender<u64>,
    done: mpsc::Receiver<Duration>,
}

impl LoadGenerator {
    fn start(addr: SocketAddr) -> LoadGenerator {
        let (jobs, job_rx) = mpsc::channel::<u64>();
        let (done_tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            pin_to_cpu(1);
            let mut client = Client::connect(addr).expect("connect load generator");
            for n in job_rx {
                let elapsed = client.run(n).expect("load generator I/O");
                if done_tx.send(elapsed).is_err() {
                    break;
                }
            }
        });
        LoadGenerator { jobs, done }
    }

    fn run(&self, requests: u64) -> Duration {
        self.jobs.send(requests).expect("load generator alive");
        self.done.recv().expect("load generator finished a batch")
    }
}

/// The load generator's connections, on a raw `eddy_poll` loop.
struct Client {
    poll: Poll,
    events: Events,
    conns: Vec<PollStream>,
    /// Response bytes received but not yet counted as a whole response.
    pending_bytes: Vec<usize>,
}

impl Client {
    fn connect(addr: SocketAddr) -> io::Result<Client> {
        let poll = Poll::new()?;
        let mut conns = Vec::with_capacity(CONNECTIONS);
        for i in 0..CONNECTIONS {
            let std_stream = std::net::TcpStream::connect(addr)?;
            std_stream.set_nodelay(true)?;
            std_stream.set_nonblocking(true)?;
            let mut stream = PollStream::from_std(std_stream);
            poll.registry()
                .register(&mut stream, Token(i), Interest::READABLE)?;
            conns.push(stream);
        }
        Ok(Client {
            poll,
            events: Events::with_capacity(CONNECTIONS),
            conns,
            pending_bytes: vec![0; CONNECTIONS],
        })
    }

    /// Sends `total` requests, at most one in flight per connection.
    fn run(&mut self, total: u64) -> io::Result<Duration> {
        let start = Instant::now();
        let mut sent = 0u64;
        let mut answered = 0u64;
        for conn in &self.conns {
            if sent == total {
                break;
            }
            send_request(conn)?;
            sent += 1;
        }
        let mut buf = [0u8; 16 * 1024];
        while answered < total {
            self.poll.poll(&mut self.events, None)?;
            for event in self.events.iter() {
                let i = event.token().0;
                let conn = &self.conns[i];
                loop {
                    match (&*conn).read(&mut buf) {
                        Ok(0) => {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "server closed a connection",
                            ));
                        }
                        Ok(n) => {
                            self.pending_bytes[i] += n;
                            while self.pending_bytes[i] >= RESPONSE.len() {
                                self.pending_bytes[i] -= RESPONSE.len();
                                answered += 1;
                                if sent < total {
                                    send_request(conn)?;
                                    sent += 1;
                                }
                            }
                            // A short read drained the socket; the next
                            // arrival is a new edge. Reading on to EAGAIN
                            // would cost the client a third syscall per
                            // request and make it, not the server, the limit.
                            if n < buf.len() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(start.elapsed())
    }
}

/// Writes one request; it is far smaller than an idle socket's send buffer.
fn send_request(mut conn: &PollStream) -> io::Result<()> {
    let n = conn.write(REQUEST)?;
    if n != REQUEST.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "short request write",
        ));
    }
    Ok(())
}

fn http_hello(c: &mut Criterion) {
    let eddy_load = LoadGenerator::start(start_eddy_server());
    let tokio_load = LoadGenerator::start(start_tokio_server());
    // Warm both up once (connections accepted, buffers sized).
    eddy_load.run(REQUESTS);
    tokio_load.run(REQUESTS);

    // `EDDY_HTTP_ROUNDS_ONLY=N`: skip criterion and run only the interleaved
    // rounds of N requests, e.g. under `valgrind --tool=callgrind
    // --separate-threads=yes` to count instructions per request per server
    // thread.
    if let Some(per_round) = std::env::var("EDDY_HTTP_ROUNDS_ONLY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        interleaved(&eddy_load, &tokio_load, 2, per_round);
        return;
    }

    let mut group = c.benchmark_group("http_hello_keepalive");
    group.throughput(Throughput::Elements(REQUESTS));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("eddy_current_thread", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| eddy_load.run(REQUESTS)).sum())
    });
    group.bench_function("tokio_current_thread", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| tokio_load.run(REQUESTS)).sum())
    });
    group.finish();

    interleaved(&eddy_load, &tokio_load, 6, REQUESTS * 4);
}

/// Interleaved rounds (A B A B), so both servers see the same machine noise.
fn interleaved(eddy_load: &LoadGenerator, tokio_load: &LoadGenerator, rounds: u64, per_round: u64) {
    let (mut eddy_total, mut tokio_total) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        eddy_total += eddy_load.run(per_round);
        tokio_total += tokio_load.run(per_round);
    }
    let requests = (per_round * rounds) as f64;
    let eddy_rps = requests / eddy_total.as_secs_f64();
    let tokio_rps = requests / tokio_total.as_secs_f64();
    println!(
        "interleaved {rounds} rounds x {per_round} requests, {CONNECTIONS} connections: \
         eddy {eddy_rps:.0} req/s, tokio {tokio_rps:.0} req/s, eddy/tokio = {:.2}",
        eddy_rps / tokio_rps
    );
}

criterion_group!(benches, http_hello);
criterion_main!(benches);
