//! `Socket::write` hands bytes to the kernel at once when nothing is queued
//! and queues only what the kernel did not take: more than the socket
//! buffers hold must still arrive whole and in order, `write` must say
//! "wait" (false), and `drain` must follow once the queue is sent.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use eddy_node::net;

/// 2 x 24 MiB: far more than loopback socket buffers take (a few MiB).
const PART: usize = 24 << 20;

fn part(seed: u8) -> Vec<u8> {
    (0..PART)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    hash
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

#[test]
fn writes_beyond_the_kernel_buffers_arrive_whole_in_order_then_drain() {
    let (first, second) = (part(0), part(0x5a));
    let expected = fnv(fnv(FNV_START, &first), &second);
    let received = Rc::new(Cell::new((0usize, FNV_START)));
    let ended = Rc::new(Cell::new(false));
    let write_results = Rc::new(RefCell::new(Vec::new()));
    let drains = Rc::new(Cell::new(0));
    let (rec, end, results, dr) = (
        received.clone(),
        ended.clone(),
        write_results.clone(),
        drains.clone(),
    );
    eddy_node::run(move || {
        let server = net::create_server(move |socket| {
            let rec = rec.clone();
            socket.on_data(move |chunk| {
                let (n, hash) = rec.get();
                rec.set((n + chunk.len(), fnv(hash, chunk)));
            });
            let (end, s) = (end.clone(), socket.clone());
            socket.on_end(move || {
                end.set(true);
                s.end("");
            });
        });
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let client = net::connect(&addr.unwrap().to_string());
            let c = client.clone();
            client.on_connect(move || {
                // The first write goes straight to the kernel, which takes
                // part of it; the second queues behind the rest.
                results.borrow_mut().push(c.write(&first));
                results.borrow_mut().push(c.write(&second));
                c.end("");
            });
            let dr = dr.clone();
            client.on_drain(move || dr.set(dr.get() + 1));
            client.on_close(move |_| srv.close(|| {}));
        });
    })
    .unwrap();
    assert_eq!(
        *write_results.borrow(),
        [false, false],
        "write must ask to wait"
    );
    assert_eq!(drains.get(), 1, "one drain once the queue is sent");
    assert!(ended.get(), "the server saw the end of the stream");
    let (n, hash) = received.get();
    assert_eq!(n, 2 * PART, "bytes received");
    assert_eq!(hash, expected, "bytes received out of order or changed");
}

#[test]
fn a_write_the_kernel_takes_whole_returns_true_and_owes_no_drain() {
    let results = Rc::new(RefCell::new(Vec::new()));
    let drains = Rc::new(Cell::new(0));
    let got = Rc::new(RefCell::new(Vec::new()));
    let (res, dr, g) = (results.clone(), drains.clone(), got.clone());
    eddy_node::run(move || {
        let server = net::create_server(move |socket| {
            let g = g.clone();
            socket.on_data(move |chunk| g.borrow_mut().extend_from_slice(chunk));
            let s = socket.clone();
            socket.on_end(move || s.end(""));
        });
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let client = net::connect(&addr.unwrap().to_string());
            let c = client.clone();
            client.on_connect(move || {
                res.borrow_mut().push(c.write("hello, "));
                res.borrow_mut().push(c.write("world"));
                c.end("");
            });
            let dr = dr.clone();
            client.on_drain(move || dr.set(dr.get() + 1));
            client.on_close(move |_| srv.close(|| {}));
        });
    })
    .unwrap();
    assert_eq!(*results.borrow(), [true, true]);
    assert_eq!(drains.get(), 0);
    assert_eq!(got.borrow().as_slice(), b"hello, world");
}
