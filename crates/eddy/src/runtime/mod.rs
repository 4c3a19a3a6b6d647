//! The runtime: a scheduler that polls tasks, and the driver stack (I/O
//! reactor + timers) it parks on when there is nothing to run.
//!
//! * [`Builder`] configures and builds a [`Runtime`].
//! * [`Runtime`] owns the scheduler and drivers: `block_on`, `spawn`,
//!   shutdown on drop.
//! * [`Handle`] is a cloneable reference to a runtime: what tasks, I/O
//!   resources and timers hold, and what [`Handle::current`] returns inside
//!   one.
//!
//! Internally: `scheduler` (current-thread and multi-thread),
//! `driver` (the driver stack), `io` (registrations with the reactor),
//! `coop` (the cooperative budget), `context` (the thread-local current
//! runtime).

mod builder;
pub(crate) mod context;
pub(crate) mod coop;
pub(crate) mod driver;
mod handle;
pub(crate) mod io;
#[allow(clippy::module_inception)]
mod runtime;
pub(crate) mod scheduler;

pub use builder::Builder;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use runtime::Runtime;

/// The multi-thread scheduler's loom models (run by `tests/loom_mt.rs`).
#[cfg(loom)]
#[doc(hidden)]
pub use scheduler::multi_thread::loom_models as __loom_mt;

/// The readiness slot's loom models (run by `tests/loom_io.rs`).
#[cfg(loom)]
#[doc(hidden)]
pub use io::loom_models as __loom_io;
