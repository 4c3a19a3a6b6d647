//! `JoinSet`: many tasks, outputs in completion order.

use std::time::Duration;

use eddy::runtime::Runtime;
use eddy::task::JoinSet;

#[test]
fn outputs_come_back_in_completion_order() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for ms in [30u64, 10, 20] {
            set.spawn(async move {
                eddy::time::sleep(Duration::from_millis(ms)).await;
                ms
            });
        }
        assert_eq!(set.len(), 3);
        let mut order = Vec::new();
        while let Some(res) = set.join_next().await {
            order.push(res.unwrap());
        }
        assert_eq!(order, vec![10, 20, 30]);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn abort_all_cancels_every_task() {
    let rt = Runtime::new().unwrap();
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
    let rt = Runtime::new().unwrap();
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
    let rt = Runtime::new().unwrap();
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
