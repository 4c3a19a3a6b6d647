//! `micro`: runtime micro benchmarks (spawn + join, yield ping-pong,
//! bounded channel, 1M timers), each measurement in a fresh child process
//! pinned to core 0.
//!
//! Also the shared [`workload_scenario`] runner the `fiber` and `node`
//! groups use: one child per round per system, interleaved and rotated, medians.

use crate::child::{self, Figures};
use crate::report::{Metric, Row, Scenario};
use crate::scenarios::{Settings, interleave, median_of};
use crate::servers::node::Script;

/// Who runs a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// Our binary's `micro` subcommand: (label, system name, is Eddy).
    Ours(&'static str, &'static str, bool),
    /// A Node.js script.
    Node(Script),
}

impl Runner {
    /// The row label.
    pub fn label(self) -> String {
        match self {
            Runner::Ours(label, ..) => label.to_string(),
            Runner::Node(_) => match crate::servers::node::version() {
                Some(v) => format!("Node.js {v}"),
                None => "Node.js".to_string(),
            },
        }
    }

    /// Stackful systems are compared with stackful ones, tasks with tasks.
    fn class(self) -> &'static str {
        match self {
            Runner::Ours(_, "may" | "corosensei" | "eddy-fiber", _) => "fiber",
            _ => "task",
        }
    }

    fn is_eddy(self) -> bool {
        matches!(self, Runner::Ours(_, _, true))
    }
}

/// tokio current_thread.
pub const TOKIO: Runner = Runner::Ours("tokio current_thread", "tokio-ct", false);
/// smol LocalExecutor.
pub const SMOL: Runner = Runner::Ours("smol LocalExecutor", "smol", false);
/// may, one worker.
pub const MAY: Runner = Runner::Ours("may (1 worker)", "may", false);
/// corosensei.
pub const COROSENSEI: Runner = Runner::Ours("corosensei", "corosensei", false);

/// Runs `bench` with `n` operations per runner, every round, and tabulates
/// `figures` (metric, result key).
pub fn workload_scenario(
    settings: &Settings,
    group: &'static str,
    title: &str,
    bench: &str,
    runners: &[(Runner, u64)],
    figures: Vec<(Metric, &'static str)>,
) -> Scenario {
    let (metrics, keys): (Vec<Metric>, Vec<&str>) = figures.into_iter().unzip();
    let mut sc = Scenario::new(group, title, metrics);
    let mut runnable = Vec::new();
    for &(runner, n) in runners {
        if matches!(runner, Runner::Node(_)) && !crate::servers::node::installed() {
            sc.notes
                .push("Node.js: skipped, `node` is not on PATH".to_string());
            continue;
        }
        runnable.push((runner, n));
    }
    let what = format!("{group}/{bench}");
    let results = interleave(
        &what,
        &runnable,
        settings.rounds,
        |(r, _)| r.label(),
        |(runner, n)| -> Result<Figures, String> {
            match runner {
                Runner::Ours(_, system, _) => child::run_micro(system, bench, n),
                Runner::Node(script) => child::run_node(script, n, &settings.out),
            }
            .map_err(|e| e.to_string())
        },
    );
    for entry in results {
        let (runner, n) = entry.system;
        if let Some(first) = entry.errors.first() {
            sc.notes
                .push(format!("{}: failed: {first}", runner.label()));
        }
        if entry.samples.is_empty() {
            continue;
        }
        let values = keys
            .iter()
            .map(|k| median_of(&entry.samples, |f| f.get(*k).copied()))
            .collect();
        sc.rows.push(Row {
            system: format!("{} (n = {n})", runner.label()),
            eddy: runner.is_eddy(),
            values,
            class: runner.class(),
        });
    }
    sc.headlines = sc.metrics.len().min(3);
    sc
}

/// Runners for the task micro benchmarks: peers, then Eddy when built in.
fn task_runners() -> Vec<Runner> {
    let mut v = vec![TOKIO, SMOL];
    v.extend(crate::micro::eddy_task_runners());
    v
}

/// The `micro` group.
pub fn run(settings: &Settings) -> Vec<Scenario> {
    let n = settings.count(1_000_000);
    let each = |rs: Vec<Runner>| rs.into_iter().map(|r| (r, n)).collect::<Vec<_>>();
    let per_op = || vec![(Metric::lower("time", "ns/op"), "ns_per_op")];
    let mut out = vec![
        workload_scenario(
            settings,
            "micro",
            "spawn + join one empty task",
            "spawn",
            &each(task_runners()),
            per_op(),
        ),
        workload_scenario(
            settings,
            "micro",
            "yield, two tasks alternating",
            "yield",
            &each(task_runners()),
            per_op(),
        ),
        workload_scenario(
            settings,
            "micro",
            "bounded channel, one message",
            "mpsc",
            &each(task_runners()),
            per_op(),
        ),
    ];
    let mut timers = each(task_runners());
    if settings.quick {
        timers.iter_mut().for_each(|(_, n)| *n = 200_000);
    }
    out.push(workload_scenario(
        settings,
        "micro",
        "timers, deadlines spread over 0–1 s",
        "timers",
        &timers,
        timer_metrics(),
    ));
    out
}

/// The timer workload's columns.
pub fn timer_metrics() -> Vec<(Metric, &'static str)> {
    vec![
        (Metric::lower("register", "ns/timer"), "register_ns"),
        (Metric::lower("memory", "B/timer"), "bytes_per_timer"),
        (Metric::lower("late after last deadline", "ms"), "late_ms"),
    ]
}
