//! A thread pool for blocking work.
//!
//! Async runtimes and event loops must never block their threads: a file
//! read, a DNS lookup or a heavy computation goes to a pool of ordinary
//! threads instead, and the result comes back through a channel. This crate
//! is that pool and nothing else; two policies cover the two common shapes:
//!
//! * [`Builder::elastic`]`(max)`: threads start on demand up to `max`, an
//!   idle thread exits after a keep-alive (default 10 s), work beyond `max`
//!   waits in a FIFO queue. This is what `eddy::task::spawn_blocking` runs on.
//! * [`Builder::fixed`]`(n)`: at most `n` threads, started as work first needs
//!   them and kept until shutdown (libuv's `UV_THREADPOOL_SIZE` policy).
//!
//! # Guarantees
//!
//! * Submitting never fails or panics for lack of threads: if the OS refuses
//!   to start one, the job waits in the queue, the error goes (once per
//!   streak of failures) to the [`Builder::on_spawn_error`] hook, and the
//!   pool retries when a job is next submitted or a running thread frees.
//! * A job that panics does not take its thread down; [`ThreadPool::submit`]
//!   hands the payload back to the submitter through the job's
//!   [`JobHandle`].
//! * [`ThreadPool::shutdown_timeout`] stops accepting work, drops the jobs
//!   still queued (their destructors run on the calling thread) and waits for
//!   the running ones up to a timeout. Dropping the pool does the same
//!   without waiting.
//!
//! # Map
//!
//! * `builder`: [`Builder`], the policy and thread settings.
//! * `pool`: [`ThreadPool`], its queue and the worker loop.
//! * `job`: [`JobHandle`] and [`JobError`], the result channel of one job.
//!
//! # Example
//!
//! ```
//! use eddy_threadpool::Builder;
//!
//! let pool = Builder::elastic(4).thread_name("doc-blocking").build();
//! let job = pool.submit(|| (1..=10).sum::<u32>()).unwrap();
//! assert_eq!(job.join().unwrap(), 55);
//! ```
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

mod builder;
mod job;
mod pool;

pub use builder::Builder;
pub use job::{JobError, JobHandle};
pub use pool::{PoolShutDown, ThreadPool};
