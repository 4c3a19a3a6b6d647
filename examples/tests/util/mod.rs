//! Shared helpers for the example tests: find (or build) an example's
//! binary and run it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The path of example `name` in the same target directory and profile as
/// this test binary, building it with `cargo build --example` when missing.
///
/// Test binaries live in `<target>/<profile>/deps/`; examples in
/// `<target>/<profile>/examples/`.
pub fn example_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary sits in <target>/<profile>/deps");
    let bin = profile_dir.join("examples").join(name);
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "eddy-examples", "--example", name]);
        let profile = profile_dir
            .file_name()
            .and_then(|p| p.to_str())
            .unwrap_or("debug");
        match profile {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        // Build into the same target directory this test came from.
        if let Some(target) = profile_dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target);
        }
        let status = cmd.status().expect("run cargo build --example");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    assert!(bin.exists(), "example binary {} not found", bin.display());
    bin
}

/// Runs example `name` with `args`; returns its output and wall time.
/// Panics with the example's stderr if it fails.
pub fn run_example(name: &str, args: &[&str]) -> (Output, Duration) {
    let bin = example_bin(name);
    let start = Instant::now();
    let out = Command::new(&bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, elapsed)
}

/// The positions of `needles` in `haystack`, asserting each is present and
/// they appear in the given order.
pub fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match haystack[from..].find(needle) {
            Some(pos) => from += pos + needle.len(),
            None => panic!("{needle:?} missing or out of order in:\n{haystack}"),
        }
    }
}
