//! `sleep`, `sleep_until` and `Sleep::reset`: zero, past, near and
//! far-future deadlines.

use std::time::Duration;

use eddy::runtime::Builder;
use eddy::time::{Instant, sleep, sleep_until, timeout};

#[test]
fn a_zero_ms_sleep_completes_at_once() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        sleep(Duration::ZERO).await;
        assert!(start.elapsed() < Duration::from_secs(1));
    });
}

#[test]
fn a_past_deadline_completes_at_once() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let past = Instant::now() - Duration::from_secs(5);
        let start = Instant::now();
        sleep_until(past).await;
        assert!(start.elapsed() < Duration::from_secs(1));
    });
}

#[test]
fn sleep_never_wakes_early_and_not_much_late() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        for ms in [1u64, 7, 30] {
            let start = Instant::now();
            sleep(Duration::from_millis(ms)).await;
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(ms), "{ms} ms took {took:?}");
            assert!(
                took < Duration::from_millis(ms * 5 + 200),
                "{ms} ms took {took:?}"
            );
        }
    });
}

#[test]
fn a_ten_year_timer_is_pending_and_can_be_cancelled() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let ten_years = Duration::from_secs(10 * 365 * 24 * 3600);
        let res = timeout(Duration::from_millis(10), sleep(ten_years)).await;
        assert!(res.is_err(), "a 10-year sleep finished");
        // Spawned and aborted: its entry is dropped with the task.
        let task = eddy::spawn(sleep(ten_years));
        eddy::task::yield_now().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn an_absurd_duration_saturates_instead_of_panicking() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let res = timeout(Duration::from_millis(5), sleep(Duration::MAX)).await;
        assert!(res.is_err());
    });
}

#[test]
fn reset_moves_the_deadline_both_ways() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut s = Box::pin(sleep(Duration::from_secs(3600)));
        // Register the far deadline first.
        assert!(timeout(Duration::from_millis(1), s.as_mut()).await.is_err());
        s.as_mut().reset(Instant::now() + Duration::from_millis(5));
        s.as_mut().await;
        assert!(s.is_elapsed());
        assert!(start.elapsed() < Duration::from_secs(60));
        // Reset after it fired: pending again until the new deadline.
        let again = Instant::now();
        s.as_mut().reset(again + Duration::from_millis(5));
        assert!(!s.is_elapsed());
        s.as_mut().await;
        assert!(again.elapsed() >= Duration::from_millis(5));
    });
}

#[test]
fn a_sleep_created_outside_polled_inside_works() {
    let s = sleep(Duration::from_millis(2));
    let rt = Builder::new_current_thread().build().unwrap();
    let start = Instant::now();
    rt.block_on(s);
    assert!(start.elapsed() >= Duration::from_millis(2));
}

#[test]
fn many_timers_fire_in_deadline_order() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in (0..50u64).rev() {
            let order = order.clone();
            tasks.push(eddy::spawn(async move {
                sleep(Duration::from_millis(i * 2)).await;
                order.lock().unwrap().push(i);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(*order, sorted);
    });
}

#[test]
fn a_timer_registered_from_another_thread_wakes_the_parked_driver() {
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    rt.block_on(async move {
        // The root future waits for a task the other thread spawns, whose
        // timer (earlier than anything else) is registered while this
        // thread sleeps in epoll with no deadline.
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            let join = handle.spawn(async {
                sleep(Duration::from_millis(5)).await;
                "woke"
            });
            tx.send(join).unwrap();
        });
        t.join().unwrap();
        let join = rx.recv().unwrap();
        assert_eq!(join.await.unwrap(), "woke");
    });
}

#[test]
fn a_timer_polled_on_another_thread_wakes_the_parked_driver() {
    use std::future::poll_fn;
    use std::sync::{Arc, Mutex};
    use std::task::{Poll, Waker};

    // The runtime thread parks in epoll with no timer of its own; another
    // thread registers an earlier timer in its wheel. The registration must
    // wake the driver so it re-computes its timeout, or this test hangs.
    type Slot = Arc<Mutex<(bool, Option<Waker>)>>;
    let rt = Builder::new_current_thread().build().unwrap();
    let handle = rt.handle().clone();
    let slot: Slot = Arc::default();
    let s = slot.clone();
    let sleeper = std::thread::spawn(move || {
        let _enter = handle.enter();
        let start = Instant::now();
        futures_lite::future::block_on(sleep(Duration::from_millis(5)));
        let waker = {
            let mut slot = s.lock().unwrap();
            slot.0 = true;
            slot.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        start.elapsed()
    });
    rt.block_on(poll_fn(|cx| {
        let mut slot = slot.lock().unwrap();
        if slot.0 {
            Poll::Ready(())
        } else {
            slot.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }));
    assert!(sleeper.join().unwrap() >= Duration::from_millis(5));
}
