//! The micro workloads, run in a child process each (`eddy-bench micro
//! --system S --bench B --n N`) so RSS growth is the workload's own.
//!
//! Every workload prints one `result key=value ...` line. Figures:
//! `ns_per_op` (spawn, yield, mpsc, switch, fiber-spawn),
//! `register_ns`/`bytes_per_timer`/`late_ms` (timers), `bytes_per_task`
//! (idle). One file per system; [`FireCounter`] is the timer workload's
//! shared completion counter.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

pub mod corosensei_rt;
#[cfg(feature = "eddy-fiber")]
pub mod eddy_fiber_rt;
#[cfg(feature = "eddy-node")]
pub mod eddy_node_rt;
#[cfg(feature = "eddy")]
pub mod eddy_rt;
pub mod may_rt;
pub mod smol_rt;
pub mod tokio_rt;

/// Runs workload `bench` with `n` operations on `system` and returns its
/// figures.
pub fn run(system: &str, bench: &str, n: u64) -> io::Result<Vec<(&'static str, f64)>> {
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--n must be at least 1",
        ));
    }
    match system {
        "tokio-ct" => tokio_rt::run(bench, n),
        "smol" => smol_rt::run(bench, n),
        "may" => may_rt::run(bench, n),
        "corosensei" => corosensei_rt::run(bench, n),
        #[cfg(feature = "eddy")]
        "eddy" => eddy_rt::run(bench, n),
        #[cfg(feature = "eddy-fiber")]
        "eddy-fiber" => eddy_fiber_rt::run(bench, n),
        #[cfg(feature = "eddy-node")]
        "eddy-node" => eddy_node_rt::run(bench, n),
        _ => Err(unknown("system", system)),
    }
}

/// The error for a workload or system this binary does not have.
pub fn unknown(what: &str, name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("no micro {what} named {name:?}"),
    )
}

/// Nanoseconds per operation.
pub fn ns_per(elapsed: Duration, n: u64) -> f64 {
    elapsed.as_nanos() as f64 / n as f64
}

/// RSS growth per item between two readings, in bytes.
pub fn bytes_per(before: Option<u64>, after: Option<u64>, n: u64) -> f64 {
    match (before, after) {
        (Some(b), Some(a)) => a.saturating_sub(b) as f64 / n as f64,
        _ => f64::NAN,
    }
}

/// Deadline of timer `i` of `n`: spread evenly over one second.
pub fn timer_offset(i: u64, n: u64) -> Duration {
    Duration::from_nanos(i * 1_000_000_000 / n)
}

/// A waker that counts timer firings and wakes the waiting task when the
/// last of `target` fires.
#[derive(Debug)]
pub struct FireCounter {
    fired: AtomicU64,
    target: u64,
    waiter: Mutex<Option<Waker>>,
}

impl FireCounter {
    /// A counter waiting for `target` firings.
    pub fn new(target: u64) -> Arc<FireCounter> {
        Arc::new(FireCounter {
            fired: AtomicU64::new(0),
            target,
            waiter: Mutex::new(None),
        })
    }

    /// Records a firing that happened without a wake-up (already due).
    pub fn fire(&self) {
        if self.fired.fetch_add(1, Ordering::AcqRel) + 1 == self.target
            && let Some(w) = self.waiter.lock().expect("not poisoned").take()
        {
            w.wake();
        }
    }

    /// Completes when every timer has fired.
    pub async fn all_fired(&self) {
        std::future::poll_fn(|cx| {
            if self.fired.load(Ordering::Acquire) >= self.target {
                return Poll::Ready(());
            }
            *self.waiter.lock().expect("not poisoned") = Some(cx.waker().clone());
            if self.fired.load(Ordering::Acquire) >= self.target {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

impl Wake for FireCounter {
    fn wake(self: Arc<Self>) {
        self.fire();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fire();
    }
}

/// The timers workload's figures, given when registering started and
/// ended, RSS before and after, and when the last timer fired (its
/// deadline is [`timer_offset`]`(n - 1, n)` after `start`).
pub fn timer_figures(
    n: u64,
    start: Instant,
    registered: Instant,
    rss: (Option<u64>, Option<u64>),
    all_fired: Instant,
) -> Vec<(&'static str, f64)> {
    timer_figures_with_last(n, start, registered, rss, all_fired, timer_offset(n - 1, n))
}

/// [`timer_figures`] for a last deadline of `last` after `start`.
pub fn timer_figures_with_last(
    n: u64,
    start: Instant,
    registered: Instant,
    rss: (Option<u64>, Option<u64>),
    all_fired: Instant,
    last: Duration,
) -> Vec<(&'static str, f64)> {
    let last_deadline = start + last;
    vec![
        ("register_ns", ns_per(registered - start, n)),
        ("bytes_per_timer", bytes_per(rss.0, rss.1, n)),
        (
            "late_ms",
            all_fired
                .saturating_duration_since(last_deadline)
                .as_secs_f64()
                * 1000.0,
        ),
    ]
}

/// Eddy's task runtimes compiled into this binary, for the task micro
/// benchmarks.
pub fn eddy_task_runners() -> Vec<crate::scenarios::micro::Runner> {
    #[cfg(feature = "eddy")]
    return vec![crate::scenarios::micro::Runner::Ours(
        "eddy current-thread",
        "eddy",
        true,
    )];
    #[cfg(not(feature = "eddy"))]
    Vec::new()
}

/// Eddy's fiber runtime, when compiled into this binary.
pub fn eddy_fiber_runners() -> Vec<crate::scenarios::micro::Runner> {
    #[cfg(feature = "eddy-fiber")]
    return vec![crate::scenarios::micro::Runner::Ours(
        "eddy-fiber",
        "eddy-fiber",
        true,
    )];
    #[cfg(not(feature = "eddy-fiber"))]
    Vec::new()
}

/// eddy-node, when compiled into this binary.
pub fn eddy_node_runners() -> Vec<crate::scenarios::micro::Runner> {
    #[cfg(feature = "eddy-node")]
    return vec![crate::scenarios::micro::Runner::Ours(
        "eddy-node",
        "eddy-node",
        true,
    )];
    #[cfg(not(feature = "eddy-node"))]
    Vec::new()
}
