//! Runtime micro-benchmarks, eddy against tokio's current-thread runtime in
//! the same run:
//!
//! * `spawn_join_1m`: spawn 1 000 000 empty tasks, then await every handle.
//! * `yield_ping_pong`: two tasks alternating through `yield_now`, 100 000
//!   yields each.
//!
//! Run: `cargo bench -p eddy --bench runtime` (pin with `taskset -c 0` for
//! steadier figures).

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const TASKS: usize = 1_000_000;
const YIELDS: usize = 100_000;

fn eddy_rt() -> eddy::runtime::Runtime {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn spawn_join(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join_1m");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(TASKS as u64));
    let rt = eddy_rt();
    group.bench_function("eddy", |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS).map(|_| eddy::spawn(async {})).collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });
    let rt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS).map(|_| tokio::spawn(async {})).collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });
    group.finish();
}

fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_ping_pong");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(2 * YIELDS as u64));
    let rt = eddy_rt();
    group.bench_function("eddy", |b| {
        b.iter(|| {
            rt.block_on(async {
                let a = eddy::spawn(async {
                    for _ in 0..YIELDS {
                        eddy::task::yield_now().await;
                    }
                });
                let b = eddy::spawn(async {
                    for _ in 0..YIELDS {
                        eddy::task::yield_now().await;
                    }
                });
                a.await.unwrap();
                b.await.unwrap();
            })
        })
    });
    let rt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let a = tokio::spawn(async {
                    for _ in 0..YIELDS {
                        tokio::task::yield_now().await;
                    }
                });
                let b = tokio::spawn(async {
                    for _ in 0..YIELDS {
                        tokio::task::yield_now().await;
                    }
                });
                a.await.unwrap();
                b.await.unwrap();
            })
        })
    });
    group.finish();
}

criterion_group!(benches, spawn_join, ping_pong);
criterion_main!(benches);
