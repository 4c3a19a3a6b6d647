//! eddy current-thread micro workloads (the same steps as
//! [`super::tokio_rt`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Waker};
use std::time::Instant;

use eddy::time::Sleep;

use super::{FireCounter, bytes_per, ns_per, timer_figures, timer_offset, unknown};
use crate::sys::self_rss;

/// Runs `bench` with `n` operations.
pub fn run(bench: &str, n: u64) -> io::Result<Vec<(&'static str, f64)>> {
    let rt = crate::servers::eddy_rt::runtime(false)?;
    rt.block_on(async move {
        match bench {
            "spawn" => {
                let start = Instant::now();
                for _ in 0..n {
                    eddy::spawn(async {})
                        .await
                        .map_err(|e| io::Error::other(format!("join: {e}")))?;
                }
                Ok(vec![("ns_per_op", ns_per(start.elapsed(), n))])
            }
            "yield" => {
                let start = Instant::now();
                let half = n / 2;
                let a = eddy::spawn(async move {
                    for _ in 0..half {
                        eddy::task::yield_now().await;
                    }
                });
                let b = eddy::spawn(async move {
                    for _ in 0..half {
                        eddy::task::yield_now().await;
                    }
                });
                a.await
                    .map_err(|e| io::Error::other(format!("join: {e}")))?;
                b.await
                    .map_err(|e| io::Error::other(format!("join: {e}")))?;
                Ok(vec![("ns_per_op", ns_per(start.elapsed(), half * 2))])
            }
            "mpsc" => {
                let (tx, mut rx) = eddy::sync::mpsc::channel::<u64>(1024);
                let start = Instant::now();
                eddy::spawn(async move {
                    for i in 0..n {
                        if tx.send(i).await.is_err() {
                            return;
                        }
                    }
                });
                for _ in 0..n {
                    rx.recv()
                        .await
                        .ok_or_else(|| io::Error::other("eddy mpsc: sender gone early"))?;
                }
                Ok(vec![("ns_per_op", ns_per(start.elapsed(), n))])
            }
            "mutex-yield" => {
                // 4 tasks share a Mutex and hold it across a yield: every
                // lock is a hand-off to the next waiter.
                let mutex = std::sync::Arc::new(eddy::sync::Mutex::new(0u64));
                let per_task = n / 4;
                let start = Instant::now();
                let tasks: Vec<_> = (0..4)
                    .map(|_| {
                        let mutex = mutex.clone();
                        eddy::spawn(async move {
                            for _ in 0..per_task {
                                let mut guard = mutex.lock().await;
                                *guard += 1;
                                eddy::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await
                        .map_err(|e| io::Error::other(format!("join: {e}")))?;
                }
                Ok(vec![("ns_per_op", ns_per(start.elapsed(), per_task * 4))])
            }
            "timers" => {
                let counter = FireCounter::new(n);
                let waker = Waker::from(counter.clone());
                let mut cx = Context::from_waker(&waker);
                let mut sleeps: Vec<Pin<Box<Sleep>>> = Vec::with_capacity(n as usize);
                let rss0 = self_rss();
                let start = Instant::now();
                for i in 0..n {
                    let deadline = eddy::time::Instant::from_std(start + timer_offset(i, n));
                    let mut sleep = Box::pin(eddy::time::sleep_until(deadline));
                    if sleep.as_mut().poll(&mut cx).is_ready() {
                        counter.fire();
                    }
                    sleeps.push(sleep);
                }
                let registered = Instant::now();
                let rss1 = self_rss();
                counter.all_fired().await;
                let fired = Instant::now();
                drop(sleeps);
                Ok(timer_figures(n, start, registered, (rss0, rss1), fired))
            }
            "idle" => {
                let rss0 = self_rss();
                let mut handles = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    handles.push(eddy::spawn(std::future::pending::<()>()));
                }
                for _ in 0..4 {
                    eddy::task::yield_now().await;
                }
                let rss1 = self_rss();
                Ok(vec![("bytes_per_task", bytes_per(rss0, rss1, n))])
            }
            _ => Err(unknown("workload for eddy", bench)),
        }
    })
}
