//! `fiber`: stackful switches (corosensei's bare resume + suspend, may's
//! and eddy-fiber's scheduled yield), stackful spawn + join, and memory per
//! idle fiber or task.

use crate::report::{Metric, Scenario};
use crate::scenarios::Settings;
use crate::scenarios::micro::{COROSENSEI, MAY, SMOL, TOKIO, workload_scenario};

/// The `fiber` group.
pub fn run(settings: &Settings) -> Vec<Scenario> {
    let per_op = || vec![(Metric::lower("time", "ns/op"), "ns_per_op")];
    let mut switch = vec![
        (COROSENSEI, settings.count(10_000_000)),
        (MAY, settings.count(1_000_000)),
    ];
    switch.extend(
        crate::micro::eddy_fiber_runners()
            .into_iter()
            .map(|r| (r, settings.count(1_000_000))),
    );
    let mut spawn = vec![
        (COROSENSEI, settings.count(100_000)),
        (MAY, settings.count(100_000)),
    ];
    spawn.extend(
        crate::micro::eddy_fiber_runners()
            .into_iter()
            .map(|r| (r, settings.count(100_000))),
    );
    let fibers = settings.count(10_000).max(1000);
    let tasks = settings.count(100_000);
    let mut idle = vec![
        (TOKIO, tasks),
        (SMOL, tasks),
        (MAY, fibers),
        (COROSENSEI, fibers),
    ];
    idle.extend(
        crate::micro::eddy_task_runners()
            .into_iter()
            .map(|r| (r, tasks)),
    );
    idle.extend(
        crate::micro::eddy_fiber_runners()
            .into_iter()
            .map(|r| (r, fibers)),
    );
    let mut out = vec![
        workload_scenario(
            settings,
            "fiber",
            "stackful switch (corosensei: resume + suspend; schedulers: yield between two fibers)",
            "switch",
            &switch,
            per_op(),
        ),
        workload_scenario(
            settings,
            "fiber",
            "stackful spawn + join (fresh 64 KiB stack for corosensei)",
            "fiber-spawn",
            &spawn,
            per_op(),
        ),
        workload_scenario(
            settings,
            "fiber",
            "memory per idle fiber / task (RSS growth / count)",
            "idle",
            &idle,
            vec![(Metric::lower("memory", "B/each"), "bytes_per_task")],
        ),
    ];
    out[0].notes.push(
        "corosensei has no scheduler: its figure is the bare context switch floor".to_string(),
    );
    out
}
