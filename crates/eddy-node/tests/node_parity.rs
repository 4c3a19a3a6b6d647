//! The differential suite: every scenario is a JavaScript file in
//! `tests/node_parity/` and the same program written against eddy-node (a
//! function in `scenarios.rs`). Both run as child processes (the Rust side
//! by re-running this test binary with `EDDY_PARITY_SCENARIO=name`, so each
//! gets a fresh loop and its own stdout) and their stdout and exit status
//! must be identical.
//!
//! Real `node` must be installed (`.ci/run` installs it): without it this
//! test fails, it does not skip. Set `NODE` to use another binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

#[path = "node_parity/scenarios.rs"]
mod scenarios;

const SCENARIO_ENV: &str = "EDDY_PARITY_SCENARIO";

fn main() {
    if let Ok(name) = std::env::var(SCENARIO_ENV) {
        let code = scenarios::run_scenario(&name);
        std::process::exit(code);
    }
    // `cargo test -- --list` and friends: only our one "test".
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        println!("node_parity: test");
        return;
    }
    let filter = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned();
    compare_all(filter.as_deref());
}

fn node_binary() -> PathBuf {
    if let Some(node) = std::env::var_os("NODE") {
        return node.into();
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let candidate = Path::new(dir).join("node");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "node_parity needs Node.js: `node` is not on PATH (install Node >= 18, \
         e.g. `apt-get install -y nodejs`, or set NODE=/path/to/node)"
    );
}

fn compare_all(filter: Option<&str>) {
    let node = node_binary();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node_parity");
    let tmp = std::env::temp_dir().join(format!("eddy-node-parity-{}", std::process::id()));
    let me = std::env::current_exe().expect("the test binary knows its path");
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut ran = 0;
    for scenario in scenarios::SCENARIOS {
        if filter.is_some_and(|f| !scenario.name.contains(f)) {
            continue;
        }
        ran += 1;
        let js = dir.join(format!("{}.js", scenario.name));
        assert!(js.is_file(), "missing {}", js.display());
        // A fresh scratch directory per side, so leftovers cannot leak.
        let run = |side: &str, command: &mut Command| -> Output {
            let scratch = tmp.join(format!("{}-{side}", scenario.name));
            let _ = std::fs::remove_dir_all(&scratch);
            std::fs::create_dir_all(&scratch).expect("create the scratch directory");
            command.current_dir(&dir).env("PARITY_TMP", &scratch);
            for (key, value) in scenario.env {
                command.env(key, value);
            }
            command.output().expect("spawn a scenario process")
        };
        let from_node = run("node", Command::new(&node).arg(&js));
        let from_rust = run("rust", Command::new(&me).env(SCENARIO_ENV, scenario.name));
        let node_out = String::from_utf8_lossy(&from_node.stdout);
        let rust_out = String::from_utf8_lossy(&from_rust.stdout);
        let same_exit = from_node.status.success() == from_rust.status.success();
        if node_out != rust_out || !same_exit || node_out.is_empty() {
            failures.push(format!(
                "--- {} ---\nnode ({}):\n{node_out}\nrust ({}):\n{rust_out}\nrust stderr:\n{}",
                scenario.name,
                from_node.status,
                from_rust.status,
                String::from_utf8_lossy(&from_rust.stderr)
            ));
        } else {
            println!("ok  {}", scenario.name);
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!("{ran} scenarios in {:.1?}", started.elapsed());
    if !failures.is_empty() {
        eprintln!("{}", failures.join("\n"));
        panic!("{} of {ran} scenarios differ from Node", failures.len());
    }
    assert!(ran > 0 || filter.is_some(), "no scenarios ran");
}
