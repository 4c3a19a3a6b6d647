//! `eddy::sync` against `tokio::sync`, in the same run, on the same executor.
//!
//! Both sides run on a tokio runtime (current-thread for one producer,
//! two-worker multi-thread for four) so a row differs only by the primitive;
//! `mpsc_on_eddy_runtime` then runs Eddy's channels on Eddy's runtime.
//! Single operations (oneshot, uncontended lock, semaphore) are polled once
//! with a no-op waker: no executor at all.
//!
//! Run: `cargo bench -p eddy --bench sync` (add `-- --quick` on a busy machine).

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const MESSAGES: u64 = 1_000_000;
const CAPACITY: usize = 1024;

/// Polls a future that must complete at once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("benchmark future was expected to be ready"),
    }
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio current-thread runtime")
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio multi-thread runtime")
}

/// Sends `MESSAGES` split over `producers` tasks, receives them all.
macro_rules! mpsc_round {
    ($spawn:path, $rt:expr, $producers:expr, $make:expr, $send:ident, $await_send:tt) => {{
        $rt.block_on(async {
            let (tx, mut rx) = $make;
            for _ in 0..$producers {
                let tx = tx.clone();
                $spawn(async move {
                    for i in 0..MESSAGES / $producers {
                        mpsc_round!(@send tx, i, $await_send);
                    }
                });
            }
            drop(tx);
            let mut count = 0u64;
            while let Some(v) = rx.recv().await {
                black_box(v);
                count += 1;
            }
            assert_eq!(count, MESSAGES / $producers * $producers);
        })
    }};
    (@send $tx:ident, $i:ident, await) => { $tx.send($i).await.unwrap() };
    (@send $tx:ident, $i:ident, now) => { $tx.send($i).unwrap() };
}

fn mpsc(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(MESSAGES));
    for producers in [1u64, 4] {
        let rt = if producers == 1 {
            current_thread()
        } else {
            multi_thread()
        };
        group.bench_function(BenchmarkId::new("bounded/eddy", producers), |b| {
            b.iter(|| {
                mpsc_round!(
                    tokio::spawn,
                    rt,
                    producers,
                    eddy::sync::mpsc::channel::<u64>(CAPACITY),
                    send,
                    await
                )
            })
        });
        group.bench_function(BenchmarkId::new("bounded/tokio", producers), |b| {
            b.iter(|| {
                mpsc_round!(
                    tokio::spawn,
                    rt,
                    producers,
                    tokio::sync::mpsc::channel::<u64>(CAPACITY),
                    send,
                    await
                )
            })
        });
        group.bench_function(BenchmarkId::new("unbounded/eddy", producers), |b| {
            b.iter(|| {
                mpsc_round!(
                    tokio::spawn,
                    rt,
                    producers,
                    eddy::sync::mpsc::unbounded_channel::<u64>(),
                    send,
                    now
                )
            })
        });
        group.bench_function(BenchmarkId::new("unbounded/tokio", producers), |b| {
            b.iter(|| {
                mpsc_round!(
                    tokio::spawn,
                    rt,
                    producers,
                    tokio::sync::mpsc::unbounded_channel::<u64>(),
                    send,
                    now
                )
            })
        });
    }
    group.finish();
}

/// Eddy's channels on Eddy's own runtime (current-thread for one producer,
/// two workers for four), to set beside the tokio-on-tokio rows above.
fn mpsc_on_eddy_runtime(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc_on_eddy_runtime");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(MESSAGES));
    for producers in [1u64, 4] {
        let rt = if producers == 1 {
            eddy::runtime::Builder::new_current_thread().build()
        } else {
            eddy::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
        }
        .expect("eddy runtime");
        group.bench_function(BenchmarkId::new("bounded", producers), |b| {
            b.iter(|| {
                mpsc_round!(
                    eddy::spawn,
                    rt,
                    producers,
                    eddy::sync::mpsc::channel::<u64>(CAPACITY),
                    send,
                    await
                )
            })
        });
        group.bench_function(BenchmarkId::new("unbounded", producers), |b| {
            b.iter(|| {
                mpsc_round!(
                    eddy::spawn,
                    rt,
                    producers,
                    eddy::sync::mpsc::unbounded_channel::<u64>(),
                    send,
                    now
                )
            })
        });
    }
    group.finish();
}

fn oneshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("oneshot_create_send_recv");
    group.bench_function("eddy", |b| {
        b.iter(|| {
            let (tx, rx) = eddy::sync::oneshot::channel::<u64>();
            tx.send(black_box(1)).unwrap();
            black_box(ready(rx).unwrap())
        })
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            let (tx, rx) = tokio::sync::oneshot::channel::<u64>();
            tx.send(black_box(1)).unwrap();
            black_box(ready(rx).unwrap())
        })
    });
    group.finish();
}

const CONTENDED_TASKS: u64 = 4;
const CONTENDED_LOCKS: u64 = 10_000;

fn mutex(c: &mut Criterion) {
    let mut group = c.benchmark_group("mutex");
    let eddy_mutex = eddy::sync::Mutex::new(0u64);
    let tokio_mutex = tokio::sync::Mutex::new(0u64);
    group.bench_function("uncontended/eddy", |b| {
        b.iter(|| *ready(eddy_mutex.lock()) += 1)
    });
    group.bench_function("uncontended/tokio", |b| {
        b.iter(|| *ready(tokio_mutex.lock()) += 1)
    });

    group.throughput(Throughput::Elements(CONTENDED_TASKS * CONTENDED_LOCKS));
    // Four tasks each lock, increment, and (if asked) hold the lock across a
    // yield, so that the others queue behind it.
    // The `_own_runtime` rows run eddy's mutex with eddy's spawn and yield
    // on eddy's runtime: what a user of either stack pays. In the others
    // both mutexes run on tokio's executor, which is ~80% of the
    // held-across-yield rows' instructions.
    macro_rules! contended {
        (eddy_on_eddy, $rt:expr) => {
            contended!(
                $rt,
                eddy::sync::Mutex<u64>,
                true,
                eddy::spawn,
                eddy::task::yield_now
            )
        };
        ($rt:expr, $mutex:ty, $hold_across_yield:expr) => {
            contended!(
                $rt,
                $mutex,
                $hold_across_yield,
                tokio::spawn,
                tokio::task::yield_now
            )
        };
        ($rt:expr, $mutex:ty, $hold_across_yield:expr, $spawn:path, $yield_now:path) => {
            $rt.block_on(async {
                let mutex = Arc::new(<$mutex>::new(0u64));
                let tasks: Vec<_> = (0..CONTENDED_TASKS)
                    .map(|_| {
                        let mutex = mutex.clone();
                        $spawn(async move {
                            for _ in 0..CONTENDED_LOCKS {
                                let mut guard = mutex.lock().await;
                                *guard += 1;
                                if $hold_across_yield {
                                    $yield_now().await;
                                }
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
                assert_eq!(*mutex.lock().await, CONTENDED_TASKS * CONTENDED_LOCKS);
            })
        };
    }
    group.sample_size(10);
    let (one, two) = (current_thread(), multi_thread());
    let eddy_one = eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("an eddy runtime");
    let eddy_two = eddy::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("an eddy runtime");
    group.bench_function("contended_4_tasks_1_thread_own_runtime/eddy", |b| {
        b.iter(|| contended!(eddy_on_eddy, eddy_one))
    });
    group.bench_function("contended_4_tasks_2_threads_own_runtime/eddy", |b| {
        b.iter(|| contended!(eddy_on_eddy, eddy_two))
    });
    group.bench_function("contended_4_tasks_1_thread/eddy", |b| {
        b.iter(|| contended!(one, eddy::sync::Mutex<u64>, true))
    });
    group.bench_function("contended_4_tasks_1_thread/tokio", |b| {
        b.iter(|| contended!(one, tokio::sync::Mutex<u64>, true))
    });
    group.bench_function("contended_4_tasks_2_threads/eddy", |b| {
        b.iter(|| contended!(two, eddy::sync::Mutex<u64>, true))
    });
    group.bench_function("contended_4_tasks_2_threads/tokio", |b| {
        b.iter(|| contended!(two, tokio::sync::Mutex<u64>, true))
    });
    group.bench_function("contended_4_tasks_2_threads_short_hold/eddy", |b| {
        b.iter(|| contended!(two, eddy::sync::Mutex<u64>, false))
    });
    group.bench_function("contended_4_tasks_2_threads_short_hold/tokio", |b| {
        b.iter(|| contended!(two, tokio::sync::Mutex<u64>, false))
    });
    group.finish();
}

fn semaphore(c: &mut Criterion) {
    let mut group = c.benchmark_group("semaphore_acquire_release");
    let eddy_semaphore = eddy::sync::Semaphore::new(8);
    let tokio_semaphore = tokio::sync::Semaphore::new(8);
    group.bench_function("eddy", |b| {
        b.iter(|| drop(ready(eddy_semaphore.acquire()).unwrap()))
    });
    group.bench_function("tokio", |b| {
        b.iter(|| drop(ready(tokio_semaphore.acquire()).unwrap()))
    });
    group.finish();
}

criterion_group!(
    benches,
    mpsc,
    mpsc_on_eddy_runtime,
    oneshot,
    mutex,
    semaphore
);
criterion_main!(benches);
