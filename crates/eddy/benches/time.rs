//! Timer micro-benchmarks, eddy against tokio's current-thread runtime in
//! the same run, 1 000 000 timers with deadlines spread over 0–1 s:
//!
//! * `timers_register_1m`: create and register (first poll) every timer,
//!   then drop them (cancel).
//! * `timers_fire_1m`: register them, then await them all in deadline
//!   order; the figure is dominated by the 1 s span, the interesting part is
//!   how far past 1 s it ends.
//!
//! Run: `cargo bench -p eddy --bench time`.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const TIMERS: usize = 1_000_000;
/// 1 s spread over 1M timers: one deadline per microsecond.
const SPREAD_NS: u64 = 1_000;

/// Polls each future once (registers the timer).
async fn register_all<F: Future + ?Sized>(timers: &mut [Pin<Box<F>>]) {
    poll_fn(|cx| {
        for t in timers.iter_mut() {
            let _ = t.as_mut().poll(cx);
        }
        Poll::Ready(())
    })
    .await
}

fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers_register_1m");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(TIMERS as u64));
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("eddy", |b| {
        b.iter(|| {
            rt.block_on(async {
                let now = eddy::time::Instant::now();
                let mut timers: Vec<_> = (0..TIMERS as u64)
                    .map(|i| {
                        Box::pin(eddy::time::sleep_until(
                            now + Duration::from_nanos(i * SPREAD_NS),
                        ))
                    })
                    .collect();
                register_all(&mut timers).await;
                timers
            })
        })
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let now = tokio::time::Instant::now();
                let mut timers: Vec<_> = (0..TIMERS as u64)
                    .map(|i| {
                        Box::pin(tokio::time::sleep_until(
                            now + Duration::from_nanos(i * SPREAD_NS),
                        ))
                    })
                    .collect();
                register_all(&mut timers).await;
                timers
            })
        })
    });
    group.finish();
}

fn fire(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers_fire_1m");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(TIMERS as u64));
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("eddy", |b| {
        b.iter(|| {
            rt.block_on(async {
                let now = eddy::time::Instant::now();
                let mut timers: Vec<_> = (0..TIMERS as u64)
                    .map(|i| {
                        Box::pin(eddy::time::sleep_until(
                            now + Duration::from_nanos(i * SPREAD_NS),
                        ))
                    })
                    .collect();
                register_all(&mut timers).await;
                for t in timers {
                    t.await;
                }
            })
        })
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let now = tokio::time::Instant::now();
                let mut timers: Vec<_> = (0..TIMERS as u64)
                    .map(|i| {
                        Box::pin(tokio::time::sleep_until(
                            now + Duration::from_nanos(i * SPREAD_NS),
                        ))
                    })
                    .collect();
                register_all(&mut timers).await;
                for t in timers {
                    t.await;
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, register, fire);
criterion_main!(benches);
