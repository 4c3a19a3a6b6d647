//! RwLock: shared readers, exclusive writers, fairness (a waiting writer
//! holds back later readers), cancel safety, four threads hammering.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::thread;

use eddy::sync::RwLock;
use futures_lite::future::{block_on, poll_once};

fn polled_ready<F: Future + ?Sized>(future: &mut Pin<Box<F>>) -> bool {
    block_on(poll_once(future.as_mut())).is_some()
}

#[test]
fn readers_share_and_writers_exclude() {
    let lock = RwLock::new(0);
    let a = lock.try_read().unwrap();
    let b = lock.try_read().unwrap();
    assert!(lock.try_write().is_err());
    drop((a, b));
    let w = lock.try_write().unwrap();
    assert!(lock.try_read().is_err());
    drop(w);
}

#[test]
fn a_waiting_writer_holds_back_later_readers() {
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut writer = Box::pin(lock.write());
    assert!(!polled_ready(&mut writer));
    assert!(
        lock.try_read().is_err(),
        "a reader may not overtake the waiting writer"
    );
    let mut late_reader = Box::pin(lock.read());
    assert!(!polled_ready(&mut late_reader));
    drop(reader);
    assert!(!polled_ready(&mut late_reader));
    assert!(polled_ready(&mut writer));
    drop(writer);
    assert!(polled_ready(&mut late_reader));
}

#[test]
fn a_dropped_writer_future_releases_what_it_gathered() {
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut writer = Box::pin(lock.write());
    assert!(!polled_ready(&mut writer));
    drop(writer);
    assert!(
        lock.try_read().is_ok(),
        "readers proceed once the writer gave up"
    );
    drop(reader);
    assert!(lock.try_write().is_ok());
}

#[test]
fn four_threads_hammering_never_see_a_torn_pair() {
    const PER_THREAD: u64 = 5_000;
    let lock = Arc::new(RwLock::new((0u64, 0u64)));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let lock = lock.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    if (t + i) % 4 == 0 {
                        let mut pair = lock.blocking_write();
                        pair.0 += 1;
                        pair.1 += 1;
                    } else {
                        let pair = block_on(lock.read());
                        assert_eq!(pair.0, pair.1, "a reader saw a half-done write");
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let pair = *lock.blocking_read();
    assert_eq!(pair, (PER_THREAD, PER_THREAD));
}
