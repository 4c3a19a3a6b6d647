//! The two policies: elastic growth to the cap, queueing beyond it,
//! shrinking after the keep-alive; fixed size; FIFO order; thread names.

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use eddy_threadpool::Builder;

/// Polls `cond` until it holds or 10 s pass (thread exits have no event to
/// await from outside the pool).
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        thread::sleep(Duration::from_millis(5));
    }
    cond()
}

#[test]
fn elastic_grows_to_the_cap_and_queues_beyond_it() {
    let pool = Builder::elastic(3).build();
    let gate = Arc::new(Barrier::new(4));
    let (started_tx, started_rx) = mpsc::channel();
    for i in 0..5 {
        let gate = gate.clone();
        let started_tx = started_tx.clone();
        pool.execute(move || {
            started_tx.send(i).unwrap();
            if i < 3 {
                gate.wait();
            }
        })
        .unwrap();
    }
    let first: Vec<_> = started_rx.iter().take(3).collect();
    assert_eq!(first.len(), 3);
    assert_eq!(pool.threads(), 3, "grows exactly to the cap");
    assert_eq!(pool.queued(), 2, "work beyond the cap waits");
    gate.wait();
    let mut rest: Vec<_> = started_rx.iter().take(2).collect();
    rest.sort();
    assert_eq!(rest, [3, 4]);
    assert_eq!(pool.threads(), 3);
}

#[test]
fn idle_threads_exit_after_the_keep_alive() {
    let pool = Builder::elastic(4)
        .keep_alive(Duration::from_millis(50))
        .build();
    let jobs: Vec<_> = (0..4).map(|i| pool.submit(move || i).unwrap()).collect();
    for job in jobs {
        job.join().unwrap();
    }
    assert!(pool.threads() >= 1);
    assert!(
        eventually(|| pool.threads() == 0),
        "threads: {}",
        pool.threads()
    );
    // And the pool starts threads again afterwards.
    assert_eq!(pool.submit(|| 9).unwrap().join().unwrap(), 9);
}

#[test]
fn fixed_pool_never_exceeds_its_size_and_keeps_threads() {
    let pool = Builder::fixed(2).build();
    assert_eq!(pool.threads(), 0, "threads start lazily");
    let jobs: Vec<_> = (0..50)
        .map(|i| {
            pool.submit(move || thread::current().id())
                .map(|h| (i, h))
                .unwrap()
        })
        .collect();
    let mut ids: Vec<_> = jobs.into_iter().map(|(_, h)| h.join().unwrap()).collect();
    ids.sort_by_key(|id| format!("{id:?}"));
    ids.dedup();
    assert!(ids.len() <= 2, "{} distinct threads", ids.len());
    assert!(pool.threads() <= 2);
}

#[test]
fn one_thread_runs_jobs_in_fifo_order() {
    let pool = Builder::fixed(1).build();
    let (tx, rx) = mpsc::channel();
    for i in 0..100 {
        let tx = tx.clone();
        pool.execute(move || tx.send(i).unwrap()).unwrap();
    }
    let got: Vec<i32> = rx.iter().take(100).collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn threads_carry_the_configured_name() {
    let pool = Builder::elastic(1).thread_name("svc-test-pool").build();
    let name = pool
        .submit(|| thread::current().name().map(str::to_string))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(name.as_deref(), Some("svc-test-pool"));
}

#[test]
fn many_submitters_at_once_all_complete() {
    let pool = Arc::new(Builder::elastic(8).build());
    let submitters: Vec<_> = (0..4)
        .map(|t| {
            let pool = pool.clone();
            thread::spawn(move || {
                let jobs: Vec<_> = (0..250)
                    .map(|i| pool.submit(move || t * 1000 + i).unwrap())
                    .collect();
                jobs.into_iter().map(|j| j.join().unwrap()).sum::<u64>()
            })
        })
        .collect();
    let total: u64 = submitters.into_iter().map(|s| s.join().unwrap()).sum();
    let expected: u64 = (0..4u64)
        .map(|t| (0..250u64).map(|i| t * 1000 + i).sum::<u64>())
        .sum();
    assert_eq!(total, expected);
}

#[test]
fn threads_can_be_named_by_index() {
    let pool = Builder::fixed(1)
        .thread_name_fn(|i| format!("svc-numbered-{i}"))
        .build();
    let name = pool
        .submit(|| thread::current().name().map(str::to_string))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(name.as_deref(), Some("svc-numbered-0"));
}
