//! broadcast: every receiver gets every value, lagging receivers are told
//! how many they missed, closing, cancel safety of `recv`, four receivers
//! hammering with exact counts.

use std::thread;

use eddy::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use futures_lite::future::{block_on, poll_once};

#[test]
fn every_receiver_gets_every_value_in_order() {
    let (tx, mut a) = broadcast::channel(8);
    let mut b = tx.subscribe();
    for i in 0..5 {
        assert_eq!(tx.send(i).unwrap(), 2);
    }
    for i in 0..5 {
        assert_eq!(a.try_recv(), Ok(i));
        assert_eq!(block_on(b.recv()), Ok(i));
    }
    assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_lagging_receiver_learns_how_many_it_missed() {
    let (tx, mut rx) = broadcast::channel(3);
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert_eq!(block_on(rx.recv()), Err(RecvError::Lagged(7)));
    assert_eq!(block_on(rx.recv()), Ok(7));
    assert_eq!(rx.len(), 2);
}

#[test]
fn receivers_end_with_closed_after_senders_are_dropped() {
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.blocking_recv(), Ok(1));
    assert_eq!(rx.blocking_recv(), Err(RecvError::Closed));
}

#[test]
fn send_gives_the_value_back_without_receivers() {
    let (tx, rx) = broadcast::channel(2);
    drop(rx);
    assert_eq!(tx.send("x").unwrap_err().0, "x");
}

#[test]
fn a_dropped_recv_future_loses_nothing() {
    let (tx, mut rx) = broadcast::channel(4);
    {
        let mut recv = Box::pin(rx.recv());
        assert!(block_on(poll_once(recv.as_mut())).is_none());
    }
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn a_value_is_dropped_once_every_receiver_has_read_it() {
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    let value = std::sync::Arc::new(());
    tx.send(value.clone()).unwrap();
    drop(a.try_recv().unwrap());
    assert_eq!(std::sync::Arc::strong_count(&value), 2);
    drop(b.try_recv().unwrap());
    assert_eq!(std::sync::Arc::strong_count(&value), 1);
    assert!(tx.is_empty());
}

#[test]
fn four_receivers_hammering_account_for_every_value() {
    const SENDS: u64 = 10_000;
    let (tx, rx) = broadcast::channel(16);
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let mut rx = rx.resubscribe();
            thread::spawn(move || {
                let (mut received, mut missed, mut last) = (0u64, 0u64, None);
                loop {
                    match block_on(rx.recv()) {
                        Ok(v) => {
                            assert!(last.is_none_or(|l| v > l), "out of order");
                            last = Some(v);
                            received += 1;
                        }
                        Err(RecvError::Lagged(n)) => missed += n,
                        Err(RecvError::Closed) => return received + missed,
                    }
                }
            })
        })
        .collect();
    drop(rx);
    for i in 0..SENDS {
        tx.send(i).unwrap();
    }
    drop(tx);
    for receiver in receivers {
        assert_eq!(receiver.join().unwrap(), SENDS);
    }
}
