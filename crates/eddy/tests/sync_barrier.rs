//! Barrier: exactly one leader per round, reuse over many rounds, four
//! threads hammering.

use std::sync::Arc;
use std::thread;

use eddy::sync::Barrier;
use futures_lite::future::{block_on, poll_once};

#[test]
fn nobody_passes_before_the_last_arrives() {
    let barrier = Barrier::new(2);
    let mut first = Box::pin(barrier.wait());
    assert!(block_on(poll_once(first.as_mut())).is_none());
    let second = block_on(barrier.wait());
    let first = block_on(first);
    assert!(second.is_leader());
    assert!(!first.is_leader());
}

#[test]
fn four_threads_hammering_have_one_leader_per_round() {
    const ROUNDS: usize = 1_000;
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                (0..ROUNDS)
                    .filter(|_| block_on(barrier.wait()).is_leader())
                    .count()
            })
        })
        .collect();
    let leaders: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(leaders, ROUNDS);
}

#[test]
fn tasks_on_an_eddy_runtime_meet() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let leaders = rt.block_on(async {
        let barrier = Arc::new(Barrier::new(3));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let barrier = barrier.clone();
                eddy::spawn(async move { barrier.wait().await.is_leader() })
            })
            .collect();
        let mut leaders = 0;
        for task in tasks {
            leaders += usize::from(task.await.unwrap());
        }
        leaders
    });
    assert_eq!(leaders, 1);
}
