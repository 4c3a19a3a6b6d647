//! `scale`: open 10 000 keep-alive connections to one server, let them sit
//! idle, then send one request on each; reported: the time for that round
//! of requests, the time to connect, and the server's memory per
//! connection and peak RSS.

use crate::child::ServerProcess;
use crate::loadgen;
use crate::protocol::Protocol;
use crate::report::{Metric, Row, Scenario};
use crate::scenarios::{Settings, interleave, median_of};
use crate::servers::System;
use crate::sys;

/// Connections opened per round.
pub const CONNECTIONS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Sample {
    request_ms: f64,
    connect_ms: f64,
    bytes_per_conn: Option<f64>,
    peak_mib: Option<f64>,
}

/// The `scale` group.
pub fn run(settings: &Settings) -> Scenario {
    let mut sc = Scenario::new(
        "scale",
        format!("{CONNECTIONS} idle keep-alive connections, then one request on each"),
        vec![
            Metric::lower("one request on each", "ms"),
            Metric::lower("server memory", "B/conn"),
            Metric::lower("connect all", "ms"),
            Metric::lower("server peak RSS", "MiB"),
        ],
    );
    sc.headlines = 2;
    // Client and server are separate processes: each needs CONNECTIONS fds.
    let want = CONNECTIONS as u64 + 256;
    match sys::raise_nofile(want) {
        Ok(limit) if limit >= want => {}
        Ok(limit) => {
            sc.notes.push(format!(
                "skipped: the open-file limit is {limit}, {want} needed (raise `ulimit -Hn`)"
            ));
            return sc;
        }
        Err(e) => {
            sc.notes
                .push(format!("skipped: cannot raise the open-file limit: {e}"));
            return sc;
        }
    }
    let mut systems = vec![System::TokioCt, System::EddyPoll];
    systems.extend(
        System::eddy_servers(false)
            .into_iter()
            .filter(|s| s.pinned()),
    );
    let results = interleave(
        "scale",
        &systems,
        settings.rounds,
        |s| s.label().to_string(),
        |system| measure(system, settings),
    );
    for entry in results {
        if let Some(first) = entry.errors.first() {
            sc.notes
                .push(format!("{}: failed: {first}", entry.system.label()));
        }
        if entry.samples.is_empty() {
            continue;
        }
        let s = &entry.samples;
        sc.rows.push(Row {
            system: entry.system.label().to_string(),
            eddy: entry.system.is_eddy(),
            values: vec![
                median_of(s, |x| Some(x.request_ms)),
                median_of(s, |x| x.bytes_per_conn),
                median_of(s, |x| Some(x.connect_ms)),
                median_of(s, |x| x.peak_mib),
            ],
            class: "one core",
        });
    }
    sc
}

fn measure(system: System, settings: &Settings) -> Result<Sample, String> {
    let server =
        ServerProcess::spawn(system, Protocol::Http, &settings.out).map_err(|e| e.to_string())?;
    let rss0 = server.rss();
    let addr = server.addr;
    let (result, rss1) = std::thread::scope(|s| {
        s.spawn(|| {
            sys::pin_current_thread(1);
            let mut rss1 = None;
            let r = loadgen::burst(addr, CONNECTIONS, Protocol::Http, || {
                // Let the server accept the last connections before reading
                // its memory: it has no other work to do.
                std::thread::sleep(std::time::Duration::from_millis(200));
                rss1 = server.rss();
            });
            (r, rss1)
        })
        .join()
        .expect("the load generator does not panic")
    });
    let result = result.map_err(|e| e.to_string())?;
    if result.errors > 0 {
        return Err(format!("{} connections failed", result.errors));
    }
    let bytes_per_conn = match (rss0, rss1) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / CONNECTIONS as f64),
        _ => None,
    };
    Ok(Sample {
        request_ms: result.requests.as_secs_f64() * 1000.0,
        connect_ms: result.connect.as_secs_f64() * 1000.0,
        bytes_per_conn,
        peak_mib: server.peak_rss().map(|b| b as f64 / (1024.0 * 1024.0)),
    })
}
