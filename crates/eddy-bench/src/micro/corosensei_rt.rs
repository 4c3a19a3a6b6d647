//! corosensei micro workloads: the bare stackful switch, no scheduler.

use std::io;
use std::time::Instant;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};

use super::{bytes_per, ns_per, unknown};
use crate::sys::self_rss;

/// Stack size for spawned and idle coroutines (may's default is similar).
const STACK: usize = 64 * 1024;

/// Runs `bench` with `n` operations.
pub fn run(bench: &str, n: u64) -> io::Result<Vec<(&'static str, f64)>> {
    match bench {
        "switch" => {
            let mut co = Coroutine::new(|yielder, ()| {
                loop {
                    yielder.suspend(());
                }
            });
            let start = Instant::now();
            for _ in 0..n {
                if let CoroutineResult::Return(()) = co.resume(()) {
                    break;
                }
            }
            let elapsed = start.elapsed();
            // The coroutine never returns; dropping it unwinds its stack.
            drop(co);
            Ok(vec![("ns_per_op", ns_per(elapsed, n))])
        }
        "fiber-spawn" => {
            let start = Instant::now();
            for _ in 0..n {
                let stack = DefaultStack::new(STACK)?;
                let mut co = Coroutine::with_stack(stack, |_: &corosensei::Yielder<(), ()>, ()| {});
                let _ = co.resume(());
            }
            Ok(vec![("ns_per_op", ns_per(start.elapsed(), n))])
        }
        "idle" => {
            let rss0 = self_rss();
            let mut idle = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let stack = DefaultStack::new(STACK)?;
                let mut co = Coroutine::with_stack(stack, |yielder, ()| {
                    yielder.suspend(());
                });
                let _ = co.resume(());
                idle.push(co);
            }
            let rss1 = self_rss();
            Ok(vec![("bytes_per_task", bytes_per(rss0, rss1, n))])
        }
        _ => Err(unknown("workload for corosensei", bench)),
    }
}
