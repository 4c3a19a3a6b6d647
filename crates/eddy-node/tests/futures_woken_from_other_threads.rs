//! A spawned future woken from another thread is polled on the loop thread
//! (the wake goes through the loop's `eddy_poll::Waker`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// Completes once another thread sets `done` and wakes the stored waker.
struct CrossThread {
    done: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Future for CrossThread {
    type Output = std::thread::ThreadId;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.done.load(Ordering::Acquire) {
            Poll::Ready(std::thread::current().id())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn a_wake_from_another_thread_resumes_the_future_on_the_loop() {
    let loop_thread = std::thread::current().id();
    let polled_on = std::rc::Rc::new(std::cell::Cell::new(None));
    let p = polled_on.clone();
    let start = Instant::now();
    eddy_node::run(move || {
        // Keeps the loop alive until the future is done.
        let keep_alive = eddy_node::timers::set_timeout(10_000, || {});
        let done = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (d, w) = (done.clone(), waker.clone());
        eddy_node::spawn(async move {
            p.set(Some(CrossThread { done, waker }.await));
            eddy_node::timers::clear_timeout(&keep_alive);
        });
        std::thread::spawn(move || {
            d.store(true, Ordering::Release);
            let waker = w.lock().unwrap().take().expect("polled once already");
            waker.wake();
        });
    })
    .unwrap();
    assert_eq!(polled_on.get(), Some(loop_thread));
    assert!(start.elapsed().as_secs() < 5);
}
