//! Multi-thread runtime: many tasks spawned from outside threads and from
//! inside tasks all complete exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use eddy::runtime::{Builder, Runtime};

fn runtime(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap()
}

/// 1 000 000 tasks from 4 outside threads; each runs exactly once.
#[test]
fn million_tasks_from_four_outside_threads_run_exactly_once() {
    const PER_THREAD: usize = 250_000;
    let rt = runtime(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let spawners: Vec<_> = (0..4)
        .map(|_| {
            let handle = rt.handle().clone();
            let ran = ran.clone();
            let done = done.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for _ in 0..PER_THREAD {
                    let ran = ran.clone();
                    let done = done.clone();
                    let tx = tx.clone();
                    drop(handle.spawn(async move {
                        ran.fetch_add(1, Relaxed);
                        if done.fetch_add(1, Relaxed) + 1 == 4 * PER_THREAD {
                            tx.send(()).unwrap();
                        }
                    }));
                }
            })
        })
        .collect();
    for spawner in spawners {
        spawner.join().unwrap();
    }
    rx.recv_timeout(std::time::Duration::from_secs(120))
        .expect("all tasks ran");
    drop(rt);
    assert_eq!(ran.load(Relaxed), 4 * PER_THREAD);
}

#[test]
fn spawn_from_inside_tasks_and_join() {
    let rt = runtime(2);
    let total = rt.block_on(async {
        let tasks: Vec<_> = (0..1000u64)
            .map(|i| {
                eddy::spawn(async move {
                    let inner = eddy::spawn(async move { i * 2 });
                    inner.await.unwrap() + 1
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..1000u64).map(|i| i * 2 + 1).sum());
}

#[test]
fn one_worker_runtime_runs_tasks() {
    let rt = runtime(1);
    let out = rt.block_on(async { eddy::spawn(async { 5 }).await.unwrap() });
    assert_eq!(out, 5);
}
