//! Loom models of the task state machine and waker: every interleaving of
//! a wake, an abort, a join and a completion racing on two threads.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p eddy --test loom_task --release`
#![cfg(loom)]

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use eddy::task::loom_support::ModelScheduler;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Mutex};
use loom::thread;

/// Counts drops of the value it is moved into.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

fn flag_waker() -> (std::sync::Arc<Flag>, Waker) {
    let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
    (flag.clone(), Waker::from(flag))
}

/// A future that parks its waker in `slot` on the first poll and completes
/// on the second.
fn wait_for_wake(
    slot: Arc<Mutex<Option<Waker>>>,
    drops: Arc<AtomicUsize>,
) -> impl Future<Output = u32> + Send {
    let guard = DropCount(drops);
    let mut polled = false;
    poll_fn(move |cx| {
        let _ = &guard;
        if polled {
            Poll::Ready(7)
        } else {
            polled = true;
            *slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    })
}

#[test]
fn remote_wake_races_with_the_poll() {
    loom::model(|| {
        let sched = ModelScheduler::new();
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let drops = Arc::new(AtomicUsize::new(0));
        let mut join = sched.spawn(wait_for_wake(slot.clone(), drops.clone()));
        let waker_thread = {
            let slot = slot.clone();
            thread::spawn(move || {
                // Wake whatever waker is there (maybe none yet).
                if let Some(w) = slot.lock().unwrap().take() {
                    w.wake();
                }
            })
        };
        sched.run_all(4);
        waker_thread.join().unwrap();
        // If the wake came before the waker was stored, wake again now.
        if let Some(w) = slot.lock().unwrap().take() {
            w.wake();
        }
        sched.run_all(4);
        let (_, waker) = flag_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(
            Pin::new(&mut join).poll(&mut cx),
            Poll::Ready(Ok(7))
        ));
        assert_eq!(drops.load(SeqCst), 1);
        assert_eq!(sched.owned(), 0);
    });
}

#[test]
fn abort_races_with_completion() {
    loom::model(|| {
        let sched = ModelScheduler::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(drops.clone());
        let join = sched.spawn(async move {
            let _g = guard;
            1u32
        });
        let abort = join.abort_handle();
        let aborter = thread::spawn(move || abort.abort());
        sched.run_all(4);
        aborter.join().unwrap();
        sched.run_all(4);
        assert!(join.is_finished());
        let (_, waker) = flag_waker();
        let mut join = join;
        match Pin::new(&mut join).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(Ok(1)) => {}
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn join_handle_drop_races_with_completion() {
    loom::model(|| {
        let sched = ModelScheduler::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let output = DropCount(drops.clone());
        let join = sched.spawn(async move { output });
        let dropper = thread::spawn(move || drop(join));
        sched.run_all(4);
        dropper.join().unwrap();
        // The output is dropped exactly once, by whichever side owned it.
        assert_eq!(drops.load(SeqCst), 1);
        assert_eq!(sched.owned(), 0);
    });
}

#[test]
fn join_waker_is_woken_or_the_output_is_seen() {
    loom::model(|| {
        let sched = ModelScheduler::new();
        let mut join = sched.spawn(async { 3u32 });
        let poller = thread::spawn(move || {
            let (flag, waker) = flag_waker();
            let mut cx = Context::from_waker(&waker);
            match Pin::new(&mut join).poll(&mut cx) {
                Poll::Ready(out) => {
                    assert_eq!(out.unwrap(), 3);
                    None
                }
                Poll::Pending => Some((flag, join)),
            }
        });
        sched.run_all(4);
        if let Some((flag, mut join)) = poller.join().unwrap() {
            // Pending then: the completion must have woken the join waker.
            assert!(flag.0.load(SeqCst), "join waker lost");
            let (_, waker) = flag_waker();
            let out = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
            assert!(matches!(out, Poll::Ready(Ok(3))));
        }
    });
}

#[test]
fn shutdown_races_with_a_remote_wake() {
    loom::model(|| {
        let sched = ModelScheduler::new();
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let drops = Arc::new(AtomicUsize::new(0));
        let join = sched.spawn(wait_for_wake(slot.clone(), drops.clone()));
        sched.run_all(2);
        let waker = slot.lock().unwrap().take().expect("polled once");
        let waker_thread = thread::spawn(move || {
            waker.wake_by_ref();
            drop(waker);
        });
        sched.shutdown();
        waker_thread.join().unwrap();
        sched.shutdown();
        assert_eq!(drops.load(SeqCst), 1);
        assert!(join.is_finished());
    });
}

#[test]
fn a_task_is_never_polled_concurrently() {
    loom::model(|| {
        let sched = ModelScheduler::new();
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let in_poll = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let future = {
            let (slot, in_poll, polls) = (slot.clone(), in_poll.clone(), polls.clone());
            poll_fn(move |cx| {
                assert_eq!(in_poll.fetch_add(1, SeqCst), 0, "polled concurrently");
                let n = polls.fetch_add(1, SeqCst);
                *slot.lock().unwrap() = Some(cx.waker().clone());
                in_poll.fetch_sub(1, SeqCst);
                if n < 1 {
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
        };
        let join = sched.spawn(future);
        sched.run_one();
        let waker = slot.lock().unwrap().take().expect("polled once");
        let waker_thread = thread::spawn(move || waker.wake());
        let other = {
            let sched = sched.clone();
            thread::spawn(move || sched.run_all(2))
        };
        sched.run_all(2);
        waker_thread.join().unwrap();
        other.join().unwrap();
        sched.run_all(2);
        assert!(join.is_finished());
        assert_eq!(polls.load(SeqCst), 2);
        drop(slot.lock().unwrap().take());
    });
}
