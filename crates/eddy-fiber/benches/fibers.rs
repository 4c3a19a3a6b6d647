//! Fiber micro-benchmarks against the peers, in the same run:
//!
//! * `switch_round_trip`: the bare switch into a fiber and back
//!   (`eddy_raw_switch`, no scheduler; `..._without_fp_control` is the
//!   switch of runtimes built with `preserve_fp_control(false)`), against
//!   corosensei's `resume` + `suspend` (also two switches).
//! * `fiber_turn`: handing the CPU from one context to the next, what a
//!   scheduler pays per fiber turn. eddy-fiber switches directly, one
//!   switch per turn (the round trip above, per switch); a scheduler on
//!   corosensei goes through the parent, `resume` + `suspend` per turn
//!   (here the parent resumes two coroutines alternately).
//! * `yield_two_fibers`: one yield while two fibers alternate, against may
//!   coroutines on one worker.
//! * `spawn_join`: create a fiber running an empty closure and join it,
//!   against may and `std::thread::spawn`.
//!
//! Run: `taskset -c 0 cargo bench -p eddy-fiber --bench fibers`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

fn eddy_two_fibers_yielding(iters: u64, preserve_fp_control: bool) -> Duration {
    let rt = eddy_fiber::Runtime::builder()
        .preserve_fp_control(preserve_fp_control)
        .build()
        .unwrap();
    rt.block_on(move || {
        let start = Instant::now();
        let a = eddy_fiber::spawn(move || {
            for _ in 0..iters {
                eddy_fiber::yield_now();
            }
        });
        let b = eddy_fiber::spawn(move || {
            for _ in 0..iters {
                eddy_fiber::yield_now();
            }
        });
        a.join().unwrap();
        b.join().unwrap();
        start.elapsed()
    })
}

fn may_two_coroutines_yielding(iters: u64) -> Duration {
    let start = Instant::now();
    let spawn = || {
        // SAFETY: the coroutine body uses no thread-local storage.
        unsafe {
            may::coroutine::spawn(move || {
                for _ in 0..iters {
                    may::coroutine::yield_now();
                }
            })
        }
    };
    let (a, b) = (spawn(), spawn());
    a.join().unwrap();
    b.join().unwrap();
    start.elapsed()
}

fn switch_round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("switch_round_trip");
    g.bench_function("eddy_raw_switch", |b| {
        b.iter_custom(|iters| eddy_fiber::raw_switch::switch_round_trips(iters).unwrap())
    });
    g.bench_function("eddy_raw_switch_without_fp_control", |b| {
        b.iter_custom(|iters| {
            eddy_fiber::raw_switch::switch_round_trips_without_fp_control(iters).unwrap()
        })
    });
    g.bench_function("corosensei", |b| {
        let mut coroutine = corosensei::Coroutine::new(|yielder, ()| {
            loop {
                yielder.suspend(());
            }
        });
        b.iter(|| black_box(coroutine.resume(())))
    });
    g.finish();
}

fn fiber_turn(c: &mut Criterion) {
    let mut g = c.benchmark_group("fiber_turn");
    // A round trip is two turns: one into the fiber, one back.
    g.bench_function("eddy_raw_switch", |b| {
        b.iter_custom(|iters| {
            eddy_fiber::raw_switch::switch_round_trips(iters.div_ceil(2)).unwrap()
        })
    });
    g.bench_function("eddy_raw_switch_without_fp_control", |b| {
        b.iter_custom(|iters| {
            eddy_fiber::raw_switch::switch_round_trips_without_fp_control(iters.div_ceil(2))
                .unwrap()
        })
    });
    g.bench_function("corosensei_via_parent", |b| {
        let coroutine = || {
            corosensei::Coroutine::new(|yielder, ()| {
                loop {
                    yielder.suspend(());
                }
            })
        };
        let (mut first, mut second) = (coroutine(), coroutine());
        // Unrolled by two, so the loop picks no coroutine at run time.
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters.div_ceil(2) {
                black_box(first.resume(()));
                black_box(second.resume(()));
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn yield_two_fibers(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield_two_fibers");
    // Per yield: both fibers yield `iters` times, so divide by two.
    g.bench_function("eddy_fiber", |b| {
        b.iter_custom(|iters| eddy_two_fibers_yielding(iters.div_ceil(2), true))
    });
    g.bench_function("eddy_fiber_without_fp_control", |b| {
        b.iter_custom(|iters| eddy_two_fibers_yielding(iters.div_ceil(2), false))
    });
    g.bench_function("may", |b| {
        b.iter_custom(|iters| may_two_coroutines_yielding(iters.div_ceil(2)))
    });
    g.finish();
}

fn spawn_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_join");
    g.bench_function("eddy_fiber", |b| {
        let rt = eddy_fiber::Runtime::new().unwrap();
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let start = Instant::now();
                for _ in 0..iters {
                    eddy_fiber::spawn(|| black_box(1)).join().unwrap();
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("may", |b| {
        b.iter(|| {
            // SAFETY: the coroutine body uses no thread-local storage.
            let h = unsafe { may::coroutine::spawn(|| black_box(1)) };
            h.join().unwrap()
        })
    });
    g.bench_function("std_thread", |b| {
        b.iter(|| std::thread::spawn(|| black_box(1)).join().unwrap())
    });
    g.finish();
}

fn configure() -> Criterion {
    may::config().set_workers(1);
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = configure();
    targets = switch_round_trip, fiber_turn, yield_two_fibers, spawn_join
}
criterion_main!(benches);
