//! The synchronisation primitives the runtime uses, from `std` normally and
//! from the `loom` model checker under `--cfg loom`.
//!
//! Code that is model-checked (the task state word, the waker paths, the
//! multi-thread run queues and parking) imports its atomics, locks and
//! cells from here, never from `std` directly, so the same source runs
//! under `RUSTFLAGS="--cfg loom" cargo test -p eddy --test loom_task
//! --release`.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::atomic;
    #[allow(unused_imports)]
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};
}

#[cfg(loom)]
pub(crate) mod sync {
    #[allow(unused_imports)]
    pub(crate) use loom::sync::atomic;
    #[allow(unused_imports)]
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
}

/// `UnsafeCell` with loom's closure API (`with` / `with_mut`), so loom can
/// check the accesses; a zero-cost wrapper over `std`'s cell otherwise.
#[cfg(not(loom))]
pub(crate) mod cell {
    /// A cell whose accesses go through closures.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[allow(dead_code)]
    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> UnsafeCell<T> {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared pointer to the value.
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a mutable pointer to the value.
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(loom)]
pub(crate) mod cell {
    pub(crate) use loom::cell::UnsafeCell;
}
