//! `spawn_blocking` round trip (submit a no-op closure, await its result)
//! on Eddy's and tokio's current-thread runtimes, in the same run; and the
//! bare `eddy-threadpool` submit + join from a plain thread.
//!
//! Run: `cargo bench -p eddy --bench blocking` (add `-- --quick` on a busy
//! machine).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_blocking_round_trip");
    group.measurement_time(Duration::from_secs(3));

    let eddy_rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("eddy", |b| {
        b.iter(|| {
            eddy_rt.block_on(async {
                black_box(eddy::task::spawn_blocking(|| black_box(1)).await.unwrap())
            })
        })
    });

    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            tokio_rt.block_on(async {
                black_box(tokio::task::spawn_blocking(|| black_box(1)).await.unwrap())
            })
        })
    });

    let pool = eddy_threadpool::Builder::elastic(4).build();
    group.bench_function("eddy_threadpool_submit_join", |b| {
        b.iter(|| black_box(pool.submit(|| black_box(1)).unwrap().join().unwrap()))
    });
    group.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
