//! The examples crate: nothing to use here. The programs are the `[[example]]`
//! targets in this folder; run one with `cargo run --release --example NAME`.
