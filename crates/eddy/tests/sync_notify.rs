//! Notify: stored permit, FIFO `notify_one`, `notify_waiters` reaching
//! futures not yet polled, a notification given to a dropped future going
//! to the next waiter, four threads hammering without a lost wake-up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use eddy::sync::Notify;
use futures_lite::future::{block_on, poll_once};

#[test]
fn notify_one_with_nobody_waiting_stores_one_permit() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    block_on(notify.notified());
    let mut second = notify.notified();
    assert!(
        block_on(poll_once(&mut second)).is_none(),
        "permits do not accumulate"
    );
}

#[test]
fn notify_one_wakes_the_oldest_waiter_only() {
    let notify = Notify::new();
    let mut first = notify.notified();
    let mut second = notify.notified();
    assert!(block_on(poll_once(&mut first)).is_none());
    assert!(block_on(poll_once(&mut second)).is_none());
    notify.notify_one();
    assert!(block_on(poll_once(&mut second)).is_none());
    assert!(block_on(poll_once(&mut first)).is_some());
}

#[test]
fn notify_waiters_reaches_futures_created_before_it_even_unpolled() {
    let notify = Notify::new();
    let mut polled = notify.notified();
    assert!(block_on(poll_once(&mut polled)).is_none());
    let mut unpolled = notify.notified();
    notify.notify_waiters();
    let mut later = notify.notified();
    assert!(block_on(poll_once(&mut polled)).is_some());
    assert!(block_on(poll_once(&mut unpolled)).is_some());
    assert!(
        block_on(poll_once(&mut later)).is_none(),
        "notify_waiters stores no permit"
    );
}

#[test]
fn a_notification_given_to_a_dropped_future_goes_to_the_next_waiter() {
    let notify = Notify::new();
    let mut first = notify.notified();
    let mut second = notify.notified();
    assert!(block_on(poll_once(&mut first)).is_none());
    assert!(block_on(poll_once(&mut second)).is_none());
    notify.notify_one(); // chooses `first`
    drop(first);
    assert!(block_on(poll_once(&mut second)).is_some());
}

#[test]
fn a_notification_given_to_a_dropped_future_becomes_the_permit_if_nobody_waits() {
    let notify = Notify::new();
    let mut only = notify.notified();
    assert!(block_on(poll_once(&mut only)).is_none());
    notify.notify_one();
    drop(only);
    block_on(notify.notified());
}

#[test]
fn four_threads_hammering_lose_no_wake_up() {
    const PER_THREAD: usize = 10_000;
    let notify = Arc::new(Notify::new());
    let counter = Arc::new(AtomicUsize::new(0));
    let producers: Vec<_> = (0..4)
        .map(|t| {
            let (notify, counter) = (notify.clone(), counter.clone());
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    counter.fetch_add(1, Ordering::SeqCst);
                    if (t + i) % 2 == 0 {
                        notify.notify_one()
                    } else {
                        notify.notify_waiters()
                    }
                }
            })
        })
        .collect();
    block_on(async {
        loop {
            let notified = notify.notified();
            if counter.load(Ordering::SeqCst) == 4 * PER_THREAD {
                break;
            }
            notified.await;
        }
    });
    producers.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(counter.load(Ordering::SeqCst), 4 * PER_THREAD);
}
