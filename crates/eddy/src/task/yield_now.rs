//! [`yield_now`]: give other tasks a turn.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Returns `Pending` once (after waking the task), so the scheduler runs
/// the other ready tasks before this one continues (on a current-thread
/// runtime: deterministically, as below; on a multi-thread runtime the
/// task goes to the back of its worker's queue).
///
/// ```
/// let rt = eddy::runtime::Builder::new_current_thread().build()?;
/// rt.block_on(async {
///     let other = eddy::spawn(async { "ran" });
///     eddy::task::yield_now().await;
///     assert!(other.is_finished());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
