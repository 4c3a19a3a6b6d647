//! The user-space side of one `poll`, eddy-poll against mio, in a form
//! callgrind can count exactly: the same workload as the `poll` bench,
//! each library's call wrapped in a never-inlined function.
//!
//! Wall-clock figures on a shared machine swing by ±20 %; instruction
//! counts do not. Both libraries make the same single `epoll_wait` call, so
//! the kernel's share is the same and the user-space instructions are where
//! they can differ:
//!
//! ```text
//! cargo bench -p eddy-poll --bench poll_instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/poll.cg \
//!     target/release/deps/poll_instructions-<hash>
//! callgrind_annotate --inclusive=yes /tmp/poll.cg | grep poll_once
//! ```
//!
//! then divide each `*_poll_once` count by the polls it made (printed).
//! Run directly, it prints the median wall-clock time per poll as well.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Workload, eddy_setup, mio_setup, raise_open_files_limit};

/// Polls per library and shape; small enough for callgrind.
const POLLS: u32 = 2_000;

/// The (N, K) pairs counted.
const SHAPES: [(usize, usize); 3] = [(1, 1), (100, 100), (10_000, 100)];

#[inline(never)]
fn eddy_poll_once(poll: &mut eddy_poll::Poll, events: &mut eddy_poll::Events) -> usize {
    poll.poll(events, None).expect("eddy poll");
    events.iter().count()
}

#[inline(never)]
fn mio_poll_once(poll: &mut mio::Poll, events: &mut mio::Events) -> usize {
    poll.poll(events, None).expect("mio poll");
    events.iter().count()
}

/// Times one poll and checks it returned the `k` ready events.
fn time(poll_once: impl FnOnce() -> usize, k: usize) -> Duration {
    let start = Instant::now();
    let got = black_box(poll_once());
    let took = start.elapsed();
    assert_eq!(got, k);
    took
}

/// The middle value: one descheduled poll on a busy machine moves a mean
/// by microseconds, a median not at all.
fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing here takes arguments.
    raise_open_files_limit(10_000 + 512);
    for (n, k) in SHAPES {
        let workload = Workload::new(n, k).expect("open the descriptors");
        let (mut eddy, mut eddy_events) = eddy_setup(&workload);
        let (mut mio, mut mio_events) = mio_setup(&workload);
        let mut eddy_times = Vec::with_capacity(POLLS as usize);
        let mut mio_times = Vec::with_capacity(POLLS as usize);
        // Interleaved, so both see the same machine, and alternating which
        // goes first after the re-arm.
        for round in 0..POLLS {
            workload.rearm();
            if round % 2 == 0 {
                eddy_times.push(time(|| eddy_poll_once(&mut eddy, &mut eddy_events), k));
                mio_times.push(time(|| mio_poll_once(&mut mio, &mut mio_events), k));
            } else {
                mio_times.push(time(|| mio_poll_once(&mut mio, &mut mio_events), k));
                eddy_times.push(time(|| eddy_poll_once(&mut eddy, &mut eddy_events), k));
            }
        }
        let (eddy_median, mio_median) = (median(&mut eddy_times), median(&mut mio_times));
        println!(
            "N={n} K={k}: {POLLS} polls each; median eddy {eddy_median:?}, mio {mio_median:?}, \
             ratio {:.3}",
            eddy_median.as_secs_f64() / mio_median.as_secs_f64()
        );
    }
}
