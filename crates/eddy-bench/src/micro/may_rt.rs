//! may micro workloads (one worker, as in the server rows).
//!
//! may's `go!` wraps `coroutine::spawn`, which is unsafe because a
//! coroutine must not keep thread-local references across a switch; none
//! of these closures touch thread-locals.

use std::io;
use std::time::{Duration, Instant};

use super::{bytes_per, ns_per, unknown};
use crate::sys::self_rss;

/// Runs `bench` with `n` operations.
pub fn run(bench: &str, n: u64) -> io::Result<Vec<(&'static str, f64)>> {
    may::config().set_workers(1).set_worker_pin(false);
    match bench {
        "yield" | "switch" => {
            let half = n / 2;
            let start = Instant::now();
            let a = may::go!(move || {
                for _ in 0..half {
                    may::coroutine::yield_now();
                }
            });
            let b = may::go!(move || {
                for _ in 0..half {
                    may::coroutine::yield_now();
                }
            });
            join(a)?;
            join(b)?;
            Ok(vec![("ns_per_op", ns_per(start.elapsed(), half * 2))])
        }
        "fiber-spawn" => {
            let start = Instant::now();
            for _ in 0..n {
                join(may::go!(|| {}))?;
            }
            Ok(vec![("ns_per_op", ns_per(start.elapsed(), n))])
        }
        "idle" => {
            let rss0 = self_rss();
            let started = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let mut handles = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let started = started.clone();
                handles.push(may::go!(move || {
                    started.fetch_add(1, std::sync::atomic::Ordering::Release);
                    may::coroutine::park();
                }));
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            while started.load(std::sync::atomic::Ordering::Acquire) < n {
                if Instant::now() > deadline {
                    return Err(io::Error::other(
                        "may: idle coroutines did not start in 30 s",
                    ));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let rss1 = self_rss();
            // Parked coroutines are never joined: the process exits.
            std::mem::forget(handles);
            Ok(vec![("bytes_per_task", bytes_per(rss0, rss1, n))])
        }
        _ => Err(unknown("workload for may", bench)),
    }
}

fn join<T>(handle: may::coroutine::JoinHandle<T>) -> io::Result<T> {
    handle
        .join()
        .map_err(|_| io::Error::other("may coroutine panicked"))
}
