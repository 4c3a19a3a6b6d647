//! `tour`: a small run prints one row per model, every request succeeding,
//! each model taking about the delay.

mod util;

#[test]
fn small_tour_prints_a_row_per_model() {
    let (out, elapsed) = util::run_example("tour", &["--requests", "50", "--delay-ms", "200"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    util::assert_in_order(
        &stdout,
        &[
            "model",
            "one OS thread per request",
            "eddy futures (current-thread)",
            "eddy futures (multi-thread)",
            "eddy-fiber (one fiber per request)",
            "eddy-node callbacks",
        ],
    );
    for label in [
        "one OS thread per request",
        "eddy futures (current-thread)",
        "eddy futures (multi-thread)",
        "eddy-fiber (one fiber per request)",
        "eddy-node callbacks",
    ] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no row for {label}:\n{stdout}"));
        assert!(row.ends_with("50/50"), "not every request succeeded: {row}");
        let secs: f64 = row[label.len()..]
            .split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no wall time in {row}"));
        assert!(secs >= 0.2, "{label}: {secs} s is less than the delay");
        assert!(secs < 2.0, "{label}: {secs} s, expected about 0.2");
    }
    // The thread model uses at least one thread per request; eddy one.
    let threads = |label: &str| -> usize {
        let row = stdout.lines().find(|l| l.starts_with(label)).unwrap();
        row[label.len()..]
            .split_whitespace()
            .nth(2)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(threads("one OS thread per request") >= 50);
    assert!(threads("eddy futures (current-thread)") <= 2);
    // Multi-thread: a worker per CPU, never a thread per request.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(threads("eddy futures (multi-thread)") <= cpus + 4);
    // Fibers: one thread for every request.
    assert_eq!(threads("eddy-fiber (one fiber per request)"), 1);
    // Five models, each taking at least the delay.
    assert!(elapsed.as_secs_f64() >= 1.0);
}
