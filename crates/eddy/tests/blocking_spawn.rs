//! `spawn_blocking`: results, panics, abort before start, the thread cap,
//! both runtime flavors, runtime context inside the closure, shutdown.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use eddy::runtime::{Builder, Runtime};
use eddy::task::spawn_blocking;

#[test]
fn returns_the_closure_value_on_both_flavors() {
    let ct = Builder::new_current_thread().build().unwrap();
    assert_eq!(
        ct.block_on(async { spawn_blocking(|| 6 * 7).await })
            .unwrap(),
        42
    );
    let mt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let out = mt.block_on(async {
        eddy::spawn(async { spawn_blocking(|| "from mt").await.unwrap() })
            .await
            .unwrap()
    });
    assert_eq!(out, "from mt");
}

#[test]
fn runs_off_the_runtime_thread() {
    let rt = Builder::new_current_thread().build().unwrap();
    let here = std::thread::current().id();
    let there = rt
        .block_on(async { spawn_blocking(|| std::thread::current().id()).await })
        .unwrap();
    assert_ne!(here, there);
}

#[test]
fn a_panic_becomes_a_join_error() {
    let rt = Builder::new_current_thread().build().unwrap();
    let err = rt
        .block_on(async { spawn_blocking(|| -> u8 { panic!("blocking boom") }).await })
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        *err.into_panic().downcast::<&str>().unwrap(),
        "blocking boom"
    );
    // The pool still works.
    assert_eq!(
        rt.block_on(async { spawn_blocking(|| 1).await }).unwrap(),
        1
    );
}

#[test]
fn abort_before_start_cancels_the_call() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let busy = spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        started_rx.recv().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let ran2 = ran.clone();
        let queued = spawn_blocking(move || ran2.store(true, Ordering::SeqCst));
        queued.abort();
        release_tx.send(()).unwrap();
        busy.await.unwrap();
        let err = queued.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!ran.load(Ordering::SeqCst), "an aborted call never runs");
    });
}

#[test]
fn calls_beyond_the_cap_queue_and_all_complete() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(2)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let total = rt.block_on(async {
        let calls: Vec<_> = (0..20)
            .map(|i| {
                let running = running.clone();
                let peak = peak.clone();
                spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(2));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        let mut total = 0;
        for call in calls {
            total += call.await.unwrap();
        }
        total
    });
    assert_eq!(total, 190);
    assert!(peak.load(Ordering::SeqCst) <= 2);
}

#[test]
fn the_runtime_is_current_inside_the_closure() {
    let rt = Runtime::new().unwrap();
    let out = rt.block_on(async {
        spawn_blocking(|| {
            let handle = eddy::runtime::Handle::current();
            handle.block_on(eddy::spawn(async { 5 })).unwrap()
        })
        .await
    });
    assert_eq!(out.unwrap(), 5);
}

#[test]
fn handle_spawn_blocking_works_from_a_plain_thread() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    let call = std::thread::spawn(move || handle.spawn_blocking(|| 3))
        .join()
        .unwrap();
    assert_eq!(rt.block_on(call).unwrap(), 3);
}

#[test]
fn dropping_the_runtime_waits_for_running_calls_and_cancels_queued_ones() {
    let rt = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let finished = Arc::new(AtomicBool::new(false));
    let gate = Arc::new(Barrier::new(2));
    let (f, g) = (finished.clone(), gate.clone());
    let running = rt.spawn(async move {
        spawn_blocking(move || {
            g.wait();
            std::thread::sleep(Duration::from_millis(20));
            f.store(true, Ordering::SeqCst);
        })
        .await
    });
    // Let the task start its call (it takes the one pool thread).
    rt.block_on(eddy::task::yield_now());
    let queued = {
        let _guard = rt.enter();
        spawn_blocking(|| ())
    };
    gate.wait();
    drop(rt);
    assert!(finished.load(Ordering::SeqCst), "drop waited for the call");
    assert!(queued.is_finished());
    let err = futures_lite::future::block_on(queued).unwrap_err();
    assert!(err.is_cancelled(), "a queued call is cancelled at shutdown");
    drop(running);
}

#[test]
#[should_panic(expected = "outside a runtime")]
fn outside_a_runtime_it_panics_with_a_clear_message() {
    drop(spawn_blocking(|| ()));
}
