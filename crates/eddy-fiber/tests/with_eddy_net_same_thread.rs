//! Fiber sockets (`eddy_fiber::net`) and future sockets (`eddy::net`) on
//! one eddy runtime thread: a fiber echo server answers async clients, an
//! async echo server answers fiber clients, every byte is checked, and
//! every side records the OS thread it ran on.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::thread::{self, ThreadId};

use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::runtime::{Builder, Handle};
use eddy_fiber::spawn_on;

const CLIENTS: usize = 20;
const MESSAGE_LEN: usize = 64 * 1024;

fn message(client: usize) -> Vec<u8> {
    (0..MESSAGE_LEN).map(|i| (i * 31 + client) as u8).collect()
}

#[test]
fn fiber_io_and_future_io_share_one_thread() {
    let rt = Builder::new_current_thread().build().unwrap();
    let threads: Rc<RefCell<Vec<ThreadId>>> = Rc::default();
    let record = {
        let threads = threads.clone();
        move || threads.borrow_mut().push(thread::current().id())
    };
    rt.block_on(async {
        let handle = Handle::current();

        // A fiber echo server (one fiber per connection)...
        // (Fiber sockets register in the fiber scheduler, so the listener
        // is bound here and adopted inside the fiber.)
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fiber_addr = std_listener.local_addr().unwrap();
        let record_server = record.clone();
        spawn_on(&handle, move || {
            let fiber_listener = eddy_fiber::net::TcpListener::from_std(std_listener).unwrap();
            loop {
                let (mut conn, _) = fiber_listener.accept().unwrap();
                record_server();
                eddy_fiber::spawn(move || {
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = conn.read(&mut buf).unwrap();
                        if n == 0 {
                            break;
                        }
                        conn.write_all(&buf[..n]).unwrap();
                    }
                });
            }
        });

        // ...and an async echo server (one task per connection).
        let async_listener = eddy::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let async_addr = async_listener.local_addr().unwrap();
        let record_async_server = record.clone();
        eddy::task::spawn_local(async move {
            loop {
                let (mut conn, _) = async_listener.accept().await.unwrap();
                record_async_server();
                eddy::task::spawn_local(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = conn.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        conn.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });

        // Async clients of the fiber server, fiber clients of the async one.
        let mut async_clients = Vec::new();
        let mut fiber_clients = Vec::new();
        for c in 0..CLIENTS {
            let record_client = record.clone();
            async_clients.push(eddy::task::spawn_local(async move {
                let stream = eddy::net::TcpStream::connect(fiber_addr).await.unwrap();
                record_client();
                let sent = message(c);
                let (mut rd, mut wr) = stream.into_split();
                let writer = {
                    let sent = sent.clone();
                    eddy::task::spawn_local(async move { wr.write_all(&sent).await.unwrap() })
                };
                let mut got = vec![0u8; MESSAGE_LEN];
                rd.read_exact(&mut got).await.unwrap();
                writer.await.unwrap();
                assert!(got == sent, "async client {c}: echo differs");
            }));
            let record_fiber = record.clone();
            fiber_clients.push(spawn_on(&handle, move || {
                let stream = eddy_fiber::net::TcpStream::connect(async_addr).unwrap();
                record_fiber();
                let sent = message(c + CLIENTS);
                // A writer fiber and this reader, as the peers would do.
                let writer = {
                    let sent = sent.clone();
                    let stream = Rc::new(stream);
                    let w = stream.clone();
                    (
                        eddy_fiber::spawn(move || (&*w).write_all(&sent).unwrap()),
                        stream,
                    )
                };
                let mut got = vec![0u8; MESSAGE_LEN];
                (&*writer.1).read_exact(&mut got).unwrap();
                writer.0.join().unwrap();
                assert!(got == sent, "fiber client {c}: echo differs");
            }));
        }
        for client in async_clients {
            client.await.unwrap();
        }
        for client in fiber_clients {
            client.await.unwrap();
        }
    });
    let threads = threads.borrow();
    assert_eq!(threads.len(), CLIENTS * 4, "every side recorded itself");
    let me = thread::current().id();
    assert!(threads.iter().all(|&t| t == me), "all on the test's thread");
}
