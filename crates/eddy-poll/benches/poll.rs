//! One `poll` call with N registered descriptors of which K are ready,
//! eddy-poll against mio 1.x on the same descriptors in the same run.
//!
//! The workload is described in `common/mod.rs`. Both libraries poll with
//! no timeout (K >= 1 events are always there). Only the `poll` call is
//! timed (`iter_custom`), so the figures include the two timer reads around
//! it, the same for both.
//!
//! Run: `cargo bench -p eddy-poll --bench poll -- --warm-up-time 1 --measurement-time 3`

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{SHAPES, Workload, eddy_setup, mio_setup, raise_open_files_limit};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn poll_n_ready_k(c: &mut Criterion) {
    raise_open_files_limit(10_000 + 512);
    let mut group = c.benchmark_group("poll");
    for (n, k) in SHAPES {
        let workload = match Workload::new(n, k) {
            Ok(workload) => workload,
            Err(e) => {
                eprintln!("skipping N={n}: cannot open {n} descriptors ({e}); raise ulimit -n");
                continue;
            }
        };
        let shape = format!("N={n}/K={k}");

        let (mut poll, mut events) = eddy_setup(&workload);
        group.bench_function(BenchmarkId::new("eddy", &shape), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    workload.rearm();
                    let start = Instant::now();
                    poll.poll(&mut events, None).expect("eddy poll");
                    timed += start.elapsed();
                    debug_assert_eq!(events.iter().count(), k);
                    black_box(events.iter().count());
                }
                timed
            })
        });
        assert_eq!(events.iter().count(), k, "eddy returned the wrong events");
        drop(poll);

        let (mut poll, mut events) = mio_setup(&workload);
        group.bench_function(BenchmarkId::new("mio", &shape), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    workload.rearm();
                    let start = Instant::now();
                    poll.poll(&mut events, None).expect("mio poll");
                    timed += start.elapsed();
                    black_box(events.iter().count());
                }
                timed
            })
        });
        assert_eq!(events.iter().count(), k, "mio returned the wrong events");
    }
    group.finish();
}

criterion_group!(benches, poll_n_ready_k);
criterion_main!(benches);
