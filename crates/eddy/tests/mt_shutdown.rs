//! Multi-thread runtime shutdown: dropping the runtime (or
//! `shutdown_timeout`) stops every worker, drops every task's future
//! exactly once, and joins the threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use eddy::runtime::{Builder, Runtime};

fn runtime(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap()
}

/// Counts drops of the future it is moved into.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn drop_drops_every_pending_future_exactly_once() {
    let rt = runtime(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    const N: usize = 2000;
    for i in 0..N {
        let guard = DropCounter(drops.clone());
        let started = started.clone();
        rt.spawn(async move {
            let _guard = guard;
            started.fetch_add(1, SeqCst);
            if i % 2 == 0 {
                std::future::pending::<()>().await;
            } else {
                eddy::time::sleep(Duration::from_secs(3600)).await;
            }
        });
    }
    // Some tasks may still be queued (never polled): they count too.
    drop(rt);
    assert_eq!(drops.load(SeqCst), N);
}

#[test]
fn tasks_spawned_after_shutdown_are_cancelled() {
    let rt = runtime(2);
    let handle = rt.handle().clone();
    drop(rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(drops.clone());
    let join = handle.spawn(async move {
        let _guard = guard;
    });
    assert_eq!(drops.load(SeqCst), 1);
    let err = futures_lite::future::block_on(join).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn shutdown_timeout_returns_despite_a_blocked_worker() {
    let rt = runtime(2);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    rt.spawn(async move {
        started_tx.send(()).unwrap();
        // Blocks its worker until the test lets it go.
        let _ = rx.recv();
    });
    started_rx.recv().unwrap();
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    drop(tx);
}

#[test]
fn a_runtime_can_be_dropped_from_inside_a_task_of_another_runtime() {
    let outer = runtime(1);
    outer.block_on(async {
        eddy::spawn(async {
            let inner = Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            let t = inner.spawn(async { 1 });
            while !t.is_finished() {
                std::thread::yield_now();
            }
            drop(inner);
        })
        .await
        .unwrap();
    });
}
