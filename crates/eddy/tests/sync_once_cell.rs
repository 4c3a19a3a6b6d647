//! OnceCell: one initialiser runs even under concurrency, a failed or
//! cancelled initialiser lets the next one try, `set` and `get`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use eddy::sync::{OnceCell, SetError};
use futures_lite::future::{block_on, poll_once};

#[test]
fn set_then_get() {
    let cell = OnceCell::new();
    assert_eq!(cell.get(), None);
    cell.set(1).unwrap();
    assert_eq!(cell.set(2), Err(SetError::AlreadyInitialized(2)));
    assert_eq!(cell.get(), Some(&1));
}

#[test]
fn set_fails_while_an_initialiser_runs() {
    let cell = OnceCell::new();
    let mut init = Box::pin(cell.get_or_init(std::future::pending::<u8>));
    assert!(block_on(poll_once(init.as_mut())).is_none());
    assert_eq!(cell.set(1), Err(SetError::InitializingError(1)));
    drop(init);
    assert!(cell.set(1).is_ok());
}

#[test]
fn a_cancelled_initialiser_lets_the_next_caller_initialise() {
    let cell = OnceCell::new();
    let mut stuck = Box::pin(cell.get_or_init(std::future::pending::<u8>));
    assert!(block_on(poll_once(stuck.as_mut())).is_none());
    let mut next = Box::pin(cell.get_or_init(|| async { 7 }));
    assert!(
        block_on(poll_once(next.as_mut())).is_none(),
        "waits for the running initialiser"
    );
    drop(stuck);
    assert_eq!(block_on(next), &7);
}

#[test]
fn a_failed_initialiser_leaves_the_cell_empty() {
    let cell = OnceCell::<u8>::new();
    assert_eq!(
        block_on(cell.get_or_try_init(|| async { Err("boom") })),
        Err("boom")
    );
    assert!(!cell.initialized());
    assert_eq!(
        block_on(cell.get_or_try_init(|| async { Ok::<_, &str>(1) })),
        Ok(&1)
    );
}

#[test]
fn four_threads_hammering_run_the_initialiser_once() {
    for _ in 0..200 {
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (cell, runs) = (cell.clone(), runs.clone());
                thread::spawn(move || {
                    *block_on(cell.get_or_init(|| async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        t
                    }))
                })
            })
            .collect();
        let values: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(values.iter().all(|v| *v == values[0]));
    }
}
