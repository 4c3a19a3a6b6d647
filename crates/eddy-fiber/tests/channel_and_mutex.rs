//! The channel and the mutex park fibers (the thread keeps running others).

use std::cell::Cell;
use std::rc::Rc;

use eddy_fiber::sync::{Mutex, RecvError, TryRecvError, channel};
use eddy_fiber::{Runtime, spawn, yield_now};

#[test]
fn ping_pong_between_two_fibers() {
    let rt = Runtime::new().unwrap();
    let last = rt.block_on(|| {
        let (to_pong, pong_rx) = channel::<u32>();
        let (to_ping, ping_rx) = channel::<u32>();
        let pong = spawn(move || {
            while let Ok(n) = pong_rx.recv() {
                to_ping.send(n + 1).unwrap();
            }
        });
        let mut n = 0;
        for _ in 0..1000 {
            to_pong.send(n).unwrap();
            n = ping_rx.recv().unwrap() + 1;
        }
        drop(to_pong);
        pong.join().unwrap();
        n
    });
    assert_eq!(last, 2000);
}

#[test]
fn recv_fails_once_senders_are_gone_and_queue_is_drained() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let (tx, rx) = channel();
        let tx2 = tx.clone();
        spawn(move || {
            tx2.send(1).unwrap();
            yield_now();
            tx2.send(2).unwrap();
        });
        drop(tx);
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn send_to_a_dropped_receiver_returns_the_value() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let (tx, rx) = channel();
        drop(rx);
        assert_eq!(tx.send("x").unwrap_err().0, "x");
    });
}

#[test]
fn mutex_is_held_across_parks() {
    let rt = Runtime::new().unwrap();
    let (max_inside, total) = rt.block_on(|| {
        let mutex = Rc::new(Mutex::new(0u32));
        let inside = Rc::new(Cell::new(0));
        let max_inside = Rc::new(Cell::new(0));
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let (mutex, inside, max_inside) =
                    (mutex.clone(), inside.clone(), max_inside.clone());
                spawn(move || {
                    for _ in 0..5 {
                        let mut guard = mutex.lock();
                        inside.set(inside.get() + 1);
                        max_inside.set(max_inside.get().max(inside.get()));
                        yield_now(); // everyone else gets to try the lock now
                        *guard += 1;
                        inside.set(inside.get() - 1);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let total = *mutex.lock();
        (max_inside.get(), total)
    });
    assert_eq!(max_inside, 1, "never two fibers inside");
    assert_eq!(total, 100);
}

#[test]
fn try_lock_fails_while_locked() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let m = Mutex::new(1);
        let g = m.lock();
        assert!(m.try_lock().is_none());
        drop(g);
        assert_eq!(*m.try_lock().unwrap(), 1);
    });
}
