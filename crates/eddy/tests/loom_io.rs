//! Loom models of the I/O readiness slot: a task registering its waker (in
//! the lock-free per-direction slot or on the waiter list) while the reactor
//! delivers an event is never left unwoken, including when the task clears
//! stale readiness at the same moment. The models live beside the code in
//! `runtime/io/loom_models.rs`.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p eddy --test loom_io --release`
#![cfg(loom)]

use eddy::runtime::__loom_io as models;

#[test]
fn slot_register_races_an_event() {
    models::slot_register_races_an_event();
}

#[test]
fn slot_reregister_races_an_event() {
    models::slot_reregister_races_an_event();
}

#[test]
fn list_waiter_races_an_event() {
    models::list_waiter_races_an_event();
}

#[test]
fn clear_races_a_new_event() {
    models::clear_races_a_new_event();
}

#[test]
fn edge_skip_never_loses_a_wake() {
    models::edge_skip_never_loses_a_wake();
}
