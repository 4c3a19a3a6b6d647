//! `task::block_in_place`: on a multi-thread worker the other tasks keep
//! running while the closure blocks; elsewhere it just runs the closure;
//! on a current-thread runtime it panics with a clear message.

use std::sync::mpsc;
use std::time::Duration;

use eddy::runtime::Builder;

/// With one worker, a task blocking in `block_in_place` until another task
/// runs would deadlock unless the worker's duties moved to a new thread.
#[test]
fn other_tasks_run_while_one_blocks_in_place() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel::<u32>();
    let out = rt.block_on(async move {
        let blocker = eddy::spawn(async move {
            eddy::task::block_in_place(move || rx.recv_timeout(Duration::from_secs(30)).unwrap())
        });
        // Give the blocker a chance to start first on the single worker.
        eddy::time::sleep(Duration::from_millis(10)).await;
        let sender = eddy::spawn(async move {
            eddy::time::sleep(Duration::from_millis(5)).await;
            tx.send(7).unwrap();
        });
        sender.await.unwrap();
        blocker.await.unwrap()
    });
    assert_eq!(out, 7);
    // The runtime still works after the hand-off.
    let more = rt.block_on(async { eddy::spawn(async { 1 }).await.unwrap() });
    assert_eq!(more, 1);
}

#[test]
fn block_in_place_outside_a_runtime_and_in_block_on_just_runs() {
    assert_eq!(eddy::task::block_in_place(|| 3), 3);
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    assert_eq!(rt.block_on(async { eddy::task::block_in_place(|| 4) }), 4);
}

#[test]
fn many_block_in_place_calls_in_a_row() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let sum = rt.block_on(async {
        let tasks: Vec<_> = (0..50u64)
            .map(|i| eddy::spawn(async move { eddy::task::block_in_place(|| i) + 1 }))
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (1..=50).sum());
}

#[test]
fn block_in_place_on_a_current_thread_runtime_panics_clearly() {
    let rt = Builder::new_current_thread().build().unwrap();
    let err = rt
        .block_on(async { eddy::spawn(async { eddy::task::block_in_place(|| ()) }).await })
        .unwrap_err();
    let payload = err.into_panic();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("current-thread runtime"), "{msg}");
}

/// As in tokio: inside `block_in_place` the thread may `block_on` a future
/// of the same runtime (it is no longer a worker).
#[test]
fn block_on_inside_block_in_place() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let out = rt.block_on(async {
        eddy::spawn(async {
            eddy::task::block_in_place(|| {
                let handle = eddy::runtime::Handle::current();
                handle.block_on(async { eddy::spawn(async { 21 * 2 }).await.unwrap() })
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 42);
}
