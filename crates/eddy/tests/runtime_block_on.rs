//! `block_on`, `Handle::current` and spawning from outside: the entry
//! points and their misuse.

use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};
use std::time::Duration;

use eddy::runtime::{Builder, Handle};

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn handle_current_outside_a_runtime_panics_with_a_clear_message() {
    let payload = catch_unwind(Handle::current).unwrap_err();
    let msg = panic_message(payload);
    assert!(msg.contains("no eddy runtime"), "{msg}");
    assert!(Handle::try_current().is_err());
}

#[test]
fn spawn_outside_a_runtime_panics_with_a_clear_message() {
    let payload = catch_unwind(|| eddy::spawn(async {})).unwrap_err();
    let msg = panic_message(payload);
    assert!(msg.contains("outside a runtime"), "{msg}");
}

#[test]
fn block_on_inside_a_runtime_fails_instead_of_deadlocking() {
    let rt = Builder::new_current_thread().build().unwrap();
    let inner = Builder::new_current_thread().build().unwrap();
    let msg = rt.block_on(async {
        let payload = catch_unwind(AssertUnwindSafe(|| inner.block_on(async {}))).unwrap_err();
        panic_message(payload)
    });
    assert!(
        msg.contains("Cannot block_on inside an eddy runtime"),
        "{msg}"
    );
    // Both runtimes still work afterwards.
    assert_eq!(rt.block_on(async { 1 }), 1);
    assert_eq!(inner.block_on(async { 2 }), 2);
}

#[test]
fn block_on_inside_a_task_is_reported_through_its_join_error() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    let err = rt.block_on(async move {
        eddy::spawn(async move { handle.block_on(async {}) })
            .await
            .unwrap_err()
    });
    assert!(err.is_panic());
    let msg = panic_message(err.into_panic());
    assert!(
        msg.contains("Cannot block_on inside an eddy runtime"),
        "{msg}"
    );
}

#[test]
fn handle_current_inside_block_on_and_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let handle = Handle::current();
        let out = handle
            .spawn(async { Handle::try_current().is_ok() })
            .await
            .unwrap();
        assert!(out);
    });
    let _guard = rt.enter();
    assert!(Handle::try_current().is_ok());
}

#[test]
fn spawn_from_another_thread_wakes_a_parked_runtime() {
    // The root future waits for a value only a remotely spawned task
    // provides; with nothing else to do the runtime parks in epoll, and the
    // remote spawn must wake it.
    type Slot = Arc<Mutex<(Option<u32>, Option<Waker>)>>;
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    let slot: Slot = Arc::default();
    let (tx, rx) = mpsc::channel::<()>();
    let s = slot.clone();
    let spawner = std::thread::spawn(move || {
        // Spawn once the root future has parked its waker.
        rx.recv().unwrap();
        handle.spawn(async move {
            let waker = {
                let mut slot = s.lock().unwrap();
                slot.0 = Some(7);
                slot.1.take()
            };
            waker.unwrap().wake();
        });
    });
    let mut tx = Some(tx);
    let out = rt.block_on(poll_fn(|cx| {
        let mut guard = slot.lock().unwrap();
        if let Some(v) = guard.0 {
            return Poll::Ready(v);
        }
        guard.1 = Some(cx.waker().clone());
        if let Some(tx) = tx.take() {
            tx.send(()).unwrap();
        }
        Poll::Pending
    }));
    assert_eq!(out, 7);
    spawner.join().unwrap();
}

#[test]
fn handle_block_on_from_another_thread() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    let task = rt.spawn(async {
        eddy::time::sleep(Duration::from_millis(2)).await;
        "slept"
    });
    let out = std::thread::spawn(move || handle.block_on(task).unwrap())
        .join()
        .unwrap();
    assert_eq!(out, "slept");
}

#[test]
fn multi_thread_builder_builds_a_working_runtime() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    assert_eq!(
        rt.block_on(async { eddy::spawn(async { 2 }).await.unwrap() }),
        2
    );
}

#[test]
fn builder_settings_are_accepted() {
    let rt = Builder::new_current_thread()
        .thread_name("custom")
        .event_interval(1)
        .warn_on_blocking(Duration::from_secs(1))
        .build()
        .unwrap();
    let sum = rt.block_on(async {
        let tasks: Vec<_> = (0..100).map(|i| eddy::spawn(async move { i })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 4950);
}

#[test]
fn a_panic_in_the_root_future_leaves_the_runtime_usable() {
    let rt = Builder::new_current_thread().build().unwrap();
    let pending = rt.spawn(async { 5 });
    let res = catch_unwind(AssertUnwindSafe(|| rt.block_on(async { panic!("root") })));
    assert!(res.is_err());
    assert_eq!(rt.block_on(pending).unwrap(), 5);
}

#[test]
fn a_second_block_on_is_polled_while_another_thread_drives_the_runtime() {
    // The main thread drives the runtime until the other thread's
    // `block_on` future has run; that future never gets the core, so it
    // must be polled on its own thread meanwhile (or both wait forever).
    type Slot = Arc<Mutex<(bool, Option<Waker>)>>;
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    let slot: Slot = Arc::default();
    let mut other = None;
    rt.block_on(poll_fn(|cx| {
        let mut guard = slot.lock().unwrap();
        if guard.0 {
            return Poll::Ready(());
        }
        guard.1 = Some(cx.waker().clone());
        if other.is_none() {
            let (handle, slot) = (handle.clone(), slot.clone());
            other = Some(std::thread::spawn(move || {
                handle.block_on(async move {
                    let waker = {
                        let mut guard = slot.lock().unwrap();
                        guard.0 = true;
                        guard.1.take()
                    };
                    waker.unwrap().wake();
                    "ran"
                })
            }));
        }
        Poll::Pending
    }));
    assert_eq!(other.unwrap().join().unwrap(), "ran");
}
