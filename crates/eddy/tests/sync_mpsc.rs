//! mpsc channels: ordering, closing from either side, backpressure, cancel
//! safety of `recv` and `send`, four threads hammering, and use on Eddy's
//! runtime.

use std::future::Future;
use std::pin::Pin;
use std::thread;

use eddy::sync::mpsc::{self, error::TryRecvError, error::TrySendError};
use futures_lite::future::{block_on, poll_once};

/// Polls `future` once; true if it completed.
fn polled_ready<F: Future + ?Sized>(future: &mut Pin<Box<F>>) -> bool {
    block_on(poll_once(future.as_mut())).is_some()
}

#[test]
fn bounded_delivers_in_order_then_none_once_senders_are_dropped() {
    let (tx, mut rx) = mpsc::channel(4);
    let tx2 = tx.clone();
    block_on(async {
        tx.send(1).await.unwrap();
        tx2.send(2).await.unwrap();
    });
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    drop(tx2);
    assert_eq!(rx.blocking_recv(), Some(2));
    assert_eq!(rx.blocking_recv(), None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn unbounded_delivers_in_order_then_none_once_senders_are_dropped() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for i in 0..100 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let got: Vec<_> = std::iter::from_fn(|| rx.blocking_recv()).collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn receiver_dropped_gives_the_value_back_to_every_kind_of_send() {
    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    assert_eq!(block_on(tx.send("a")).unwrap_err().0, "a");
    assert_eq!(tx.try_send("b"), Err(TrySendError::Closed("b")));
    assert_eq!(tx.blocking_send("c").unwrap_err().0, "c");
    assert!(tx.is_closed());

    let (utx, urx) = mpsc::unbounded_channel();
    drop(urx);
    assert_eq!(utx.send(5).unwrap_err().0, 5);
}

#[test]
fn a_waiting_sender_gets_its_value_back_when_the_receiver_goes() {
    let (tx, rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut waiting = Box::pin(tx.send(1));
    assert!(!polled_ready(&mut waiting));
    drop(rx);
    assert_eq!(block_on(waiting).unwrap_err().0, 1);
}

#[test]
fn close_lets_queued_messages_drain_then_recv_returns_none() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    rx.close();
    assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
    assert_eq!(rx.blocking_recv(), Some(1));
    assert_eq!(rx.blocking_recv(), Some(2));
    assert_eq!(rx.blocking_recv(), None);
}

#[test]
fn bounded_send_waits_for_room() {
    let (tx, mut rx) = mpsc::channel(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(tx.capacity(), 0);
    let mut third = Box::pin(tx.send(3));
    assert!(!polled_ready(&mut third));
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(polled_ready(&mut third));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(tx.capacity(), 2);
}

#[test]
fn dropping_a_recv_future_never_loses_a_message() {
    let (tx, mut rx) = mpsc::channel(8);
    let producer = thread::spawn(move || {
        for i in 0..5_000u32 {
            tx.blocking_send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    loop {
        // Poll a fresh recv future once and drop it, ready or not.
        let mut recv = Box::pin(rx.recv());
        match block_on(poll_once(recv.as_mut())) {
            Some(Some(i)) => got.push(i),
            Some(None) => break,
            None => {}
        }
    }
    producer.join().unwrap();
    assert_eq!(got, (0..5_000).collect::<Vec<_>>());
}

#[test]
fn a_send_future_dropped_after_being_given_a_slot_passes_it_on() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut first = Box::pin(tx.send(1));
    let mut second = Box::pin(tx.send(2));
    assert!(!polled_ready(&mut first));
    assert!(!polled_ready(&mut second));
    assert_eq!(rx.try_recv(), Ok(0)); // frees the slot: granted to `first`
    drop(first); // never polled again
    assert!(polled_ready(&mut second));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn an_unused_permit_frees_its_slot() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let permit = tx.try_reserve().unwrap();
    assert!(tx.try_reserve().is_err());
    drop(permit);
    tx.try_reserve().unwrap().send(4);
    assert_eq!(rx.try_recv(), Ok(4));
}

#[test]
fn sender_closed_resolves_when_the_receiver_goes() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    let waiter = thread::spawn(move || block_on(tx.closed()));
    drop(rx);
    waiter.join().unwrap();
}

const THREADS: u32 = 4;
const PER_THREAD: u32 = 10_000;

/// Checks every producer's messages arrived, each once and in its order.
fn check_per_producer_order(got: &[(u32, u32)]) {
    assert_eq!(got.len(), (THREADS * PER_THREAD) as usize);
    let mut next = vec![0u32; THREADS as usize];
    for &(producer, i) in got {
        assert_eq!(
            next[producer as usize], i,
            "producer {producer} out of order"
        );
        next[producer as usize] += 1;
    }
}

#[test]
fn four_threads_hammering_a_bounded_channel() {
    let (tx, mut rx) = mpsc::channel(16);
    let producers: Vec<_> = (0..THREADS)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    if i % 2 == 0 {
                        tx.blocking_send((p, i)).unwrap();
                    } else {
                        block_on(tx.send((p, i))).unwrap();
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let got: Vec<_> = std::iter::from_fn(|| rx.blocking_recv()).collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    check_per_producer_order(&got);
}

#[test]
fn four_threads_hammering_an_unbounded_channel() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let producers: Vec<_> = (0..THREADS)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || (0..PER_THREAD).for_each(|i| tx.send((p, i)).unwrap()))
        })
        .collect();
    drop(tx);
    let got: Vec<_> = std::iter::from_fn(|| rx.blocking_recv()).collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    check_per_producer_order(&got);
}

#[test]
fn tasks_on_an_eddy_runtime_exchange_messages() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let got = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        for p in 0..THREADS {
            let tx = tx.clone();
            eddy::spawn(async move {
                for i in 0..1_000 {
                    tx.send((p, i)).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut got = Vec::new();
        while let Some(m) = rx.recv().await {
            got.push(m);
        }
        got
    });
    assert_eq!(got.len(), 4_000);
}

#[test]
#[should_panic(expected = "inside an Eddy runtime")]
fn blocking_recv_inside_a_runtime_panics() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (_tx, mut rx) = mpsc::unbounded_channel::<u8>();
    rt.block_on(async move {
        rx.blocking_recv();
    });
}
