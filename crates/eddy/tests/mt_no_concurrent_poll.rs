//! Multi-thread runtime: a task is never polled by two workers at once,
//! even when it is woken from another worker while it is running.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use eddy::runtime::Builder;

#[test]
fn a_task_woken_from_another_worker_is_never_polled_concurrently() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    const ROUNDS: usize = 20_000;
    let in_poll = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicUsize::new(0));
    let waker_slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));

    // The task under test: stores its waker, then keeps being woken by a
    // task on the other worker while (sometimes) it is still in its poll.
    let target = {
        let (in_poll, polls, slot) = (in_poll.clone(), polls.clone(), waker_slot.clone());
        poll_fn(move |cx| {
            assert!(!in_poll.swap(true, SeqCst), "polled concurrently");
            *slot.lock().unwrap() = Some(cx.waker().clone());
            // Stay in the poll for a moment so a wake can land meanwhile.
            for _ in 0..50 {
                std::hint::spin_loop();
            }
            let n = polls.fetch_add(1, SeqCst) + 1;
            in_poll.store(false, SeqCst);
            if n >= ROUNDS {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    };
    let waker_task = {
        let (slot, stop) = (waker_slot.clone(), stop.clone());
        async move {
            while !stop.load(SeqCst) {
                let waker = slot.lock().unwrap().clone();
                if let Some(waker) = waker {
                    waker.wake();
                }
                eddy::task::yield_now().await;
            }
        }
    };
    rt.block_on(async {
        let waker_task = eddy::spawn(waker_task);
        eddy::spawn(target).await.unwrap();
        stop.store(true, SeqCst);
        waker_task.await.unwrap();
    });
    assert_eq!(polls.load(SeqCst), ROUNDS);
}

/// Wakes from outside threads (injection queue) and from tasks racing the
/// task's own poll never double-poll either.
#[test]
fn wakes_from_outside_threads_do_not_double_poll() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let in_poll = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicUsize::new(0));
    let waker_slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let done = Arc::new(AtomicBool::new(false));
    let fut = {
        let (in_poll, polls, slot, done) = (
            in_poll.clone(),
            polls.clone(),
            waker_slot.clone(),
            done.clone(),
        );
        poll_fn(move |cx| {
            assert!(!in_poll.swap(true, SeqCst), "polled concurrently");
            *slot.lock().unwrap() = Some(cx.waker().clone());
            let n = polls.fetch_add(1, SeqCst);
            in_poll.store(false, SeqCst);
            if n >= 5_000 {
                done.store(true, SeqCst);
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    };
    let join = rt.spawn(fut);
    let wakers: Vec<_> = (0..2)
        .map(|_| {
            let (slot, done) = (waker_slot.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(SeqCst) {
                    let waker = slot.lock().unwrap().clone();
                    if let Some(w) = waker {
                        w.wake();
                    }
                    std::thread::yield_now();
                }
            })
        })
        .collect();
    rt.block_on(join).unwrap();
    for w in wakers {
        w.join().unwrap();
    }
    assert!(polls.load(SeqCst) > 5_000);
}
