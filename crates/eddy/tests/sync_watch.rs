//! watch: latest value, change notification, closing from either side,
//! cancel safety of `changed`, four receivers hammering.

use std::thread;

use eddy::sync::watch;
use futures_lite::future::{block_on, poll_once};

#[test]
fn receivers_see_the_latest_value_and_changes() {
    let (tx, mut rx) = watch::channel(0);
    assert!(!rx.has_changed().unwrap());
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    block_on(rx.changed()).unwrap();
    assert_eq!(*rx.borrow(), 2);
    assert!(!rx.has_changed().unwrap());
    tx.send_modify(|v| *v += 1);
    assert_eq!(*rx.borrow_and_update(), 3);
}

#[test]
fn a_dropped_changed_future_does_not_hide_the_change() {
    let (tx, mut rx) = watch::channel(0);
    {
        let mut changed = Box::pin(rx.changed());
        assert!(block_on(poll_once(changed.as_mut())).is_none());
    }
    tx.send(1).unwrap();
    block_on(rx.changed()).unwrap();
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn a_dropped_sender_ends_changed_after_the_last_value() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    drop(tx);
    assert!(block_on(rx.changed()).is_ok());
    assert!(block_on(rx.changed()).is_err());
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn send_gives_the_value_back_once_every_receiver_is_gone() {
    let (tx, rx) = watch::channel(0);
    let rx2 = rx.clone();
    drop(rx);
    assert!(tx.send(1).is_ok());
    drop(rx2);
    assert!(tx.is_closed());
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    block_on(tx.closed());
}

#[test]
fn four_receivers_hammering_see_increasing_values_ending_with_the_last() {
    const SENDS: u64 = 10_000;
    let (tx, rx) = watch::channel(0u64);
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let mut rx = rx.clone();
            thread::spawn(move || {
                let mut last = 0;
                while block_on(rx.changed()).is_ok() {
                    let now = *rx.borrow_and_update();
                    assert!(now > last, "values went backwards: {last} then {now}");
                    last = now;
                }
                last
            })
        })
        .collect();
    drop(rx);
    for i in 1..=SENDS {
        tx.send_replace(i);
    }
    drop(tx);
    for receiver in receivers {
        assert_eq!(receiver.join().unwrap(), SENDS);
    }
}
