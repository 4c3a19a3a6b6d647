//! Keeps the harness from rotting: `eddy-bench --quick --only http` with a
//! tiny window must produce a report in which every system that ran has a
//! non-zero throughput and CPU figure (a figure, not a speed).

use std::path::PathBuf;
use std::process::Command;

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eddy-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The rows of the first table in `report`: (system, cells).
fn table_rows(report: &str) -> Vec<(String, Vec<String>)> {
    report
        .lines()
        .skip_while(|l| !l.starts_with("| system |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].trim_matches('*').to_string(), cells[1..].to_vec())
        })
        .collect()
}

fn figure(cell: &str) -> f64 {
    let (number, scale) = match cell.strip_suffix('k') {
        Some(n) => (n, 1000.0),
        None => (cell, 1.0),
    };
    number.parse::<f64>().unwrap_or(0.0) * scale
}

#[test]
fn quick_http_run_gives_every_system_a_nonzero_figure() {
    let out = out_dir("http");
    let run = Command::new(env!("CARGO_BIN_EXE_eddy-bench"))
        .args([
            "--quick",
            "--only",
            "http",
            "--rounds",
            "1",
            "--duration-ms",
            "300",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run eddy-bench");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "eddy-bench failed: {stderr}");

    let report = std::fs::read_to_string(out.join("report.md")).expect("report.md written");
    assert!(report.contains("- machine: "), "no machine line:\n{report}");
    assert!(report.contains("- date: "), "no date line:\n{report}");
    assert!(out.join("http.svg").exists(), "no chart written");

    let rows = table_rows(&report);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    for must in [
        "raw mio loop",
        "tokio current_thread",
        "smol LocalExecutor",
        "may (1 worker)",
        "raw eddy-poll loop",
    ] {
        assert!(
            names.contains(&must),
            "{must} missing from {names:?}\n{report}"
        );
    }
    for (name, cells) in &rows {
        assert!(
            figure(&cells[0]) > 0.0,
            "{name}: throughput {:?}\n{report}",
            cells[0]
        );
        assert!(
            figure(&cells[1]) > 0.0,
            "{name}: server CPU {:?}\n{report}",
            cells[1]
        );
        // The user-space part of the CPU time: at most all of it (it may
        // round to zero ticks in a 300 ms round).
        assert!(
            figure(&cells[2]) <= figure(&cells[1]),
            "{name}: user CPU {:?} over server CPU {:?}\n{report}",
            cells[2],
            cells[1]
        );
        assert_eq!(cells[6], "0", "{name}: failed connections\n{report}");
    }
    assert!(
        !report.contains("failed round"),
        "a round failed:\n{report}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn unknown_group_is_a_clear_error() {
    let run = Command::new(env!("CARGO_BIN_EXE_eddy-bench"))
        .args(["--only", "nosuchgroup"])
        .output()
        .expect("run eddy-bench");
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("nosuchgroup"), "{stderr}");
}

#[test]
fn child_roles_reject_unknown_workloads() {
    let run = Command::new(env!("CARGO_BIN_EXE_eddy-bench"))
        .args([
            "micro", "--system", "tokio-ct", "--bench", "nosuch", "--n", "10",
        ])
        .output()
        .expect("run eddy-bench micro");
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("nosuch"), "{stderr}");
}
