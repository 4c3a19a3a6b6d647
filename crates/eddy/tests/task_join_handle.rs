//! `JoinHandle`: outputs, panics, abort, detach, and harmless wakes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Poll, Waker};
use std::time::Duration;

use eddy::runtime::Builder;
use eddy::task::JoinError;

#[test]
fn a_panicking_task_reports_through_join_error_and_others_keep_running() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let bad = eddy::spawn(async { panic!("task exploded") });
        let good = eddy::spawn(async { 1 });
        let err: JoinError = bad.await.unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert!(err.to_string().contains("task exploded"), "{err}");
        let payload = err.into_panic();
        assert_eq!(*payload.downcast::<&str>().unwrap(), "task exploded");
        assert_eq!(good.await.unwrap(), 1);
    });
    // The runtime survives.
    assert_eq!(
        rt.block_on(async { eddy::spawn(async { 2 }).await.unwrap() }),
        2
    );
}

#[test]
fn a_panic_while_dropping_the_output_of_a_detached_task_is_contained() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop");
        }
    }
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        drop(eddy::spawn(async { PanicOnDrop }));
        eddy::task::yield_now().await;
        eddy::task::yield_now().await;
    });
    assert_eq!(rt.block_on(async { 3 }), 3);
}

#[test]
fn abort_cancels_a_pending_task_and_drops_its_future() {
    let dropped = Arc::new(AtomicUsize::new(0));
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let guard = Guard(dropped.clone());
        let task = eddy::spawn(async move {
            let _g = guard;
            eddy::time::sleep(Duration::from_secs(3600)).await;
        });
        eddy::task::yield_now().await;
        assert!(!task.is_finished());
        task.abort();
        task.abort(); // twice is harmless
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled(), "{err}");
        assert_eq!(dropped.load(SeqCst), 1);
    });
}

#[test]
fn abort_before_the_first_poll_never_runs_the_future() {
    let rt = Builder::new_current_thread().build().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let r = ran.clone();
        let task = eddy::spawn(async move {
            r.fetch_add(1, SeqCst);
        });
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    });
    assert_eq!(ran.load(SeqCst), 0);
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let task = eddy::spawn(async { "done" });
        while !task.is_finished() {
            eddy::task::yield_now().await;
        }
        task.abort();
        assert_eq!(task.await.unwrap(), "done");
    });
}

#[test]
fn abort_handle_cancels_from_another_thread() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let task = eddy::spawn(std::future::pending::<()>());
        let abort = task.abort_handle();
        std::thread::spawn(move || abort.abort()).join().unwrap();
        assert!(task.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    let rt = Builder::new_current_thread().build().unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let c = counter.clone();
        drop(eddy::spawn(async move {
            eddy::time::sleep(Duration::from_millis(2)).await;
            c.fetch_add(1, SeqCst);
        }));
        // Nobody holds the handle: wait for the side effect alone.
        while counter.load(SeqCst) == 0 {
            eddy::task::yield_now().await;
        }
    });
    assert_eq!(counter.load(SeqCst), 1);
}

#[test]
fn waking_a_finished_task_or_waking_twice_is_harmless() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let task = eddy::spawn(std::future::poll_fn(move |cx| {
            let n = p.fetch_add(1, SeqCst);
            if n == 0 {
                tx.send(cx.waker().clone()).unwrap();
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }));
        eddy::task::yield_now().await;
        let waker = rx.recv().unwrap();
        waker.wake_by_ref();
        waker.wake_by_ref();
        task.await.unwrap();
        assert_eq!(polls.load(SeqCst), 2, "two wakes, one extra poll");
        waker.wake_by_ref();
        let clone = waker.clone();
        waker.wake();
        std::thread::spawn(move || clone.wake()).join().unwrap();
        eddy::task::yield_now().await;
        assert_eq!(polls.load(SeqCst), 2);
    });
}

#[test]
fn a_task_woken_from_another_thread_is_polled_again() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let mut first = true;
        let task = eddy::spawn(std::future::poll_fn(move |cx| {
            if first {
                first = false;
                tx.send(cx.waker().clone()).unwrap();
                Poll::Pending
            } else {
                Poll::Ready(5)
            }
        }));
        let waker = std::thread::spawn(move || {
            let waker = rx.recv().unwrap();
            waker.wake();
        });
        assert_eq!(task.await.unwrap(), 5);
        waker.join().unwrap();
    });
}

#[test]
fn spawn_local_runs_not_send_futures() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let shared = std::rc::Rc::new(std::cell::Cell::new(0));
        let s = shared.clone();
        eddy::task::spawn_local(async move {
            eddy::task::yield_now().await;
            s.set(s.get() + 1);
        })
        .await
        .unwrap();
        assert_eq!(shared.get(), 1);
    });
}

#[test]
fn spawn_local_outside_a_runtime_thread_panics_clearly() {
    let err = std::panic::catch_unwind(|| eddy::task::spawn_local(async {})).unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("spawn_local"), "{msg}");
}

#[test]
fn join_error_is_send_sync_and_an_io_error() {
    fn assert_send_sync<T: Send + Sync + std::error::Error>() {}
    assert_send_sync::<JoinError>();
    let rt = Builder::new_current_thread().build().unwrap();
    let err = rt
        .block_on(async {
            let t = eddy::spawn(std::future::pending::<()>());
            t.abort();
            t.await
        })
        .unwrap_err();
    assert!(err.to_string().contains("cancelled"));
    let io: std::io::Error = err.into();
    assert!(io.to_string().contains("cancelled"));
}

#[test]
fn task_ids_are_visible_inside_the_task() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let task = eddy::spawn(async { eddy::task::id() });
        let id = task.id();
        assert_eq!(task.await.unwrap(), id);
        assert!(eddy::task::try_id().is_none());
    });
}
