//! Awaiting hosted fibers from async code: values, panics as `JoinError`,
//! fiber timers and eddy futures inside fibers, a fiber started from a
//! task, and a fresh host after the previous runtime was dropped.

use std::time::{Duration, Instant};

use eddy::runtime::{Builder, Handle};
use eddy_fiber::{block_on_future, spawn_on};

#[test]
fn await_a_fiber_from_async_code() {
    let rt = Builder::new_current_thread().build().unwrap();
    let v = rt.block_on(async {
        let fiber = spawn_on(&Handle::current(), || {
            // A nested plain spawn joins the same hosted scheduler.
            let inner = eddy_fiber::spawn(|| 6);
            inner.join().unwrap() * 7
        });
        fiber.await.unwrap()
    });
    assert_eq!(v, 42);
}

#[test]
fn a_panicking_fiber_is_a_join_error() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let handle = Handle::current();
        let bad = spawn_on(&handle, || -> u32 { panic!("boom in a hosted fiber") });
        let good = spawn_on(&handle, || 5u32);
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        let payload = err.try_into_panic().unwrap();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"boom in a hosted fiber")
        );
        // The runtime and the other fibers carry on.
        assert_eq!(good.await.unwrap(), 5);
        eddy::time::sleep(Duration::from_millis(1)).await;
    });
}

#[test]
fn fiber_sleeps_and_eddy_futures_in_fibers_keep_time() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let handle = Handle::current();
        let start = Instant::now();
        let fibers: Vec<_> = (0..100)
            .map(|i| {
                spawn_on(&handle, move || {
                    if i % 2 == 0 {
                        eddy_fiber::sleep(Duration::from_millis(30));
                    } else {
                        block_on_future(eddy::time::sleep(Duration::from_millis(30)));
                    }
                    i
                })
            })
            .collect();
        // A future sleeping alongside.
        eddy::time::sleep(Duration::from_millis(30)).await;
        for (i, fiber) in fibers.into_iter().enumerate() {
            assert_eq!(fiber.await.unwrap(), i);
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(30), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1_000), "{elapsed:?}");
    });
}

#[test]
fn spawn_on_from_a_task_and_after_a_runtime_was_dropped() {
    for _ in 0..2 {
        let rt = Builder::new_current_thread().build().unwrap();
        let out = rt.block_on(async {
            let task = eddy::task::spawn_local(async {
                let fiber = spawn_on(&Handle::current(), || {
                    eddy_fiber::current().id().as_u64() > 0
                });
                fiber.await.unwrap()
            });
            task.await.unwrap()
        });
        assert!(out);
    }
}

#[test]
fn fibers_woken_from_another_thread_through_the_reactor() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel::<eddy::sync::oneshot::Sender<u32>>();
        let thread = std::thread::spawn(move || {
            let reply = rx.recv().unwrap();
            reply.send(77).unwrap();
        });
        let fiber = spawn_on(&Handle::current(), move || {
            let (reply_tx, reply_rx) = eddy::sync::oneshot::channel();
            tx.send(reply_tx).unwrap();
            // Woken by the other thread's send: through the fiber queue's
            // waker, which eddy's reactor sees via the nested epoll.
            block_on_future(reply_rx).unwrap()
        });
        assert_eq!(fiber.await.unwrap(), 77);
        thread.join().unwrap();
    });
}

#[test]
fn spawn_on_a_multi_thread_runtime_fails_clearly() {
    let Ok(rt) = Builder::new_multi_thread().worker_threads(1).build() else {
        return; // the multi-thread scheduler is not built yet
    };
    let err = rt
        .block_on(async { eddy_fiber::try_spawn_on(&Handle::current(), || ()).map(drop) })
        .expect_err("fibers cannot live on a multi-thread runtime");
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
    assert!(err.to_string().contains("current-thread"), "{err}");
    // `spawn_on` panics at the caller with the same message.
    let handle = rt.handle().clone();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { drop(spawn_on(&handle, || ())) })
    }))
    .expect_err("spawn_on panics with the error");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("multi-thread"), "{message}");
    // The thread can still host fibers on a current-thread runtime.
    let rt = Builder::new_current_thread().build().unwrap();
    assert_eq!(
        rt.block_on(async { spawn_on(&Handle::current(), || 3).await.unwrap() }),
        3
    );
}
