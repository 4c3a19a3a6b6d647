//! mpsc additions: weak senders (upgrade only while a strong sender lives;
//! they never keep the channel open), `recv_many` (batches, cancel safety,
//! closing, four producer threads) and `send_timeout` (the value comes back
//! on timeout and on close).

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::thread;
use std::time::{Duration, Instant};

use eddy::sync::mpsc::{self, error::SendTimeoutError};
use futures_lite::future::{block_on, poll_once};

/// Polls `future` once; true if it completed.
fn polled_ready<F: Future + ?Sized>(future: &mut Pin<Box<F>>) -> bool {
    block_on(poll_once(future.as_mut())).is_some()
}

fn runtime() -> eddy::runtime::Runtime {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build a current-thread runtime")
}

#[test]
fn weak_sender_upgrades_while_a_sender_lives_and_never_after() {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().expect("a strong sender is alive");
    assert_eq!(tx.strong_count(), 2);
    drop(tx);
    // The upgraded sender is a full sender: the channel is still open.
    upgraded.try_send(7).unwrap();
    assert_eq!(rx.try_recv(), Ok(7));
    drop(upgraded);
    assert!(weak.upgrade().is_none());
    assert!(weak.clone().upgrade().is_none());
    assert_eq!(rx.blocking_recv(), None);
}

#[test]
fn weak_senders_do_not_keep_the_channel_open() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let weak = tx.downgrade();
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.blocking_recv(), Some(1));
    assert_eq!(rx.blocking_recv(), None);
    assert!(rx.is_closed());
    assert!(weak.upgrade().is_none());
}

#[test]
fn upgrades_racing_the_last_drop_never_revive_the_channel() {
    for _ in 0..200 {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let weak = tx.downgrade();
        let upgrader = thread::spawn(move || {
            let mut sent = 0;
            while let Some(tx) = weak.upgrade() {
                if tx.send(sent).is_ok() {
                    sent += 1;
                }
            }
            sent
        });
        drop(tx);
        // Once the receiver sees the end, nothing may arrive after it.
        let mut received = 0;
        while rx.blocking_recv().is_some() {
            received += 1;
        }
        let sent = upgrader.join().unwrap();
        assert_eq!(received, sent);
        assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
    }
}

#[test]
fn recv_many_takes_up_to_the_limit_in_order() {
    let (tx, mut rx) = mpsc::channel(16);
    for i in 0..10 {
        tx.try_send(i).unwrap();
    }
    let mut buffer = vec![-1];
    block_on(async {
        assert_eq!(rx.recv_many(&mut buffer, 4).await, 4);
        assert_eq!(rx.recv_many(&mut buffer, 0).await, 0);
        assert_eq!(rx.recv_many(&mut buffer, 100).await, 6);
    });
    assert_eq!(buffer, [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The slots came back: the channel has room for 16 again.
    assert_eq!(tx.capacity(), 16);
    assert_eq!(tx.max_capacity(), 16);
}

#[test]
fn recv_many_returns_zero_only_once_closed_and_drained() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tx.send('a').unwrap();
    let mut buffer = Vec::new();
    let mut waiting = Box::pin(async {
        let first = rx.recv_many(&mut buffer, 8).await;
        let second = rx.recv_many(&mut buffer, 8).await;
        (first, second, buffer)
    });
    assert!(!polled_ready(&mut waiting), "an open, empty channel waits");
    drop(tx);
    let (first, second, buffer) = block_on(waiting);
    assert_eq!((first, second), (1, 0));
    assert_eq!(buffer, ['a']);

    let (tx, mut rx) = mpsc::channel::<u8>(1);
    tx.try_send(1).unwrap();
    rx.close();
    let mut buffer = Vec::new();
    assert_eq!(block_on(rx.recv_many(&mut buffer, 8)), 1);
    assert_eq!(block_on(rx.recv_many(&mut buffer, 8)), 0);
}

#[test]
fn dropping_a_recv_many_future_never_loses_a_message() {
    let (tx, mut rx) = mpsc::channel(8);
    let mut buffer = Vec::new();
    {
        let mut pending = Box::pin(rx.recv_many(&mut buffer, 8));
        assert!(!polled_ready(&mut pending));
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        // Dropped after the messages arrived but before it was polled again.
    }
    assert!(buffer.is_empty());
    assert_eq!(block_on(rx.recv_many(&mut buffer, 8)), 2);
    assert_eq!(buffer, [1, 2]);
}

#[test]
fn four_threads_feeding_recv_many() {
    const PER_THREAD: u32 = 20_000;
    let (tx, mut rx) = mpsc::channel::<(u32, u32)>(64);
    let producers: Vec<_> = (0..4)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    tx.blocking_send((id, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u32; 4];
    let mut buffer = Vec::new();
    let mut total = 0;
    loop {
        buffer.clear();
        let n = block_on(rx.recv_many(&mut buffer, 50));
        if n == 0 {
            break;
        }
        assert!(n <= 50);
        assert_eq!(buffer.len(), n);
        for &(id, i) in &buffer {
            assert_eq!(next[id as usize], i, "per-producer order");
            next[id as usize] += 1;
        }
        total += n;
    }
    for producer in producers {
        producer.join().unwrap();
    }
    assert_eq!(total, 4 * PER_THREAD as usize);
    assert_eq!(next, [PER_THREAD; 4]);
}

#[test]
fn send_timeout_gives_the_value_back_when_full_and_when_closed() {
    runtime().block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send_timeout(1, Duration::from_millis(50)).await.unwrap();
        let start = Instant::now();
        let error = tx.send_timeout(2, Duration::from_millis(30)).await;
        let waited = start.elapsed();
        assert_eq!(error, Err(SendTimeoutError::Timeout(2)));
        assert!(
            waited >= Duration::from_millis(30),
            "gave up after {waited:?}"
        );
        assert!(waited < Duration::from_secs(3), "gave up after {waited:?}");
        // The timed-out send left no slot behind: the channel holds one message.
        assert_eq!(tx.capacity(), 0);
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(tx.capacity(), 1);

        rx.close();
        let error = tx.send_timeout(3, Duration::from_secs(5)).await;
        assert_eq!(error, Err(SendTimeoutError::Closed(3)));
    });
}

#[test]
fn send_timeout_succeeds_when_room_appears_in_time() {
    runtime().block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let receiver = eddy::spawn(async move {
            let mut got = HashSet::new();
            while let Some(v) = rx.recv().await {
                got.insert(v);
            }
            got
        });
        tx.send_timeout(1, Duration::from_secs(10)).await.unwrap();
        drop(tx);
        assert_eq!(receiver.await.unwrap(), HashSet::from([0, 1]));
    });
}

#[test]
fn a_waiting_send_timeout_fails_with_its_value_when_the_receiver_goes() {
    runtime().block_on(async {
        let (tx, rx) = mpsc::channel(1);
        tx.send("first").await.unwrap();
        let dropper = eddy::spawn(async move {
            eddy::task::yield_now().await;
            drop(rx);
        });
        let error = tx.send_timeout("second", Duration::from_secs(10)).await;
        assert_eq!(error, Err(SendTimeoutError::Closed("second")));
        dropper.await.unwrap();
    });
}
