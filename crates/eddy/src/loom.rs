//! The synchronisation primitives the runtime uses, from `std` normally and
//! from the `loom` model checker under `--cfg loom`.
//!
//! Code that is model-checked (the task state word, the waker paths) imports
//! its atomics and `Arc` from here, never from `std` directly, so the same
//! source runs under `RUSTFLAGS="--cfg loom" cargo test -p eddy --test
//! loom_task --release`.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::atomic;
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::atomic;
}
