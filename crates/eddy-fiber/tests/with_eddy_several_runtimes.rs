//! Fibers hosted on several eddy runtimes: each runtime gets its own fiber
//! scheduler on the thread driving it, whether the runtimes share a thread
//! or run on threads of their own; a handle this thread does not drive is
//! a clear error.

use std::io::ErrorKind;
use std::time::Duration;

use eddy::runtime::{Builder, Handle};
use eddy_fiber::{spawn_on, try_spawn_on};

/// Ten fibers on the current runtime, each sleeping and yielding, summed.
async fn fibers_sum(base: u64) -> u64 {
    let handle = Handle::current();
    let fibers: Vec<_> = (0..10)
        .map(|i| {
            spawn_on(&handle, move || {
                eddy_fiber::sleep(Duration::from_millis(1));
                eddy_fiber::yield_now();
                base + i
            })
        })
        .collect();
    let mut sum = 0;
    for fiber in fibers {
        sum += fiber.await.unwrap();
    }
    sum
}

#[test]
fn two_runtimes_on_one_thread_each_run_their_own_fibers() {
    let first = Builder::new_current_thread().build().unwrap();
    let second = Builder::new_current_thread().build().unwrap();
    // A fiber of `first` parks on a channel across the other runtime's turn.
    let (tx, rx) = eddy_fiber::sync::channel::<u64>();
    let waiting = first.block_on(async {
        let fiber = spawn_on(&Handle::current(), move || rx.recv().unwrap() * 2);
        assert_eq!(fibers_sum(100).await, 1045);
        // Handed out of `block_on` unawaited, to be awaited on a later one.
        Some(fiber)
    });
    let waiting = waiting.expect("the parked fiber's handle");
    assert_eq!(second.block_on(fibers_sum(200)), 2045);
    // Back on `first`: its scheduler still holds the parked fiber.
    let doubled = first.block_on(async move {
        let handle = Handle::current();
        spawn_on(&handle, move || tx.send(21).unwrap())
            .await
            .unwrap();
        waiting.await.unwrap()
    });
    assert_eq!(doubled, 42);
    assert_eq!(second.block_on(fibers_sum(300)), 3045);
}

#[test]
fn runtimes_on_different_threads_host_fibers_at_the_same_time() {
    let threads: Vec<_> = (1..=3u64)
        .map(|t| {
            std::thread::spawn(move || {
                let rt = Builder::new_current_thread().build().unwrap();
                rt.block_on(async move {
                    let here = std::thread::current().id();
                    let fiber = spawn_on(&Handle::current(), move || {
                        std::thread::current().id() == here
                    });
                    assert!(fiber.await.unwrap(), "fibers run on their runtime's thread");
                    fibers_sum(t * 1000).await
                })
            })
        })
        .collect();
    let sums: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(sums, vec![10_045, 20_045, 30_045]);
}

#[test]
fn a_handle_not_driven_by_this_thread_is_an_error() {
    let rt = Builder::new_current_thread().build().unwrap();
    // Outside any runtime.
    let err = try_spawn_on(rt.handle(), || ()).map(drop).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string()
            .contains("not the runtime running on this thread"),
        "{err}"
    );
    // Inside another runtime.
    let other = Builder::new_current_thread().build().unwrap();
    let err = other
        .block_on(async { try_spawn_on(rt.handle(), || ()).map(drop) })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // Entered but not driven (no block_on on this thread).
    let guard = rt.enter();
    let err = try_spawn_on(rt.handle(), || ()).map(drop).unwrap_err();
    drop(guard);
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    // The runtime can still host fibers afterwards.
    assert_eq!(rt.block_on(fibers_sum(0)), 45);
}
