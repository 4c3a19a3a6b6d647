//! Loom models of the multi-thread scheduler: the local run queue (push,
//! pop, overflow and steal racing), two stealers, the injection queue, the
//! parker (no lost unpark, in the driver or on the condvar) and the idle
//! protocol (an injected task is always found). The models live beside the
//! code in `runtime/scheduler/multi_thread/loom_models.rs`.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p eddy --test loom_mt --release`
#![cfg(loom)]

use eddy::runtime::__loom_mt as models;

#[test]
fn local_queue_push_pop_steal() {
    models::local_queue_push_pop_steal();
}

#[test]
fn local_queue_two_stealers() {
    models::local_queue_two_stealers();
}

#[test]
fn inject_push_pop_close() {
    models::inject_push_pop_close();
}

#[test]
fn park_unpark_no_lost_wakeup() {
    models::park_unpark_no_lost_wakeup();
}

#[test]
fn idle_protocol_finds_injected_task() {
    models::idle_protocol_finds_injected_task();
}
