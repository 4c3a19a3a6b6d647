//! The HTTP server allocates nothing per request once a connection is
//! warm: the response state, the head buffer and the loop's own scratch
//! are reused (crates/eddy-node/README.md says so; this holds it to it).
//!
//! Its own test binary, because it installs a counting global allocator.
//! The count is per thread: the loop runs on the test's thread, the
//! client on another, so only the server's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use eddy_node::http;

/// `System`, counting the allocations (and reallocations) of each thread.
struct Counting;

thread_local! {
    /// No destructor and a const initializer: reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread being torn down may still allocate.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations_so_far() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's; counting
// touches only a thread-local `Cell` and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `alloc`'s contract; passed through.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: `ptr` came from this allocator, that is from `System`,
        // with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Requests served before counting starts (buffers grow to their size).
const WARMUP: u64 = 200;
/// Requests counted.
const MEASURED: u64 = 2_000;

const REQUEST: &[u8] = b"GET /hello HTTP/1.1\r\nHost: test\r\nUser-Agent: alloc-test\r\n\r\n";
const BODY: &str = "hello, world!";

/// Sends `count` keep-alive requests one at a time on one connection,
/// reading each whole response before the next (a 20 s read timeout
/// fails the test instead of hanging it).
fn client(addr: std::net::SocketAddr, count: u64) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    for i in 0..count {
        stream.write_all(REQUEST)?;
        buf.clear();
        while !buf.ends_with(BODY.as_bytes()) {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::Error::other(format!(
                    "closed before response {i} ended: {:?}",
                    String::from_utf8_lossy(&buf)
                )));
            }
            buf.extend_from_slice(&chunk[..n]);
            assert!(buf.len() < 1024, "response too long: {buf:?}");
        }
        assert!(buf.starts_with(b"HTTP/1.1 200 OK\r\n"), "{buf:?}");
    }
    Ok(())
}

#[test]
fn a_warm_keep_alive_connection_allocates_nothing_per_request() {
    let served = Rc::new(Cell::new(0u64));
    let counted = Rc::new(Cell::new((0u64, 0u64)));
    let (addr_tx, addr_rx) = mpsc::channel();
    let client = std::thread::spawn(move || {
        let addr = addr_rx.recv().expect("the server announces its address");
        client(addr, WARMUP + MEASURED)
    });
    let (s, c) = (served.clone(), counted.clone());
    eddy_node::run(move || {
        // The server closes itself after the last request (its connection
        // then closes after that response), so the loop ends.
        let this: Rc<RefCell<Option<http::Server>>> = Rc::default();
        let me = this.clone();
        let server = http::create_server(move |req, res| {
            // What a handler typically reads, without allocating itself.
            assert_eq!(req.method(), "GET");
            assert_eq!(req.url(), "/hello");
            assert_eq!(req.header("user-agent"), Some("alloc-test"));
            res.set_header("Content-Type", "text/plain");
            res.set_header("X-Served-By", "eddy-node");
            res.end(BODY);
            s.set(s.get() + 1);
            match s.get() {
                WARMUP => c.set((allocations_so_far(), 0)),
                n if n == WARMUP + MEASURED => {
                    c.set((c.get().0, allocations_so_far()));
                    if let Some(server) = me.borrow_mut().take() {
                        server.close(|| {});
                    }
                }
                _ => {}
            }
        });
        // Long timeouts: the connection's timer is armed once, at the
        // start, and never fires during the test however slow the machine
        // (firing re-arms it, which is not what is counted here).
        server.set_keep_alive_timeout(Duration::from_secs(3600));
        server.set_headers_timeout(Duration::from_secs(3600));
        *this.borrow_mut() = Some(server.clone());
        server.listen("127.0.0.1:0", move |addr| {
            addr_tx.send(addr.expect("listen")).expect("client waits");
        });
    })
    .expect("the loop ends cleanly");
    client
        .join()
        .expect("the client does not panic")
        .expect("every response arrives");
    assert_eq!(served.get(), WARMUP + MEASURED);
    let (before, after) = counted.get();
    assert_eq!(
        after - before,
        0,
        "{} allocations over {MEASURED} requests on a warm connection",
        after - before
    );
}
