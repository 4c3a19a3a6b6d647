//! Eddy: an async runtime built from the OS up.
//!
//! Futures do nothing until polled. A runtime is what polls them: an
//! *executor* that runs tasks, a *reactor* that waits on the OS event queue
//! (`eddy_poll`, epoll), and the *wakers* that connect the two: an I/O event
//! or a timer wakes the task waiting for it, and the executor polls it
//! again.
//!
//! # Map of the crate
//!
//! * [`runtime`]: [`Runtime`](runtime::Runtime), its
//!   [`Builder`](runtime::Builder) and [`Handle`](runtime::Handle). Inside:
//!   the scheduler (`runtime::scheduler`), the driver stack (I/O reactor +
//!   timer wheel, `runtime::driver`), I/O registrations (`runtime::io`) and
//!   the cooperative budget (`runtime::coop`).
//! * [`task`]: [`spawn`], [`JoinHandle`](task::JoinHandle),
//!   [`JoinSet`](task::JoinSet), [`LocalSet`](task::LocalSet),
//!   [`spawn_local`](task::spawn_local), [`yield_now`](task::yield_now).
//!   Inside: the task allocation and its state machine.
//! * [`time`]: [`sleep`](time::sleep), [`timeout`](time::timeout),
//!   [`interval`](time::interval) on a hierarchical timing wheel.
//! * [`net`]: TCP, UDP and Unix sockets; [`io`]: async I/O traits and
//!   helpers.
//! * [`fs`]: files and directories, and
//!   [`spawn_blocking`](task::spawn_blocking): blocking calls, both on the
//!   runtime's blocking pool (`eddy-threadpool`).
//! * [`signal`]: [`ctrl_c`](signal::ctrl_c) and Unix signals as async
//!   events (one self-pipe per process, registered once per reactor).
//! * [`main`] and [`test`]: attribute macros that start a runtime.
//!
//! # Example
//!
//! ```
//! use eddy::time::{sleep, Duration};
//!
//! #[eddy::main]
//! async fn main() {
//!     let task = eddy::spawn(async {
//!         sleep(Duration::from_millis(1)).await;
//!         "hello from a task"
//!     });
//!     println!("{}", task.await.unwrap());
//! }
//! ```
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

mod loom;
#[macro_use]
mod syscall;

pub mod fs;
pub mod io;
pub mod net;
pub mod runtime;
pub mod signal;
/// Channels, locks and signalling for async tasks: mpsc, oneshot, broadcast,
/// watch, Mutex, RwLock, Semaphore, Notify, Barrier, OnceCell.
pub mod sync;
pub mod task;
pub mod time;

pub use task::spawn;

/// Marks `async fn main` to run on an Eddy runtime.
///
/// Arguments: `flavor = "multi_thread"` (the default: a work-stealing pool
/// with one worker per CPU, or `EDDY_WORKER_THREADS`) or
/// `flavor = "current_thread"`, and `worker_threads = N` (multi-thread
/// only).
///
/// ```
/// #[eddy::main(flavor = "current_thread")]
/// async fn main() {
///     assert_eq!(eddy::spawn(async { 1 }).await.unwrap(), 1);
/// }
/// ```
///
/// Wrong arguments are compile errors pointing at the argument:
///
/// ```compile_fail
/// #[eddy::main(flavor = "single_thread")] // unknown flavor
/// async fn main() {}
/// ```
///
/// ```compile_fail
/// #[eddy::main]
/// fn main() {} // not async
/// ```
pub use eddy_macros::main;

/// Marks an `async fn` test to run on its own Eddy runtime (current-thread
/// by default; same arguments as [`main`]).
///
/// ```
/// #[eddy::test]
/// async fn adds() {
///     assert_eq!(eddy::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
/// ```
pub use eddy_macros::test;

#[doc(hidden)]
pub mod __private {
    //! Used by the code `#[eddy::main]` and `#[eddy::test]` expand to.
    pub use crate::runtime::Builder;
}
