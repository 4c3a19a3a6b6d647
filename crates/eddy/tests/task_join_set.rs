//! `JoinSet`: many tasks, outputs in completion order.

use std::time::Duration;

use eddy::runtime::Builder;
use eddy::task::JoinSet;

#[test]
fn outputs_come_back_in_completion_order() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        // Task `n` finishes after `n` trips through the run queue, so the
        // completion order is deterministic: 1, 2, 3.
        for n in [3u32, 1, 2] {
            set.spawn(async move {
                for _ in 0..n {
                    eddy::task::yield_now().await;
                }
                n
            });
        }
        assert_eq!(set.len(), 3);
        let mut order = Vec::new();
        while let Some(res) = set.join_next().await {
            order.push(res.unwrap());
        }
        assert_eq!(order, vec![1, 2, 3]);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn timers_complete_a_set_in_deadline_order() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        // Far enough apart that even a stalled machine keeps the order.
        for ms in [300u64, 5, 150] {
            set.spawn(async move {
                eddy::time::sleep(Duration::from_millis(ms)).await;
                ms
            });
        }
        let mut order = Vec::new();
        while let Some(res) = set.join_next().await {
            order.push(res.unwrap());
        }
        assert_eq!(order, vec![5, 150, 300]);
    });
}

#[test]
fn abort_all_cancels_every_task() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..10 {
            set.spawn(std::future::pending::<()>());
        }
        set.abort_all();
        let mut cancelled = 0;
        while let Some(res) = set.join_next().await {
            assert!(res.unwrap_err().is_cancelled());
            cancelled += 1;
        }
        assert_eq!(cancelled, 10);
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        let abort = set.spawn(std::future::pending::<()>());
        drop(set);
        eddy::task::yield_now().await;
        assert!(abort.is_finished());
    });
}

#[test]
fn many_tasks_and_panics() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..1000u32 {
            set.spawn(async move {
                if i % 100 == 0 {
                    panic!("task {i}");
                }
                eddy::task::yield_now().await;
                i
            });
        }
        let (mut ok, mut panics) = (0, 0);
        while let Some(res) = set.join_next().await {
            match res {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(e.is_panic());
                    panics += 1;
                }
            }
        }
        assert_eq!((ok, panics), (990, 10));
    });
}
