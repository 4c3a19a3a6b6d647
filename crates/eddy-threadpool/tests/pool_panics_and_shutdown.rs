//! Panicking jobs, shutdown (queued jobs dropped, running ones awaited up
//! to the timeout), and submitting after shutdown.

use std::sync::mpsc;
use std::time::Duration;

use eddy_threadpool::{Builder, JobError, PoolShutDown};

#[test]
fn a_panic_comes_back_to_the_submitter_and_the_thread_survives() {
    let pool = Builder::fixed(1).build();
    let first = pool
        .submit(|| std::thread::current().id())
        .unwrap()
        .join()
        .unwrap();
    let err = pool
        .submit(|| -> u8 { panic!("job exploded") })
        .unwrap()
        .join()
        .unwrap_err();
    match err {
        JobError::Panicked(payload) => {
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"job exploded"));
        }
        JobError::Dropped => panic!("expected a panic payload"),
    }
    let after = pool
        .submit(|| std::thread::current().id())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(first, after, "the same thread serves the next job");
    assert_eq!(pool.threads(), 1);
}

#[test]
fn shutdown_drops_queued_jobs_and_waits_for_running_ones() {
    let pool = Builder::fixed(1).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let running = pool
        .submit(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            "finished"
        })
        .unwrap();
    let queued = pool.submit(|| "never").unwrap();
    started_rx.recv().unwrap();
    // A short timeout while the job blocks: not everything exited.
    assert!(!pool.shutdown_timeout(Some(Duration::from_millis(20))));
    assert!(matches!(queued.join(), Err(JobError::Dropped)));
    release_tx.send(()).unwrap();
    assert_eq!(running.join().unwrap(), "finished");
    assert!(pool.shutdown_timeout(Some(Duration::from_secs(30))));
    assert_eq!(pool.threads(), 0);
}

#[test]
fn submitting_after_shutdown_is_an_error() {
    let pool = Builder::elastic(2).build();
    assert!(pool.shutdown_timeout(None));
    assert_eq!(pool.execute(|| {}), Err(PoolShutDown));
    assert!(pool.submit(|| 1).is_err());
    let io: std::io::Error = PoolShutDown.into();
    assert!(io.to_string().contains("shut down"));
}

#[test]
fn shutdown_from_a_pool_thread_does_not_wait_for_itself() {
    let pool = std::sync::Arc::new(Builder::fixed(2).build());
    let inner = pool.clone();
    let done = pool
        .submit(move || inner.shutdown_timeout(Some(Duration::from_secs(30))))
        .unwrap()
        .join()
        .unwrap();
    assert!(done);
}

#[test]
fn dropping_the_pool_lets_running_jobs_finish() {
    let pool = Builder::elastic(1).build();
    let (tx, rx) = mpsc::channel();
    pool.execute(move || {
        std::thread::sleep(Duration::from_millis(10));
        tx.send("ran").unwrap();
    })
    .unwrap();
    // Give the job time to be picked up (it is dropped if still queued).
    while pool.queued() > 0 {
        std::thread::yield_now();
    }
    drop(pool);
    assert_eq!(rx.recv().unwrap(), "ran");
}

#[test]
fn shutdown_drain_runs_every_queued_job() {
    let pool = Builder::fixed(2).build();
    let (tx, rx) = mpsc::channel();
    for i in 0..50 {
        let tx = tx.clone();
        pool.execute(move || tx.send(i).unwrap()).unwrap();
    }
    drop(tx);
    assert!(pool.shutdown_drain(Some(Duration::from_secs(30))));
    let mut got: Vec<i32> = rx.iter().collect();
    got.sort();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
    assert!(pool.execute(|| {}).is_err());
}

#[test]
fn a_drain_on_drop_pool_finishes_queued_work_when_dropped() {
    let (tx, rx) = mpsc::channel();
    {
        let pool = Builder::fixed(2).drain_on_drop(true).build();
        for i in 0..10 {
            let tx = tx.clone();
            pool.execute(move || tx.send(i).unwrap()).unwrap();
        }
    }
    drop(tx);
    assert_eq!(rx.iter().count(), 10);
}
