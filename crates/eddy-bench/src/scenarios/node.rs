//! `node`: the Node-style loop against real Node.js: 1M timers, a chain of
//! 1M `setImmediate`s (whole processes, same counts), and HTTP hello world.

use crate::report::{Metric, Scenario};
use crate::scenarios::Settings;
use crate::scenarios::micro::{Runner, timer_metrics, workload_scenario};
use crate::servers::node::Script;

/// The `node` group.
pub fn run(settings: &Settings) -> Vec<Scenario> {
    let n = settings.count(1_000_000);
    let with_eddy = |script| {
        let mut v = vec![(Runner::Node(script), n)];
        v.extend(
            crate::micro::eddy_node_runners()
                .into_iter()
                .map(|r| (r, n)),
        );
        v
    };
    let mut out = vec![
        workload_scenario(
            settings,
            "node",
            "timers, deadlines spread over 0–1 s",
            "timers",
            &with_eddy(Script::Timers),
            timer_metrics(),
        ),
        workload_scenario(
            settings,
            "node",
            "setImmediate chain, per callback",
            "immediates",
            &with_eddy(Script::Immediates),
            vec![(Metric::lower("time", "ns/callback"), "ns_per_callback")],
        ),
    ];
    out.push(super::network::node_http(settings));
    if crate::micro::eddy_node_runners().is_empty() {
        for sc in &mut out {
            sc.notes
                .push("eddy-node is not built into this binary yet: Node.js alone".into());
        }
    }
    out
}
