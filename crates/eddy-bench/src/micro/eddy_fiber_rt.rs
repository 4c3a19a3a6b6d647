//! eddy-fiber micro workloads: yield between two fibers, spawn + join, and
//! memory per idle fiber (each parked on a channel).

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::Instant;

use super::{bytes_per, ns_per, unknown};
use crate::sys::self_rss;

/// Runs `bench` with `n` operations.
pub fn run(bench: &str, n: u64) -> io::Result<Vec<(&'static str, f64)>> {
    let rt = eddy_fiber::Runtime::new()?;
    let bench = bench.to_string();
    rt.block_on(move || match bench.as_str() {
        "switch" | "yield" => {
            let half = n / 2;
            let start = Instant::now();
            let a = eddy_fiber::spawn(move || {
                for _ in 0..half {
                    eddy_fiber::yield_now();
                }
            });
            let b = eddy_fiber::spawn(move || {
                for _ in 0..half {
                    eddy_fiber::yield_now();
                }
            });
            a.join()
                .map_err(|e| io::Error::other(format!("join: {e}")))?;
            b.join()
                .map_err(|e| io::Error::other(format!("join: {e}")))?;
            Ok(vec![("ns_per_op", ns_per(start.elapsed(), half * 2))])
        }
        "fiber-spawn" => {
            let start = Instant::now();
            for _ in 0..n {
                eddy_fiber::spawn(|| {})
                    .join()
                    .map_err(|e| io::Error::other(format!("join: {e}")))?;
            }
            Ok(vec![("ns_per_op", ns_per(start.elapsed(), n))])
        }
        "idle" => {
            let (tx, rx) = eddy_fiber::sync::channel::<()>();
            let rx = Rc::new(rx);
            let started = Rc::new(Cell::new(0u64));
            let rss0 = self_rss();
            let mut handles = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let (rx, started) = (rx.clone(), started.clone());
                handles.push(eddy_fiber::spawn(move || {
                    started.set(started.get() + 1);
                    let _ = rx.recv();
                }));
            }
            while started.get() < n {
                eddy_fiber::yield_now();
            }
            let rss1 = self_rss();
            drop(tx);
            for h in handles {
                let _ = h.join();
            }
            Ok(vec![("bytes_per_task", bytes_per(rss0, rss1, n))])
        }
        other => Err(unknown("workload for eddy-fiber", other)),
    })
}
