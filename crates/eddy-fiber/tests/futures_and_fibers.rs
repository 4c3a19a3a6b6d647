//! Fibers and futures together: a fiber waits for futures (woken from this
//! or another thread), a future awaits a fiber, and the two ping-pong
//! through channels.

use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use eddy_fiber::sync::channel;
use eddy_fiber::{Runtime, block_on_future, spawn, yield_now};

#[test]
fn future_woken_from_another_thread() {
    let rt = Runtime::new().unwrap();
    let value = rt.block_on(|| {
        let slot: Arc<Mutex<(Option<u32>, Option<Waker>)>> = Arc::default();
        let other = slot.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            let mut s = other.lock().unwrap();
            s.0 = Some(99);
            if let Some(w) = s.1.take() {
                w.wake();
            }
        });
        // Meanwhile other fibers keep running.
        let ticker = spawn(|| {
            for _ in 0..3 {
                yield_now();
            }
            "ticked"
        });
        let v = block_on_future(std::future::poll_fn(|cx| {
            let mut s = slot.lock().unwrap();
            match s.0 {
                Some(v) => Poll::Ready(v),
                None => {
                    s.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }));
        assert_eq!(ticker.join().unwrap(), "ticked");
        thread.join().unwrap();
        v
    });
    assert_eq!(value, 99);
}

#[test]
fn a_future_awaits_a_fiber() {
    let rt = Runtime::new().unwrap();
    let v = rt.block_on(|| {
        let worker = spawn(|| {
            eddy_fiber::sleep(Duration::from_millis(5));
            21
        });
        block_on_future(async move { worker.await.unwrap() * 2 })
    });
    assert_eq!(v, 42);
}

#[test]
fn fibers_and_futures_ping_pong_through_channels() {
    let rt = Runtime::new().unwrap();
    let rounds = rt.block_on(|| {
        let (to_future, future_rx) = channel::<u32>();
        let (to_fiber, fiber_rx) = channel::<u32>();
        // An async task, driven on its own fiber.
        let task = spawn(move || {
            block_on_future(async move {
                let mut seen = 0;
                while let Ok(n) = future_rx.recv_async().await {
                    seen += 1;
                    to_fiber.send(n + 1).unwrap();
                }
                seen
            })
        });
        // A plain fiber on the other side.
        let mut n = 0;
        for _ in 0..500 {
            to_future.send(n).unwrap();
            n = fiber_rx.recv().unwrap();
        }
        assert_eq!(n, 500);
        drop(to_future);
        task.join().unwrap()
    });
    assert_eq!(rounds, 500);
}
