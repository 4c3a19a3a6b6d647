//! Multi-thread scheduler benchmarks: eddy's multi-thread runtime against
//! tokio's, both with the same number of workers (2), in the same run.
//!
//! * `spawn_many_outside`: 10 000 empty tasks spawned from a thread outside
//!   the runtime (the injection queue); each counts down, the last signals.
//! * `spawn_many_inside`: the same, spawned from inside a task (the local
//!   queue).
//! * `yield_many`: 200 tasks each calling `yield_now` 200 times (a task
//!   switch per yield: the cost per switch is the time / 40 000).
//! * `ping_pong`: 50 pairs of tasks bouncing a message 100 times over
//!   unbounded channels (wakes between tasks: the LIFO slot).
//! * `fan_out_fan_in`: a binary tree of spawns 12 levels deep (8 191
//!   tasks), each parent awaiting its two children.
//!
//! Run: `cargo bench -p eddy --bench multi_thread` (short runs are enough:
//! `-- --warm-up-time 1 --measurement-time 3`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

const WORKERS: usize = 2;
const SPAWNS: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 200;
const PAIRS: usize = 50;
const BOUNCES: usize = 100;
const TREE_DEPTH: u32 = 12;

fn eddy_rt() -> eddy::runtime::Runtime {
    eddy::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .build()
        .unwrap()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap()
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group
}

/// Counts down from `n`; the task that reaches zero signals `done`.
#[derive(Clone)]
struct Countdown {
    left: Arc<AtomicUsize>,
    done: mpsc::SyncSender<()>,
}

impl Countdown {
    fn new(n: usize) -> (Countdown, mpsc::Receiver<()>) {
        let (done, rx) = mpsc::sync_channel(1);
        let left = Arc::new(AtomicUsize::new(n));
        (Countdown { left, done }, rx)
    }

    fn hit(&self) {
        if self.left.fetch_sub(1, Relaxed) == 1 {
            self.done.send(()).unwrap();
        }
    }
}

fn spawn_many(c: &mut Criterion) {
    let mut g = group(c, "spawn_many_outside");
    let rt = eddy_rt();
    g.bench_function("eddy", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(SPAWNS);
            for _ in 0..SPAWNS {
                let count = count.clone();
                drop(rt.spawn(async move { count.hit() }));
            }
            rx.recv().unwrap();
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(SPAWNS);
            for _ in 0..SPAWNS {
                let count = count.clone();
                drop(rt.spawn(async move { count.hit() }));
            }
            rx.recv().unwrap();
        })
    });
    g.finish();

    let mut g = group(c, "spawn_many_inside");
    let rt = eddy_rt();
    g.bench_function("eddy", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(SPAWNS);
            drop(rt.spawn(async move {
                for _ in 0..SPAWNS {
                    let count = count.clone();
                    drop(eddy::spawn(async move { count.hit() }));
                }
            }));
            rx.recv().unwrap();
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(SPAWNS);
            drop(rt.spawn(async move {
                for _ in 0..SPAWNS {
                    let count = count.clone();
                    drop(tokio::spawn(async move { count.hit() }));
                }
            }));
            rx.recv().unwrap();
        })
    });
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut g = group(c, "yield_many");
    let rt = eddy_rt();
    g.bench_function("eddy", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(YIELD_TASKS);
            for _ in 0..YIELD_TASKS {
                let count = count.clone();
                drop(rt.spawn(async move {
                    for _ in 0..YIELDS {
                        eddy::task::yield_now().await;
                    }
                    count.hit();
                }));
            }
            rx.recv().unwrap();
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(YIELD_TASKS);
            for _ in 0..YIELD_TASKS {
                let count = count.clone();
                drop(rt.spawn(async move {
                    for _ in 0..YIELDS {
                        tokio::task::yield_now().await;
                    }
                    count.hit();
                }));
            }
            rx.recv().unwrap();
        })
    });
    g.finish();
}

fn ping_pong(c: &mut Criterion) {
    let mut g = group(c, "ping_pong");
    let rt = eddy_rt();
    g.bench_function("eddy", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(PAIRS);
            for _ in 0..PAIRS {
                let count = count.clone();
                drop(rt.spawn(async move {
                    let (ping_tx, mut ping_rx) = eddy::sync::mpsc::unbounded_channel::<()>();
                    let (pong_tx, mut pong_rx) = eddy::sync::mpsc::unbounded_channel::<()>();
                    eddy::spawn(async move {
                        while ping_rx.recv().await.is_some() {
                            if pong_tx.send(()).is_err() {
                                break;
                            }
                        }
                    });
                    for _ in 0..BOUNCES {
                        ping_tx.send(()).unwrap();
                        pong_rx.recv().await.unwrap();
                    }
                    count.hit();
                }));
            }
            rx.recv().unwrap();
        })
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            let (count, rx) = Countdown::new(PAIRS);
            for _ in 0..PAIRS {
                let count = count.clone();
                drop(rt.spawn(async move {
                    let (ping_tx, mut ping_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
                    let (pong_tx, mut pong_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
                    tokio::spawn(async move {
                        while ping_rx.recv().await.is_some() {
                            if pong_tx.send(()).is_err() {
                                break;
                            }
                        }
                    });
                    for _ in 0..BOUNCES {
                        ping_tx.send(()).unwrap();
                        pong_rx.recv().await.unwrap();
                    }
                    count.hit();
                }));
            }
            rx.recv().unwrap();
        })
    });
    g.finish();
}

fn eddy_tree(depth: u32) -> Pin<Box<dyn Future<Output = usize> + Send>> {
    Box::pin(async move {
        if depth == 0 {
            return 1;
        }
        let left = eddy::spawn(eddy_tree(depth - 1));
        let right = eddy::spawn(eddy_tree(depth - 1));
        left.await.unwrap() + right.await.unwrap() + 1
    })
}

fn tokio_tree(depth: u32) -> Pin<Box<dyn Future<Output = usize> + Send>> {
    Box::pin(async move {
        if depth == 0 {
            return 1;
        }
        let left = tokio::spawn(tokio_tree(depth - 1));
        let right = tokio::spawn(tokio_tree(depth - 1));
        left.await.unwrap() + right.await.unwrap() + 1
    })
}

fn fan_out_fan_in(c: &mut Criterion) {
    let mut g = group(c, "fan_out_fan_in");
    let nodes = (1usize << (TREE_DEPTH + 1)) - 1;
    let rt = eddy_rt();
    g.bench_function("eddy", |b| {
        b.iter(|| assert_eq!(rt.block_on(rt.spawn(eddy_tree(TREE_DEPTH))).unwrap(), nodes))
    });
    let rt = tokio_rt();
    g.bench_function("tokio", |b| {
        b.iter(|| {
            assert_eq!(
                rt.block_on(rt.spawn(tokio_tree(TREE_DEPTH))).unwrap(),
                nodes
            )
        })
    });
    g.finish();
}

criterion_group!(benches, spawn_many, yield_many, ping_pong, fan_out_fan_in);
criterion_main!(benches);
