//! The systems under test, one file each, all serving the same handler.
//!
//! A server runs in a child process (`eddy-bench serve --system NAME
//! --protocol http|echo`, see [`crate::child`]) so its CPU time and memory
//! are its own. Each Rust system's file exports
//! `serve(listener, protocol) -> io::Result<()>`; Node.js runs a script
//! written by [`node`]. The raw event loops share [`LoopConn`], the
//! per-connection state machine, so the floor rows differ only by the
//! event-queue crate.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::protocol::{Protocol, RESPONSE, RequestBuffer};

#[cfg(feature = "eddy-fiber")]
pub mod eddy_fiber_rt;
#[cfg(feature = "eddy-node")]
pub mod eddy_node_http;
#[cfg(feature = "eddy-node")]
pub mod eddy_node_loop;
pub mod eddy_poll_loop;
#[cfg(feature = "eddy")]
pub mod eddy_rt;
pub mod may_rt;
pub mod mio_loop;
pub mod node;
pub mod smol_rt;
pub mod tokio_rt;

/// Every system the harness knows, peers first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum System {
    /// A hand-written mio loop: the floor.
    Mio,
    /// The same loop on eddy-poll.
    EddyPoll,
    /// tokio, current_thread scheduler.
    TokioCt,
    /// tokio, multi_thread scheduler with [`mt_workers`] workers.
    TokioMt,
    /// smol's LocalExecutor on async-io.
    Smol,
    /// may, one worker (stackful coroutines).
    May,
    /// Node.js `http.createServer`.
    Node,
    /// Node.js `net.createServer` with our handler.
    NodeNet,
    /// corosensei (micro benchmarks only).
    Corosensei,
    /// eddy, current-thread scheduler.
    #[cfg(feature = "eddy")]
    Eddy,
    /// eddy, multi-thread scheduler with two workers.
    #[cfg(feature = "eddy")]
    EddyMt,
    /// eddy-fiber, one thread.
    #[cfg(feature = "eddy-fiber")]
    EddyFiber,
    /// eddy-node's `net::create_server`.
    #[cfg(feature = "eddy-node")]
    EddyNode,
    /// eddy-node's `http::create_server` (the counterpart of Node's `http`).
    #[cfg(feature = "eddy-node")]
    EddyNodeHttp,
}

/// Worker threads of the multi-thread rows: 2 unless `--mt-workers` says
/// otherwise. Set once by the parent before any server starts; a `serve`
/// child gets it through its own `--workers` argument.
static MT_WORKERS: AtomicUsize = AtomicUsize::new(2);
static TOKIO_MT_LABEL: OnceLock<String> = OnceLock::new();
#[cfg(feature = "eddy")]
static EDDY_MT_LABEL: OnceLock<String> = OnceLock::new();

/// Sets the worker count of the multi-thread rows (1..=64).
pub fn set_mt_workers(n: usize) {
    MT_WORKERS.store(n.clamp(1, 64), Ordering::Relaxed);
}

/// The worker count of the multi-thread rows.
pub fn mt_workers() -> usize {
    MT_WORKERS.load(Ordering::Relaxed)
}

fn mt_label(cell: &'static OnceLock<String>, name: &str) -> &'static str {
    cell.get_or_init(|| format!("{name} ({})", mt_workers()))
}

impl System {
    /// The name shown in tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            System::Mio => "raw mio loop",
            System::EddyPoll => "raw eddy-poll loop",
            System::TokioCt => "tokio current_thread",
            System::TokioMt => mt_label(&TOKIO_MT_LABEL, "tokio multi_thread"),
            System::Smol => "smol LocalExecutor",
            System::May => "may (1 worker)",
            System::Node => "Node.js http",
            System::NodeNet => "Node.js net",
            System::Corosensei => "corosensei",
            #[cfg(feature = "eddy")]
            System::Eddy => "eddy current-thread",
            #[cfg(feature = "eddy")]
            System::EddyMt => mt_label(&EDDY_MT_LABEL, "eddy multi-thread"),
            #[cfg(feature = "eddy-fiber")]
            System::EddyFiber => "eddy-fiber",
            #[cfg(feature = "eddy-node")]
            System::EddyNode => "eddy-node net",
            #[cfg(feature = "eddy-node")]
            System::EddyNodeHttp => "eddy-node http",
        }
    }

    /// Whether this row is one of ours (compared against the best peer).
    pub fn is_eddy(self) -> bool {
        match self {
            System::EddyPoll => true,
            #[cfg(feature = "eddy")]
            System::Eddy | System::EddyMt => true,
            #[cfg(feature = "eddy-fiber")]
            System::EddyFiber => true,
            #[cfg(feature = "eddy-node")]
            System::EddyNode | System::EddyNodeHttp => true,
            _ => false,
        }
    }

    /// Whether the server is pinned to core 0. Multi-threaded servers are
    /// left free so their second worker has somewhere to run.
    pub fn pinned(self) -> bool {
        match self {
            System::TokioMt => false,
            #[cfg(feature = "eddy")]
            System::EddyMt => false,
            _ => true,
        }
    }

    /// Whether this system runs as a Node.js script rather than our binary.
    pub fn is_node(self) -> bool {
        matches!(self, System::Node | System::NodeNet)
    }

    /// The Eddy servers compiled into this binary (`http`: also those that
    /// only speak HTTP).
    pub fn eddy_servers(http: bool) -> Vec<System> {
        let mut v = Vec::new();
        #[cfg(feature = "eddy")]
        v.extend([System::Eddy, System::EddyMt]);
        #[cfg(feature = "eddy-fiber")]
        v.push(System::EddyFiber);
        v.extend(Self::eddy_node_servers().into_iter().filter(|_| http));
        v
    }

    /// The eddy-node servers compiled into this binary.
    pub fn eddy_node_servers() -> Vec<System> {
        #[cfg(feature = "eddy-node")]
        return vec![System::EddyNode, System::EddyNodeHttp];
        #[cfg(not(feature = "eddy-node"))]
        Vec::new()
    }

    /// Why this system cannot run here, if it cannot.
    pub fn unavailable(self) -> Option<String> {
        if self.is_node() && !node::installed() {
            return Some(format!("{}: skipped, `node` is not on PATH", self.label()));
        }
        #[cfg(feature = "eddy")]
        if self == System::EddyMt
            && let Err(e) = eddy_rt::runtime(true)
        {
            return Some(format!("{}: skipped: {e}", self.label()));
        }
        None
    }
}

/// Backlog of every server's listening socket (std's default is small
/// enough to drop SYNs when the `scale` group opens 10 000 connections).
const BACKLOG: i32 = 4096;

/// Prints `listening ADDR` on stdout: the parent waits for this line.
pub fn announce(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "listening {addr}")?;
    out.flush()
}

/// Binds `127.0.0.1:0` with a deep backlog, announces it, then serves
/// `protocol` with `system` until the process exits.
pub fn serve(system: System, protocol: Protocol) -> io::Result<()> {
    #[cfg(feature = "eddy-node")]
    if system == System::EddyNode {
        return eddy_node_loop::serve(protocol);
    }
    #[cfg(feature = "eddy-node")]
    if system == System::EddyNodeHttp {
        return eddy_node_http::serve(protocol);
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| io::Error::new(e.kind(), format!("bind 127.0.0.1:0: {e}")))?;
    // Listening again only changes the backlog; the fd is the open
    // listener we own.
    syscall!(listen(listener.as_raw_fd(), BACKLOG))?;
    let addr = listener.local_addr()?;
    announce(addr)?;
    serve_on(system, listener, protocol)
}

/// Serves `protocol` on `listener` with `system` until the process exits.
fn serve_on(system: System, listener: TcpListener, protocol: Protocol) -> io::Result<()> {
    match system {
        System::Mio => mio_loop::serve(listener, protocol),
        System::EddyPoll => eddy_poll_loop::serve(listener, protocol),
        System::TokioCt => tokio_rt::serve(listener, protocol, false),
        System::TokioMt => tokio_rt::serve(listener, protocol, true),
        System::Smol => smol_rt::serve(listener, protocol),
        System::May => may_rt::serve(listener, protocol),
        #[cfg(feature = "eddy")]
        System::Eddy => eddy_rt::serve(listener, protocol, false),
        #[cfg(feature = "eddy")]
        System::EddyMt => eddy_rt::serve(listener, protocol, true),
        #[cfg(feature = "eddy-fiber")]
        System::EddyFiber => eddy_fiber_rt::serve(listener, protocol),
        _ => Err(io::Error::new(
            ErrorKind::Unsupported,
            format!("{} is not a server of this binary", system.label()),
        )),
    }
}

/// One connection of a raw readiness loop: read, answer, keep unsent
/// bytes for the next writable event.
#[derive(Debug)]
pub struct LoopConn<S> {
    /// The socket.
    pub stream: S,
    requests: RequestBuffer,
    out: Vec<u8>,
}

impl<S: Read + Write> LoopConn<S> {
    /// A connection with empty buffers.
    pub fn new(stream: S) -> Self {
        LoopConn {
            stream,
            requests: RequestBuffer::new(),
            out: Vec::new(),
        }
    }

    /// Handles a readiness event (edge-triggered). Reads until the socket
    /// is drained: until `WouldBlock`, or a short read (fewer bytes than
    /// asked for: the receive queue was empty at that moment, and data
    /// arriving later raises a new edge), which saves the `EAGAIN` probe
    /// per request, as tokio, eddy and eddy-fiber do on Linux. Returns
    /// `false` when the connection is finished and must be closed.
    pub fn on_ready(&mut self, protocol: Protocol) -> bool {
        if !self.flush() {
            return false;
        }
        loop {
            let chunk = self.requests.spare();
            let asked = chunk.len();
            let read = match protocol {
                Protocol::Http => self.stream.read(chunk),
                // Echo reads into the (otherwise unused) request buffer: no
                // per-read zeroing of a stack array.
                Protocol::Echo => self.stream.read(chunk).inspect(|&n| {
                    self.out.extend_from_slice(&chunk[..n]);
                }),
            };
            match read {
                Ok(0) => return false,
                Ok(n) => {
                    if protocol == Protocol::Http {
                        let Ok(complete) = self.requests.filled(n) else {
                            return false;
                        };
                        for _ in 0..complete {
                            self.out.extend_from_slice(RESPONSE);
                        }
                    }
                    if !self.flush() {
                        return false;
                    }
                    if n < asked {
                        return true;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    /// Writes pending output; `false` on a write error.
    fn flush(&mut self) -> bool {
        let mut sent = 0;
        while sent < self.out.len() {
            match self.stream.write(&self.out[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        self.out.drain(..sent);
        true
    }
}

/// The async handler every futures runtime row runs: read, count whole
/// requests, write one response each (or echo the bytes back).
#[macro_export]
macro_rules! async_handler {
    ($stream:expr, $protocol:expr) => {{
        let mut stream = $stream;
        match $protocol {
            $crate::protocol::Protocol::Http => {
                let mut requests = $crate::protocol::RequestBuffer::new();
                loop {
                    let n = match stream.read(requests.spare()).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let Ok(complete) = requests.filled(n) else {
                        break;
                    };
                    let mut failed = false;
                    for _ in 0..complete {
                        if stream.write_all($crate::protocol::RESPONSE).await.is_err() {
                            failed = true;
                        }
                    }
                    if failed {
                        break;
                    }
                }
            }
            $crate::protocol::Protocol::Echo => {
                let mut buf = [0u8; 4096];
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
    }};
}

/// The blocking handler every stackful row runs (same steps as
/// [`async_handler!`], with `std::io` calls).
pub fn blocking_handler<S: Read + Write>(mut stream: S, protocol: Protocol) {
    match protocol {
        Protocol::Http => {
            let mut requests = RequestBuffer::new();
            loop {
                let n = match stream.read(requests.spare()) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let Ok(complete) = requests.filled(n) else {
                    return;
                };
                for _ in 0..complete {
                    if stream.write_all(RESPONSE).is_err() {
                        return;
                    }
                }
            }
        }
        Protocol::Echo => {
            let mut buf = [0u8; 4096];
            loop {
                let n = match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::protocol::{MAX_REQUEST, REQUEST};

    /// A socket that hands out scripted reads (`None`: `WouldBlock`) and
    /// records writes; reading past the script is a test failure.
    struct Scripted {
        reads: VecDeque<Option<Vec<u8>>>,
        written: Vec<u8>,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.reads.pop_front().expect("read past the script") {
                Some(bytes) => {
                    buf[..bytes.len()].copy_from_slice(&bytes);
                    Ok(bytes.len())
                }
                None => Err(ErrorKind::WouldBlock.into()),
            }
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_short_read_ends_the_event_without_an_eagain_probe() {
        // One request, then nothing scripted: a second read would panic.
        let stream = Scripted {
            reads: VecDeque::from([Some(REQUEST.to_vec())]),
            written: Vec::new(),
        };
        let mut conn = LoopConn::new(stream);
        assert!(conn.on_ready(Protocol::Http));
        assert_eq!(conn.stream.written, RESPONSE);
    }

    #[test]
    fn a_full_read_reads_on_until_would_block() {
        // Pipelined requests filling the whole buffer: the socket may hold
        // more, so the loop reads again (here: WouldBlock).
        let mut full = Vec::new();
        while full.len() + REQUEST.len() <= MAX_REQUEST {
            full.extend_from_slice(REQUEST);
        }
        // The rest of the buffer: the start of one more request.
        full.extend_from_slice(&REQUEST[..MAX_REQUEST - full.len()]);
        assert_eq!(full.len(), MAX_REQUEST);
        let whole = full.len() / REQUEST.len();
        let stream = Scripted {
            reads: VecDeque::from([Some(full), None]),
            written: Vec::new(),
        };
        let mut conn = LoopConn::new(stream);
        assert!(conn.on_ready(Protocol::Http));
        assert!(conn.stream.reads.is_empty(), "read until WouldBlock");
        assert_eq!(conn.stream.written.len(), whole * RESPONSE.len());
    }

    #[test]
    fn end_of_stream_closes() {
        let stream = Scripted {
            reads: VecDeque::from([Some(Vec::new())]),
            written: Vec::new(),
        };
        assert!(!LoopConn::new(stream).on_ready(Protocol::Http));
    }
}
