//! Running a sync future to completion on the calling thread, for the
//! `blocking_*` methods (`blocking_send`, `blocking_recv`, `blocking_lock`...).
//!
//! The thread parks until the future's waker unparks it. These methods exist
//! for plain threads that talk to async code; calling one on a runtime thread
//! would block every task scheduled there, so that is refused with a panic
//! naming the method, as tokio does.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes a parked thread.
struct ThreadUnparker(Thread);

impl Wake for ThreadUnparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between polls, until it completes.
///
/// `method` names the caller for the panic message when called from inside an
/// Eddy runtime.
pub(crate) fn block_on<F: Future>(method: &str, future: F) -> F::Output {
    assert_outside_runtime(method);
    let waker = Waker::from(Arc::new(ThreadUnparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

/// Panics with a clear message if the calling thread runs an Eddy runtime.
fn assert_outside_runtime(method: &str) {
    if !crate::runtime::context::may_block() {
        panic!(
            "{method} was called from inside an Eddy runtime: it would block the thread that runs \
             the tasks; use the async method (`.await`) or call it from a plain thread"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_on_waits_for_a_wake_from_another_thread() {
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let mut fired = false;
        let waker_thread =
            thread::spawn(move || rx.recv().expect("the future sends its waker").wake());
        let value = block_on(
            "test",
            std::future::poll_fn(|cx| {
                if fired {
                    Poll::Ready(7)
                } else {
                    fired = true;
                    tx.send(cx.waker().clone()).expect("waker thread is alive");
                    Poll::Pending
                }
            }),
        );
        assert_eq!(value, 7);
        waker_thread.join().expect("waker thread does not panic");
    }
}
