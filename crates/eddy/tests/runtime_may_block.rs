//! Where `eddy::sync`'s `blocking_*` methods may run: inside a
//! `spawn_blocking` closure and a `block_in_place` section (both are
//! declared blocking code, as in tokio), but not in an async task or a
//! `block_on` future, which would stall the runtime thread.

use eddy::sync::{Mutex, mpsc};

#[test]
fn blocking_recv_inside_spawn_blocking_works() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime");
    let got = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let receiver = eddy::task::spawn_blocking(move || {
            // The runtime is current on this pool thread (Handle::current
            // works), yet blocking is allowed.
            assert!(eddy::runtime::Handle::try_current().is_ok());
            let first = rx.blocking_recv();
            let second = rx.blocking_recv();
            (first, second)
        });
        tx.send(7).await.expect("receiver alive");
        drop(tx);
        receiver.await.expect("blocking task")
    });
    assert_eq!(got, (Some(7), None));
}

#[test]
fn blocking_lock_inside_spawn_blocking_on_a_multi_thread_runtime_works() {
    let rt = eddy::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("build runtime");
    let value = rt.block_on(async {
        let mutex = std::sync::Arc::new(Mutex::new(1));
        let shared = mutex.clone();
        eddy::task::spawn_blocking(move || {
            *shared.blocking_lock() += 1;
        })
        .await
        .expect("blocking task");
        *mutex.lock().await
    });
    assert_eq!(value, 2);
}

#[test]
fn blocking_recv_inside_block_in_place_works() {
    let rt = eddy::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("build runtime");
    let got = rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let task = eddy::spawn(async move {
            tx.send(5).expect("receiver alive");
            eddy::task::block_in_place(move || rx.blocking_recv())
        });
        task.await.expect("task")
    });
    assert_eq!(got, Some(5));
}

#[test]
#[should_panic(expected = "blocking_recv was called from inside an Eddy runtime")]
fn blocking_recv_inside_an_async_task_still_panics() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime");
    rt.block_on(async {
        let (_tx, mut rx) = mpsc::channel::<u32>(1);
        let task = eddy::spawn(async move { rx.blocking_recv() });
        if let Err(e) = task.await {
            // Re-raise the task's panic on this thread for should_panic.
            std::panic::resume_unwind(e.into_panic());
        }
    });
}

#[test]
fn the_mark_ends_with_the_blocking_closure() {
    // A blocking closure that spawns an async task: the task runs on the
    // runtime thread, where blocking is still refused.
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime");
    let refused = rt.block_on(async {
        let task = eddy::task::spawn_blocking(|| {
            eddy::spawn(async {
                let (_tx, mut rx) = mpsc::channel::<u32>(1);
                rx.blocking_recv()
            })
        })
        .await
        .expect("blocking task");
        task.await
            .expect_err("blocking_recv in a task panics")
            .is_panic()
    });
    assert!(refused);
}
