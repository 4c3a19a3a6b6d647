//! Multi-thread runtime fairness: a task that wakes itself in a tight loop
//! and two tasks ping-ponging through the LIFO slot cannot starve others.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use eddy::runtime::Builder;
use eddy::sync::mpsc;

/// One worker: a task calling `yield_now` forever and a counting task both
/// make progress.
#[test]
fn a_task_yielding_forever_cannot_starve_another() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let hog = {
        let (stop, spins) = (stop.clone(), spins.clone());
        rt.spawn(async move {
            while !stop.load(SeqCst) {
                spins.fetch_add(1, SeqCst);
                eddy::task::yield_now().await;
            }
        })
    };
    let other = rt.spawn(async {
        let mut steps = 0;
        for _ in 0..100 {
            eddy::task::yield_now().await;
            steps += 1;
        }
        steps
    });
    assert_eq!(rt.block_on(other).unwrap(), 100);
    stop.store(true, SeqCst);
    rt.block_on(hog).unwrap();
    assert!(spins.load(SeqCst) > 0, "the hog ran too");
}

/// One worker: two tasks passing a message back and forth forever (each
/// wake goes to the LIFO slot) do not starve a third task.
#[test]
fn lifo_ping_pong_cannot_starve_a_third_task() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (ping_tx, mut ping_rx) = mpsc::unbounded_channel::<()>();
    let (pong_tx, mut pong_rx) = mpsc::unbounded_channel::<()>();
    let a = {
        let stop = stop.clone();
        rt.spawn(async move {
            while !stop.load(SeqCst) {
                if ping_tx.send(()).is_err() || pong_rx.recv().await.is_none() {
                    break;
                }
            }
        })
    };
    let b = rt.spawn(async move {
        while ping_rx.recv().await.is_some() {
            if pong_tx.send(()).is_err() {
                break;
            }
        }
    });
    let third = rt.spawn(async { 42 });
    assert_eq!(rt.block_on(third).unwrap(), 42);
    stop.store(true, SeqCst);
    rt.block_on(a).unwrap();
    rt.block_on(b).unwrap();
}

/// One worker busy with a task that yields forever (its local queue is
/// never empty): a task spawned from outside (the injection queue) still
/// runs, because the worker checks that queue every 61 ticks.
#[test]
fn the_injection_queue_is_not_starved_by_a_busy_local_queue() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let hog = {
        let (stop, spins) = (stop.clone(), spins.clone());
        rt.spawn(async move {
            while !stop.load(SeqCst) {
                spins.fetch_add(1, SeqCst);
                eddy::task::yield_now().await;
            }
        })
    };
    while spins.load(SeqCst) < 1000 {
        std::thread::yield_now();
    }
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move { tx.send(()).unwrap() });
    rx.recv_timeout(std::time::Duration::from_secs(30))
        .expect("the injected task ran while the worker was busy");
    stop.store(true, SeqCst);
    rt.block_on(hog).unwrap();
}
