//! Mutex: exclusion, FIFO hand-over, cancel safety of `lock` (including a
//! future dropped after it was handed the lock), owned guards, four threads
//! hammering, and use on Eddy's runtime.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::thread;

use eddy::sync::Mutex;
use futures_lite::future::{block_on, poll_once};

fn polled_ready<F: Future + ?Sized>(future: &mut Pin<Box<F>>) -> bool {
    block_on(poll_once(future.as_mut())).is_some()
}

#[test]
fn try_lock_fails_while_locked_and_succeeds_after() {
    let mutex = Mutex::new(1);
    let guard = mutex.try_lock().unwrap();
    assert!(mutex.try_lock().is_err());
    drop(guard);
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}

#[test]
fn dropping_a_waiting_lock_future_leaves_the_mutex_unlocked() {
    let mutex = Mutex::new(());
    let guard = mutex.try_lock().unwrap();
    let mut waiting = Box::pin(mutex.lock());
    assert!(!polled_ready(&mut waiting));
    drop(waiting);
    drop(guard);
    assert!(mutex.try_lock().is_ok());
}

#[test]
fn a_lock_future_dropped_after_being_handed_the_lock_passes_it_on() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    let mut first = Box::pin(mutex.lock());
    let mut second = Box::pin(mutex.lock());
    assert!(!polled_ready(&mut first));
    assert!(!polled_ready(&mut second));
    drop(guard); // hands the lock to `first`
    drop(first); // without polling it again
    assert!(polled_ready(&mut second));
    drop(second);
    assert!(mutex.try_lock().is_ok(), "the lock was not leaked");
}

#[test]
fn waiters_get_the_lock_in_fifo_order() {
    let mutex = Mutex::new(Vec::new());
    let guard = mutex.try_lock().unwrap();
    let mut waiting: Vec<_> = (0..5)
        .map(|i| {
            let mutex = &mutex;
            Box::pin(async move { mutex.lock().await.push(i) })
        })
        .collect();
    for future in waiting.iter_mut().rev() {
        assert!(!polled_ready(future)); // queued in reverse index order
    }
    drop(guard);
    for future in waiting.iter_mut().rev() {
        assert!(polled_ready(future));
    }
    assert_eq!(*mutex.try_lock().unwrap(), [4, 3, 2, 1, 0]);
}

#[test]
fn a_new_locker_does_not_overtake_a_waiter() {
    let mutex = Mutex::new(());
    let guard = mutex.try_lock().unwrap();
    let mut waiter = Box::pin(mutex.lock());
    assert!(!polled_ready(&mut waiter));
    drop(guard); // handed to `waiter`
    assert!(mutex.try_lock().is_err());
    assert!(polled_ready(&mut waiter));
}

#[test]
fn owned_guard_moves_to_another_thread() {
    let mutex = Arc::new(Mutex::new(0));
    let mut guard = block_on(mutex.clone().lock_owned());
    thread::spawn(move || *guard += 1).join().unwrap();
    assert_eq!(*mutex.blocking_lock(), 1);
}

#[test]
fn four_threads_hammering_count_exactly() {
    const PER_THREAD: u64 = 10_000;
    let mutex = Arc::new(Mutex::new(0u64));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let mutex = mutex.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    match (t + i) % 3 {
                        0 => *mutex.blocking_lock() += 1,
                        1 => block_on(async { *mutex.lock().await += 1 }),
                        _ => *block_on(mutex.clone().lock_owned()) += 1,
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(*mutex.blocking_lock(), 4 * PER_THREAD);
}

#[test]
fn tasks_on_an_eddy_runtime_hold_the_lock_across_awaits() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let total = rt.block_on(async {
        let mutex = Arc::new(Mutex::new(0u32));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let mutex = mutex.clone();
                eddy::spawn(async move {
                    for _ in 0..500 {
                        let mut guard = mutex.lock().await;
                        let seen = *guard;
                        eddy::task::yield_now().await;
                        *guard = seen + 1; // lost updates would show if exclusion failed
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        *mutex.lock().await
    });
    assert_eq!(total, 2_000);
}

#[test]
#[should_panic(expected = "inside an Eddy runtime")]
fn blocking_lock_inside_a_runtime_panics() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mutex = Mutex::new(());
    rt.block_on(async {
        let _guard = mutex.blocking_lock();
    });
}
