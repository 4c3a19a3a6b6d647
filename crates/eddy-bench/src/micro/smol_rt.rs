//! smol micro workloads: a `LocalExecutor` driven by futures-lite's `block_on`,
//! or by async-io's for timers (see [`run`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Waker};
use std::time::Instant;

use async_executor::LocalExecutor;
use async_io::Timer;

use super::{FireCounter, bytes_per, ns_per, timer_figures, timer_offset, unknown};
use crate::sys::self_rss;

/// Runs `bench` with `n` operations.
pub fn run(bench: &str, n: u64) -> io::Result<Vec<(&'static str, f64)>> {
    let ex = LocalExecutor::new();
    let fut = ex.run(async {
        match bench {
            "spawn" => {
                let start = Instant::now();
                for _ in 0..n {
                    ex.spawn(async {}).await;
                }
                Ok(vec![("ns_per_op", ns_per(start.elapsed(), n))])
            }
            "yield" => {
                let start = Instant::now();
                let half = n / 2;
                let a = ex.spawn(async move {
                    for _ in 0..half {
                        futures_lite::future::yield_now().await;
                    }
                });
                let b = ex.spawn(async move {
                    for _ in 0..half {
                        futures_lite::future::yield_now().await;
                    }
                });
                a.await;
                b.await;
                Ok(vec![("ns_per_op", ns_per(start.elapsed(), half * 2))])
            }
            "mpsc" => {
                let (tx, rx) = smol::channel::bounded::<u64>(1024);
                let start = Instant::now();
                ex.spawn(async move {
                    for i in 0..n {
                        if tx.send(i).await.is_err() {
                            return;
                        }
                    }
                })
                .detach();
                for _ in 0..n {
                    rx.recv().await.expect("the sender sends n messages");
                }
                Ok(vec![("ns_per_op", ns_per(start.elapsed(), n))])
            }
            "timers" => {
                let counter = FireCounter::new(n);
                let waker = Waker::from(counter.clone());
                let mut cx = Context::from_waker(&waker);
                let mut timers: Vec<Pin<Box<Timer>>> = Vec::with_capacity(n as usize);
                let rss0 = self_rss();
                let start = Instant::now();
                for i in 0..n {
                    let mut timer = Box::pin(Timer::at(start + timer_offset(i, n)));
                    if timer.as_mut().poll(&mut cx).is_ready() {
                        counter.fire();
                    }
                    timers.push(timer);
                }
                let registered = Instant::now();
                let rss1 = self_rss();
                counter.all_fired().await;
                let fired = Instant::now();
                drop(timers);
                Ok(timer_figures(n, start, registered, (rss0, rss1), fired))
            }
            "idle" => {
                let rss0 = self_rss();
                let mut tasks = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    tasks.push(ex.spawn(std::future::pending::<()>()));
                }
                for _ in 0..4 {
                    futures_lite::future::yield_now().await;
                }
                let rss1 = self_rss();
                Ok(vec![("bytes_per_task", bytes_per(rss0, rss1, n))])
            }
            _ => Err(unknown("workload for smol", bench)),
        }
    });
    // smol at its fastest for each workload. `smol::block_on` (async-io's)
    // checks the reactor whenever the main future is woken: 1.85 µs per
    // spawn + join here, against 150 ns under futures-lite's parker, which
    // is also faster for yield (48 vs 58 ns), channels and memory. Timers
    // are the reverse (255 vs 512 ns to register): with async-io's
    // block_on the reactor runs on this thread instead of async-io's
    // helper thread.
    if bench == "timers" {
        async_io::block_on(fut)
    } else {
        futures_lite::future::block_on(fut)
    }
}
