//! oneshot: delivery, closing from either side, re-polling after a pending
//! poll keeps the value, `Sender::closed`, four threads hammering.

use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use eddy::sync::oneshot::{self, TryRecvError};
use futures_lite::future::{block_on, poll_once};

#[test]
fn the_value_sent_is_received() {
    let (tx, rx) = oneshot::channel();
    tx.send(String::from("x")).unwrap();
    assert_eq!(block_on(rx).unwrap(), "x");
}

#[test]
fn a_sender_dropped_without_sending_ends_the_receiver_with_an_error() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    let mut pending = Box::pin(&mut rx);
    assert!(block_on(poll_once(pending.as_mut())).is_none());
    drop(tx);
    assert!(block_on(pending).is_err());
}

#[test]
fn a_dropped_receiver_gives_the_value_back() {
    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert_eq!(tx.send(vec![1]), Err(vec![1]));
}

#[test]
fn a_value_sent_between_polls_is_not_lost() {
    let (tx, mut rx) = oneshot::channel();
    assert!(block_on(poll_once(&mut rx)).is_none());
    tx.send(3).unwrap();
    assert_eq!(block_on(poll_once(&mut rx)), Some(Ok(3)));
}

#[test]
fn close_refuses_later_sends_but_keeps_an_earlier_value() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(1).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(2), Err(2));
}

#[test]
fn sender_closed_resolves_when_the_receiver_goes() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    let waiter = thread::spawn(move || block_on(tx.closed()));
    drop(rx);
    waiter.join().unwrap();
}

#[test]
fn four_threads_hammering_round_trips() {
    const PER_THREAD: u32 = 5_000;
    type Job = (u32, oneshot::Sender<u32>);
    let (jobs_tx, jobs_rx) = std_mpsc::channel::<Job>();
    let jobs_rx = Arc::new(Mutex::new(jobs_rx));
    let responders: Vec<_> = (0..2)
        .map(|_| {
            let jobs_rx = jobs_rx.clone();
            thread::spawn(move || {
                loop {
                    let job = jobs_rx.lock().unwrap().recv();
                    let Ok((n, reply)) = job else { break };
                    reply.send(n * 2).unwrap();
                }
            })
        })
        .collect();
    let askers: Vec<_> = (0..4)
        .map(|_| {
            let jobs_tx = jobs_tx.clone();
            thread::spawn(move || {
                let mut sum = 0u64;
                for n in 0..PER_THREAD {
                    let (tx, rx) = oneshot::channel();
                    jobs_tx.send((n, tx)).unwrap();
                    let doubled = if n % 2 == 0 {
                        rx.blocking_recv().unwrap()
                    } else {
                        block_on(rx).unwrap()
                    };
                    assert_eq!(doubled, n * 2);
                    sum += u64::from(doubled);
                }
                sum
            })
        })
        .collect();
    drop(jobs_tx);
    let total: u64 = askers.into_iter().map(|t| t.join().unwrap()).sum();
    responders.into_iter().for_each(|t| t.join().unwrap());
    let per_thread: u64 = (0..u64::from(PER_THREAD)).map(|n| n * 2).sum();
    assert_eq!(total, 4 * per_thread);
}

#[test]
fn tasks_on_an_eddy_runtime_reply_through_oneshots() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let got = rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        eddy::spawn(async move {
            eddy::task::yield_now().await;
            tx.send(42).unwrap();
        });
        rx.await.unwrap()
    });
    assert_eq!(got, 42);
}
