//! Fibers hosted on an eddy runtime (`spawn_on`) and futures on the same
//! thread ping-pong through channels, both directions, many rounds, with
//! every value checked: through eddy's mpsc (the fiber waits with
//! `block_on_future`) and through eddy-fiber's channel (the future waits
//! with `recv_async`, the fiber with a parking `recv`).

use eddy::runtime::{Builder, Handle};
use eddy_fiber::{block_on_future, spawn_on};

const ROUNDS: u64 = 2_000;

#[test]
fn ping_pong_through_eddy_mpsc() {
    let rt = Builder::new_current_thread().build().unwrap();
    let total = rt.block_on(async {
        let (to_fiber, mut fiber_rx) = eddy::sync::mpsc::unbounded_channel::<u64>();
        let (to_future, mut future_rx) = eddy::sync::mpsc::unbounded_channel::<u64>();
        let fiber = spawn_on(&Handle::current(), move || {
            let mut seen = 0;
            while let Some(v) = block_on_future(fiber_rx.recv()) {
                assert_eq!(v, seen * 2, "fiber got the values in order");
                seen += 1;
                to_future.send(v + 1).unwrap();
            }
            seen
        });
        let mut total = 0;
        for i in 0..ROUNDS {
            to_fiber.send(i * 2).unwrap();
            let reply = future_rx.recv().await.unwrap();
            assert_eq!(reply, i * 2 + 1);
            total += reply;
        }
        drop(to_fiber);
        assert_eq!(fiber.await.unwrap(), ROUNDS);
        total
    });
    assert_eq!(total, ROUNDS * ROUNDS);
}

#[test]
fn ping_pong_through_fiber_channels() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let (to_fiber, fiber_rx) = eddy_fiber::sync::channel::<u64>();
        let (to_future, future_rx) = eddy_fiber::sync::channel::<u64>();
        let fiber = spawn_on(&Handle::current(), move || {
            let mut seen = 0;
            // `recv` parks the fiber; a send from async code wakes it.
            while let Ok(v) = fiber_rx.recv() {
                assert_eq!(v, seen * 3);
                seen += 1;
                to_future.send(v + 1).unwrap();
            }
            seen
        });
        for i in 0..ROUNDS {
            to_fiber.send(i * 3).unwrap();
            assert_eq!(future_rx.recv_async().await.unwrap(), i * 3 + 1);
        }
        drop(to_fiber);
        assert_eq!(fiber.await.unwrap(), ROUNDS);
    });
}

#[test]
fn many_fibers_and_tasks_interleave_on_one_thread() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let handle = Handle::current();
        let (tx, mut rx) = eddy::sync::mpsc::unbounded_channel::<(u32, u32)>();
        let mut fibers = Vec::new();
        for f in 0..50u32 {
            let tx = tx.clone();
            fibers.push(spawn_on(&handle, move || {
                for step in 0..20 {
                    tx.send((f, step)).unwrap();
                    eddy_fiber::yield_now();
                }
            }));
        }
        drop(tx);
        // A future that is always ready in between still lets fibers run.
        let spinner = eddy::task::spawn_local(async {
            for _ in 0..200 {
                eddy::task::yield_now().await;
            }
        });
        let mut next = [0u32; 50];
        while let Some((f, step)) = rx.recv().await {
            assert_eq!(next[f as usize], step, "fiber {f} sends in order");
            next[f as usize] += 1;
        }
        assert!(next.iter().all(|&n| n == 20));
        for fiber in fibers {
            fiber.await.unwrap();
        }
        spinner.await.unwrap();
    });
}
