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
    for (shape_index, (n, k)) in SHAPES.into_iter().enumerate() {
        let workload = match Workload::new(n, k) {
            Ok(workload) => workload,
            Err(e) => {
                eprintln!("skipping N={n}: cannot open {n} descriptors ({e}); raise ulimit -n");
                continue;
            }
        };
        let shape = format!("N={n}/K={k}");
        let (mut eddy, mut eddy_events) = eddy_setup(&workload);
        let (mut mio, mut mio_events) = mio_setup(&workload);

        if shape_index == 0 {
            // The first benchmark of a process runs measurably slower than
            // the same one later (seen here as a 1.3-1.7x "eddy penalty"
            // that swapped sides with the order): warm up both first.
            for _ in 0..50_000 {
                workload.rearm();
                eddy.poll(&mut eddy_events, None).expect("eddy poll");
                workload.rearm();
                mio.poll(&mut mio_events, None).expect("mio poll");
            }
        }
        let mut bench_eddy = |group: &mut criterion::BenchmarkGroup<'_, _>| {
            group.bench_function(BenchmarkId::new("eddy", &shape), |b| {
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        workload.rearm();
                        let start = Instant::now();
                        eddy.poll(&mut eddy_events, None).expect("eddy poll");
                        timed += start.elapsed();
                        black_box(eddy_events.iter().count());
                    }
                    assert_eq!(eddy_events.iter().count(), k, "eddy: wrong events");
                    timed
                })
            });
        };
        let mut bench_mio = |group: &mut criterion::BenchmarkGroup<'_, _>| {
            group.bench_function(BenchmarkId::new("mio", &shape), |b| {
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        workload.rearm();
                        let start = Instant::now();
                        mio.poll(&mut mio_events, None).expect("mio poll");
                        timed += start.elapsed();
                        black_box(mio_events.iter().count());
                    }
                    assert_eq!(mio_events.iter().count(), k, "mio: wrong events");
                    timed
                })
            });
        };
        // Alternate who goes first, so neither always gets the colder start.
        if shape_index % 2 == 0 {
            bench_eddy(&mut group);
            bench_mio(&mut group);
        } else {
            bench_mio(&mut group);
            bench_eddy(&mut group);
        }
    }
    group.finish();
}

criterion_group!(benches, poll_n_ready_k);
criterion_main!(benches);
