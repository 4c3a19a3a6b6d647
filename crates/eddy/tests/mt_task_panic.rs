//! Multi-thread runtime: a panic inside a task is caught (its JoinHandle
//! reports it) and the worker keeps serving other tasks.

use eddy::runtime::Builder;

#[test]
fn a_panicking_task_does_not_kill_its_worker() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    for round in 0..10 {
        let bad = rt.spawn(async move {
            if round < 100 {
                panic!("task panic {round}");
            }
        });
        let err = rt.block_on(bad).unwrap_err();
        assert!(err.is_panic());
        let good = rt.spawn(async move { round * 2 });
        assert_eq!(
            rt.block_on(good).unwrap(),
            round * 2,
            "the single worker still runs tasks"
        );
    }
}
