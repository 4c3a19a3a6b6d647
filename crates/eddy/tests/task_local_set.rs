//! `LocalSet`: `!Send` tasks on the owning thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use eddy::runtime::Builder;
use eddy::task::{self, LocalSet};

#[test]
fn run_until_drives_local_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    local.block_on(&rt, async move {
        let a = {
            let l = l.clone();
            task::spawn_local(async move {
                eddy::time::sleep(Duration::from_millis(5)).await;
                l.borrow_mut().push("a");
            })
        };
        let b = {
            let l = l.clone();
            task::spawn_local(async move { l.borrow_mut().push("b") })
        };
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(*log.borrow(), vec!["b", "a"]);
}

#[test]
fn awaiting_the_set_runs_all_its_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let count = Rc::new(RefCell::new(0));
    for _ in 0..10 {
        let c = count.clone();
        local.spawn_local(async move {
            eddy::task::yield_now().await;
            *c.borrow_mut() += 1;
        });
    }
    rt.block_on(local);
    assert_eq!(*count.borrow(), 10);
}

#[test]
fn dropping_the_set_drops_its_tasks() {
    let count = Rc::new(());
    let local = LocalSet::new();
    let c = count.clone();
    let handle = local.spawn_local(async move {
        let _c = c;
        std::future::pending::<()>().await;
    });
    assert_eq!(Rc::strong_count(&count), 2);
    drop(local);
    assert_eq!(Rc::strong_count(&count), 1);
    assert!(handle.is_finished());
}

#[test]
fn local_tasks_woken_from_other_threads_run() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let rc = Rc::new(5);
        let handle = task::spawn_local(async move {
            let remote = eddy::runtime::Handle::current().spawn(async {
                std::thread::spawn(|| std::thread::sleep(Duration::from_millis(5)))
                    .join()
                    .unwrap();
                1
            });
            *rc + remote.await.unwrap()
        });
        assert_eq!(handle.await.unwrap(), 6);
    });
}

#[test]
fn try_spawn_local_hands_the_future_back_where_no_local_scheduler_runs() {
    // No runtime at all.
    let refused = eddy::task::try_spawn_local(async { 7 }).unwrap_err();
    assert!(refused.to_string().contains("LocalSet"));
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(refused.into_future()), 7);

    // A current-thread runtime only entered here, not driven.
    {
        let _guard = rt.enter();
        assert!(eddy::task::try_spawn_local(async {}).is_err());
    }

    // A multi-thread runtime refuses; a LocalSet driven on it accepts.
    let mt = eddy::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let value = std::rc::Rc::new(5);
    let local = eddy::task::LocalSet::new();
    let got = mt.block_on(local.run_until(async move {
        let task = eddy::task::try_spawn_local(async move { *value }).unwrap();
        task.await.unwrap()
    }));
    assert_eq!(got, 5);
    mt.block_on(async {
        assert!(eddy::task::try_spawn_local(async {}).is_err());
    });
}
