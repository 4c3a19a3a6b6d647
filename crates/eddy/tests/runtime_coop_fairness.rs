//! The cooperative budget and `event_interval`: a task that is always ready
//! cannot starve timers, I/O wakes or other tasks.

use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::task::Poll;
use std::time::Duration;

use eddy::runtime::Builder;

#[test]
fn a_task_that_always_yields_cannot_starve_a_timer() {
    let rt = Builder::new_current_thread().build().unwrap();
    let fired = Arc::new(AtomicBool::new(false));
    let spins = rt.block_on(async {
        let f = fired.clone();
        let spinner = eddy::spawn(async move {
            let mut spins = 0u64;
            while !f.load(SeqCst) {
                spins += 1;
                eddy::task::yield_now().await;
            }
            spins
        });
        let f = fired.clone();
        eddy::spawn(async move {
            eddy::time::sleep(Duration::from_millis(20)).await;
            f.store(true, SeqCst);
        });
        spinner.await.unwrap()
    });
    assert!(spins > 0);
}

#[test]
fn a_task_looping_on_ready_leaf_futures_is_made_to_yield() {
    // The spinner awaits an already-elapsed Sleep in a loop: every poll is
    // Ready, so without a budget it would never return Pending and the
    // flag-setting task would never run.
    let rt = Builder::new_current_thread().build().unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let mut ready_sleep = Box::pin(eddy::time::sleep(Duration::ZERO));
        ready_sleep.as_mut().await;
        let f = flag.clone();
        let spinner = eddy::spawn(async move {
            let mut sleep = ready_sleep;
            let mut rounds = 0u64;
            while !f.load(SeqCst) {
                // Ready at once each time (the deadline has passed).
                poll_fn(|cx| sleep.as_mut().poll(cx)).await;
                rounds += 1;
            }
            rounds
        });
        let f = flag.clone();
        eddy::spawn(async move { f.store(true, SeqCst) });
        assert!(spinner.await.unwrap() >= 1);
    });
}

#[test]
fn the_root_future_is_not_starved_by_spawned_tasks() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let spinner = eddy::spawn(async move {
            while !s.load(SeqCst) {
                eddy::task::yield_now().await;
            }
        });
        eddy::time::sleep(Duration::from_millis(5)).await;
        let mut yielded = false;
        poll_fn(|cx| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await;
        stop.store(true, SeqCst);
        spinner.await.unwrap();
    });
}

fn assert_unpin<T: Unpin>(_: &T) {}

#[test]
fn sleep_is_unpin() {
    let rt = Builder::new_current_thread().build().unwrap();
    let _g = rt.enter();
    let s = eddy::time::sleep(Duration::from_millis(1));
    assert_unpin(&s);
}

#[test]
fn a_root_future_that_yields_in_a_loop_cannot_starve_timers() {
    // With the run queue empty and the root future always woken, the
    // scheduler must still poll the driver (without sleeping) or the timer
    // never fires.
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let fired = Arc::new(AtomicBool::new(false));
        let f = fired.clone();
        drop(eddy::spawn(async move {
            eddy::time::sleep(Duration::from_millis(5)).await;
            f.store(true, SeqCst);
        }));
        while !fired.load(SeqCst) {
            eddy::task::yield_now().await;
        }
    });
}
