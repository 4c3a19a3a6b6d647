//! Semaphore: FIFO fairness (large requests are not overtaken), cancel
//! safety of `acquire` (permits granted to a dropped future are handed on),
//! closing, owned permits, four threads hammering.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use eddy::sync::{Semaphore, TryAcquireError};
use futures_lite::future::{block_on, poll_once};

fn polled_ready<F: Future + ?Sized>(future: &mut Pin<Box<F>>) -> bool {
    block_on(poll_once(future.as_mut())).is_some()
}

#[test]
fn waiters_are_served_in_fifo_order() {
    let semaphore = Semaphore::new(0);
    let mut waiting: Vec<_> = (0..5)
        .map(|_| Some(Box::pin(semaphore.acquire())))
        .collect();
    for future in waiting.iter_mut().flatten() {
        assert!(block_on(poll_once(future.as_mut())).is_none());
    }
    let mut held = Vec::new();
    for oldest in 0..5 {
        semaphore.add_permits(1);
        // Poll newest first: still only the oldest waiter may complete.
        for (i, slot) in waiting.iter_mut().enumerate().rev() {
            if let Some(future) = slot
                && let Some(permit) = block_on(poll_once(future.as_mut()))
            {
                assert_eq!(i, oldest, "waiter {i} served before waiter {oldest}");
                held.push(permit.unwrap());
                *slot = None;
            }
        }
    }
    assert_eq!(held.len(), 5);
}

#[test]
fn a_large_request_is_not_overtaken_by_later_small_ones() {
    let semaphore = Semaphore::new(2);
    let mut big = Box::pin(semaphore.acquire_many(3));
    assert!(!polled_ready(&mut big));
    assert_eq!(
        semaphore.available_permits(),
        0,
        "the waiter holds the free permits"
    );
    assert_eq!(
        semaphore.try_acquire().err(),
        Some(TryAcquireError::NoPermits)
    );
    let mut small = Box::pin(semaphore.acquire());
    assert!(!polled_ready(&mut small));
    semaphore.add_permits(1);
    assert!(!polled_ready(&mut small));
    assert!(polled_ready(&mut big));
}

#[test]
fn permits_granted_to_a_dropped_future_are_handed_on() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    assert!(!polled_ready(&mut first));
    assert!(!polled_ready(&mut second));
    drop(held); // granted to `first`
    drop(first); // never polled again
    assert!(polled_ready(&mut second));
    drop(second);
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn a_dropped_partial_waiter_returns_what_it_gathered() {
    let semaphore = Semaphore::new(2);
    let mut big = Box::pin(semaphore.acquire_many(5));
    assert!(!polled_ready(&mut big));
    semaphore.add_permits(1);
    assert_eq!(semaphore.available_permits(), 0);
    drop(big);
    assert_eq!(semaphore.available_permits(), 3);
    assert!(semaphore.try_acquire_many(3).is_ok());
}

#[test]
fn close_fails_waiters_and_later_acquires_but_keeps_held_permits() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut waiting = Box::pin(semaphore.acquire());
    assert!(!polled_ready(&mut waiting));
    semaphore.close();
    assert!(block_on(waiting).is_err());
    assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::Closed));
    assert_eq!(held.num_permits(), 1);
    drop(held);
}

#[test]
fn forget_and_add_permits_change_the_count() {
    let semaphore = Semaphore::new(2);
    semaphore.try_acquire().unwrap().forget();
    assert_eq!(semaphore.available_permits(), 1);
    semaphore.add_permits(4);
    assert_eq!(semaphore.available_permits(), 5);
    assert_eq!(semaphore.forget_permits(2), 2);
    assert_eq!(semaphore.available_permits(), 3);
}

#[test]
fn four_threads_hammering_never_exceed_the_permits() {
    const PER_THREAD: usize = 5_000;
    let semaphore = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (semaphore, inside, total) = (semaphore.clone(), inside.clone(), total.clone());
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let permit = if (t + i) % 2 == 0 {
                        block_on(semaphore.clone().acquire_owned()).unwrap()
                    } else {
                        block_on(semaphore.clone().acquire_many_owned(1)).unwrap()
                    };
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(now <= 2, "{now} holders of 2 permits");
                    total.fetch_add(1, Ordering::Relaxed);
                    inside.fetch_sub(1, Ordering::SeqCst);
                    drop(permit);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(total.load(Ordering::Relaxed), 4 * PER_THREAD);
    assert_eq!(semaphore.available_permits(), 2);
}

#[test]
fn tasks_on_an_eddy_runtime_share_permits() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let semaphore = Arc::new(Semaphore::new(3));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let semaphore = semaphore.clone();
                eddy::spawn(async move {
                    let _permit = semaphore.acquire().await.unwrap();
                    eddy::task::yield_now().await;
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(semaphore.available_permits(), 3);
    });
}
