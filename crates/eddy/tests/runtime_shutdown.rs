//! Dropping a runtime: every task's future is dropped exactly once, join
//! handles report cancellation, descriptors are closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use eddy::runtime::{Builder, Runtime};

/// Counts drops of the future it is moved into.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn dropping_the_runtime_drops_ten_thousand_pending_tasks_once_each() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_current_thread().build().unwrap();
    let handles = rt.block_on(async {
        let mut handles = Vec::new();
        for i in 0..10_000 {
            let guard = DropCounter(drops.clone());
            handles.push(eddy::spawn(async move {
                let _guard = guard;
                if i % 2 == 0 {
                    std::future::pending::<()>().await;
                } else {
                    eddy::time::sleep(Duration::from_secs(3600)).await;
                }
            }));
        }
        // Let every task run once and park.
        eddy::task::yield_now().await;
        handles
    });
    // Some tasks were never polled: spawn after the last block_on.
    for _ in 0..10 {
        let guard = DropCounter(drops.clone());
        drop(rt.spawn(async move {
            let _guard = guard;
        }));
    }
    assert_eq!(drops.load(SeqCst), 0);
    drop(rt);
    assert_eq!(drops.load(SeqCst), 10_010);
    for handle in handles {
        assert!(handle.is_finished());
    }
}

#[test]
fn join_handles_of_dropped_tasks_report_cancelled() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.spawn(std::future::pending::<()>());
    drop(rt);
    let rt2 = Builder::new_current_thread().build().unwrap();
    let err = rt2.block_on(handle).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
}

#[test]
fn spawning_onto_a_dropped_runtime_cancels_at_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    drop(rt);
    let guard = DropCounter(drops.clone());
    let join = handle.spawn(async move {
        let _guard = guard;
    });
    assert_eq!(drops.load(SeqCst), 1);
    assert!(join.is_finished());
}

#[test]
fn shutdown_timeout_drops_tasks_and_returns_promptly() {
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_current_thread().build().unwrap();
    for _ in 0..100 {
        let guard = DropCounter(drops.clone());
        rt.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    }
    let start = std::time::Instant::now();
    rt.shutdown_timeout(Duration::from_secs(10));
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(drops.load(SeqCst), 100);
}

#[test]
fn a_future_that_spawns_while_being_dropped_does_not_break_shutdown() {
    struct SpawnOnDrop(Arc<AtomicUsize>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let counter = DropCounter(self.0.clone());
            // The runtime is shutting down: this task is cancelled at once.
            let _ = eddy::runtime::Handle::try_current().map(|h| {
                h.spawn(async move {
                    let _c = counter;
                })
            });
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new_current_thread().build().unwrap();
    let guard = SpawnOnDrop(drops.clone());
    rt.spawn(async move {
        let _g = guard;
        std::future::pending::<()>().await;
    });
    drop(rt);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn a_runtime_can_be_dropped_inside_another_runtimes_task() {
    let outer = Builder::new_current_thread().build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    outer.block_on(async move {
        let inner = Builder::new_current_thread().build().unwrap();
        let guard = DropCounter(d);
        inner.spawn(async move {
            let _g = guard;
            std::future::pending::<()>().await;
        });
        // The outer runtime keeps working around the inner one's shutdown.
        let task = eddy::spawn(async move {
            drop(inner);
            1
        });
        assert_eq!(task.await.unwrap(), 1);
        assert_eq!(eddy::spawn(async { 2 }).await.unwrap(), 2);
    });
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Runtime>();
    send_sync::<eddy::runtime::Handle>();
    send_sync::<eddy::task::JoinHandle<u32>>();
    send_sync::<eddy::task::AbortHandle>();
    send_sync::<eddy::time::Sleep>();
    send_sync::<eddy::time::Interval>();
    send_sync::<eddy::task::JoinSet<u32>>();
}
