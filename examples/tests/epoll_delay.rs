//! Runs the `epoll_delay` example with short delays and checks that the
//! five responses arrive in reverse order of sending, spaced by the delays.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The example binary next to this test's own: tests live in
/// `<target>/<profile>/deps/`, examples in `<target>/<profile>/examples/`.
/// Builds it with the same profile and target directory if it is missing
/// (as when only this test was selected).
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test binary");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in <target>/<profile>/deps");
    let binary = profile_dir.join("examples").join(name);
    if binary.exists() {
        return binary;
    }
    let target_dir = profile_dir.parent().expect("<target>/<profile>");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build
        .args(["build", "-p", "eddy-examples", "--example", name])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build");
    assert!(status.success(), "cargo build --example {name} failed");
    assert!(
        binary.exists(),
        "{} missing after the build",
        binary.display()
    );
    binary
}

#[test]
fn responses_arrive_in_reverse_order_spaced_by_the_delays() {
    let binary = example_binary("epoll_delay");
    let start = Instant::now();
    let output = Command::new(&binary)
        .args(["--unit-ms", "100"])
        .output()
        .expect("run the example");
    let took = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "example failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    // Lines look like "  0.101 s  stream 4: HTTP/1.1 200 OK | request-4".
    let bodies: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.rsplit_once(" | "))
        .map(|(head, body)| {
            assert!(head.contains("200 OK"), "unexpected status: {head}");
            body
        })
        .collect();
    assert_eq!(
        bodies,
        [
            "request-4",
            "request-3",
            "request-2",
            "request-1",
            "request-0"
        ],
        "output:\n{stdout}"
    );
    // The longest delay is 5 x 100 ms (waited concurrently: a client that
    // served one connection at a time would print request-0 first). The
    // upper bound is generous for a busy machine.
    assert!(took >= Duration::from_millis(400), "took only {took:?}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}
