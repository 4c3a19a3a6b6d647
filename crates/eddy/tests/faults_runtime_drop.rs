//! Dropping a runtime with open sockets and many tasks parked on reads:
//! every future is dropped and no descriptor leaks.
//!
//! One test in its own file (its own process), because it counts the
//! process's open descriptors and other tests would open some concurrently.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eddy::net::{TcpListener, TcpStream, UdpSocket, UnixStream};

/// Counts drops of the futures that hold it.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

#[test]
fn dropping_the_runtime_drops_parked_tasks_and_closes_sockets() {
    const TASKS: usize = 10_000;
    const PAIRS: usize = 100;
    let before = open_fds();
    let dropped = Arc::new(AtomicUsize::new(0));
    {
        let rt = eddy::runtime::Builder::new_current_thread()
            .build()
            .expect("build runtime");
        let dropped = dropped.clone();
        rt.block_on(async move {
            // Several waiters on each stream's readiness, plus one reader per
            // stream using the stream's own read path.
            let mut keep = Vec::new();
            for p in 0..PAIRS {
                let (a, b) = UnixStream::pair()?;
                let a = Arc::new(a);
                for _ in 0..TASKS / PAIRS - 1 {
                    let a = a.clone();
                    let guard = DropCounter(dropped.clone());
                    eddy::spawn(async move {
                        let _guard = guard;
                        a.readable().await
                    });
                }
                let guard = DropCounter(dropped.clone());
                eddy::spawn(async move {
                    let _guard = guard;
                    let mut buf = [0u8; 8];
                    eddy::io::AsyncReadExt::read(&mut &b, &mut buf).await
                });
                if p == 0 {
                    keep.push(a);
                }
            }
            // Sockets of every kind, owned by the runtime's tasks.
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let udp = UdpSocket::bind("127.0.0.1:0").await?;
            eddy::spawn(async move {
                let _client = client;
                let mut buf = [0u8; 8];
                udp.recv_from(&mut buf).await
            });
            eddy::spawn(async move { listener.accept().await.map(|_| ()) });
            // Let every task park.
            for _ in 0..4 {
                eddy::task::yield_now().await;
            }
            drop(keep);
            Ok::<(), io::Error>(())
        })
        .expect("set up");
        drop(rt);
    }
    assert_eq!(dropped.load(Ordering::SeqCst), TASKS);
    let after = open_fds();
    assert_eq!(
        before, after,
        "descriptors leaked: {before} before, {after} after"
    );
}
