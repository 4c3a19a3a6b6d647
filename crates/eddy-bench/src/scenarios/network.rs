//! `http` and `echo`: a server per system in a child process on core 0, our
//! load generator (or `wrk`) on core 1, 64 keep-alive connections.
//!
//! Per round and system: start the server, warm up, sample the server's
//! CPU time, measure, sample again. Reported: exchanges per second, server
//! CPU µs per exchange (the steadier figure on a shared machine; see
//! PERF.md) and the user-space part of it (the server's own code, without
//! the kernel's loopback TCP path that every system pays alike), latency
//! percentiles, and failed connections.

use std::time::Duration;

use crate::child::ServerProcess;
use crate::loadgen::{self, LoadConfig};
use crate::protocol::Protocol;
use crate::report::{Metric, Row, Scenario};
use crate::scenarios::{Settings, interleave, median_of};
use crate::servers::System;
use crate::sys::CpuTime;
use crate::{sys, wrk};

/// One round's figures.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Exchanges per second.
    pub per_second: f64,
    /// Server CPU per exchange, µs.
    pub cpu_us: Option<f64>,
    /// The user-space part of `cpu_us`, µs.
    pub user_us: Option<f64>,
    /// Latency percentiles, µs.
    pub p50: f64,
    /// 99th percentile, µs.
    pub p99: f64,
    /// 99.9th percentile, µs (`None` from wrk).
    pub p999: Option<f64>,
    /// Failed connections.
    pub errors: u64,
}

/// The systems of the `http` group, peers first.
pub fn http_systems() -> Vec<System> {
    let mut v = vec![
        System::Mio,
        System::TokioCt,
        System::TokioMt,
        System::Smol,
        System::May,
        System::Node,
        System::NodeNet,
        System::EddyPoll,
    ];
    v.extend(System::eddy_servers(true));
    v
}

/// The systems of the `echo` group, peers first.
pub fn echo_systems() -> Vec<System> {
    let mut v = vec![
        System::Mio,
        System::TokioCt,
        System::Smol,
        System::May,
        System::EddyPoll,
    ];
    v.extend(System::eddy_servers(false));
    v
}

/// The `http` group.
pub fn http(settings: &Settings) -> Scenario {
    let title = format!(
        "HTTP hello world, {} keep-alive connections",
        settings.connections
    );
    run(settings, "http", title, Protocol::Http, &http_systems())
}

/// The `echo` group.
pub fn echo(settings: &Settings) -> Scenario {
    let title = format!(
        "TCP echo, {} connections x 64-byte ping-pong",
        settings.connections
    );
    run(settings, "echo", title, Protocol::Echo, &echo_systems())
}

fn run(
    settings: &Settings,
    group: &'static str,
    title: String,
    protocol: Protocol,
    systems: &[System],
) -> Scenario {
    let unit = if protocol == Protocol::Http {
        "req/s"
    } else {
        "msg/s"
    };
    let cpu_unit = if protocol == Protocol::Http {
        "µs/req"
    } else {
        "µs/msg"
    };
    let mut sc = Scenario::new(
        group,
        title,
        vec![
            Metric::higher("throughput", unit),
            Metric::lower("server CPU", cpu_unit),
            Metric::lower("server user CPU", cpu_unit),
            Metric::lower("p50", "µs"),
            Metric::lower("p99", "µs"),
            Metric::lower("p99.9", "µs"),
            Metric::lower("errors", "conns"),
        ],
    );
    sc.headlines = 3;
    let mut runnable = Vec::new();
    for &system in systems {
        match system.unavailable() {
            Some(why) => sc.notes.push(why),
            None => runnable.push(system),
        }
    }
    let use_wrk = settings.wrk && protocol == Protocol::Http;
    if use_wrk && !wrk::installed() {
        sc.notes
            .push("--wrk: `wrk` is not installed; used our load generator".into());
    }
    let use_wrk = use_wrk && wrk::installed();
    let results = interleave(
        group,
        &runnable,
        settings.rounds,
        |s| s.label().to_string(),
        |system| measure_with_retry(system, protocol, settings, use_wrk),
    );
    let callgrind = settings.callgrind && crate::callgrind::installed();
    if settings.callgrind && !callgrind {
        sc.notes
            .push("--callgrind: valgrind/callgrind_control not installed; skipped".into());
    }
    if callgrind {
        // A fourth headline, beside throughput and CPU: the steadiest one.
        sc.metrics
            .insert(3, Metric::lower("user instructions", "instr/exchange"));
        sc.headlines = 4;
    }
    for entry in results {
        if let Some(first) = entry.errors.first() {
            sc.notes.push(format!(
                "{}: {} failed round(s), first: {first}",
                entry.system.label(),
                entry.errors.len()
            ));
        }
        if entry.samples.is_empty() {
            continue;
        }
        let s = &entry.samples;
        let mut row = Row {
            system: entry.system.label().to_string(),
            eddy: entry.system.is_eddy(),
            values: vec![
                median_of(s, |x| Some(x.per_second)),
                median_of(s, |x| x.cpu_us),
                median_of(s, |x| x.user_us),
                median_of(s, |x| Some(x.p50)),
                median_of(s, |x| Some(x.p99)),
                median_of(s, |x| x.p999),
                Some(s.iter().map(|x| x.errors as f64).sum()),
            ],
            class: if entry.system.pinned() {
                "one core"
            } else {
                "both cores"
            },
        };
        if callgrind {
            let instructions = if entry.system.is_node() {
                None
            } else {
                eprintln!("{group}: callgrind: {}", entry.system.label());
                match measure_instructions(entry.system, protocol, settings) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        sc.notes
                            .push(format!("{}: callgrind failed: {e}", entry.system.label()));
                        None
                    }
                }
            };
            row.values.insert(3, instructions);
        }
        sc.rows.push(row);
        if !entry.system.pinned() {
            sc.notes.push(format!(
                "{}: not pinned (shares both cores with the load generator)",
                entry.system.label()
            ));
        }
    }
    if use_wrk {
        sc.notes
            .push("driven by wrk -t1 (p99.9 not reported by wrk)".into());
    }
    sc
}

/// How many times a round that got no reply at all is run again before it
/// counts as failed. On a loaded machine a freshly started server process may
/// not be scheduled within a short measuring window; a server that is really
/// broken fails every attempt.
const NO_REPLY_RETRIES: usize = 2;

/// [`measure`], run again when a round saw no valid reply at all.
fn measure_with_retry(
    system: System,
    protocol: Protocol,
    settings: &Settings,
    use_wrk: bool,
) -> Result<Sample, String> {
    let mut attempt = 0;
    loop {
        match measure(system, protocol, settings, use_wrk) {
            Err(e) if e.starts_with("no valid replies") && attempt < NO_REPLY_RETRIES => {
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One round for one system.
fn measure(
    system: System,
    protocol: Protocol,
    settings: &Settings,
    use_wrk: bool,
) -> Result<Sample, String> {
    let server =
        ServerProcess::spawn(system, protocol, &settings.out).map_err(|e| e.to_string())?;
    if use_wrk {
        let cpu0 = server.cpu();
        let r = wrk::run(server.addr, settings.connections, settings.duration)
            .map_err(|e| e.to_string())?;
        let cpu1 = server.cpu();
        let requests = r.per_second * settings.duration.as_secs_f64();
        return Ok(Sample {
            per_second: r.per_second,
            cpu_us: cpu_per(cpu0, cpu1, requests, CpuTime::total_us),
            user_us: cpu_per(cpu0, cpu1, requests, |c| c.user_us),
            p50: r.p50_us,
            p99: r.p99_us,
            p999: None,
            errors: r.errors,
        });
    }
    let cfg = LoadConfig {
        addr: server.addr,
        connections: settings.connections,
        warmup: settings.warmup,
        duration: settings.duration,
        protocol,
    };
    let pid = server.pid();
    let (result, cpu0, cpu1) = std::thread::scope(|s| {
        s.spawn(|| {
            sys::pin_current_thread(1);
            let mut cpu0 = None;
            let result = loadgen::run(&cfg, || cpu0 = sys::process_cpu(pid));
            (result, cpu0, sys::process_cpu(pid))
        })
        .join()
        .expect("the load generator does not panic")
    });
    let result = result.map_err(|e| e.to_string())?;
    if result.requests == 0 {
        return Err(format!(
            "no valid replies ({})",
            result.first_error.as_deref().unwrap_or("no error seen")
        ));
    }
    Ok(Sample {
        per_second: result.per_second(),
        cpu_us: cpu_per(cpu0, cpu1, result.requests as f64, CpuTime::total_us),
        user_us: cpu_per(cpu0, cpu1, result.requests as f64, |c| c.user_us),
        p50: result.latency_us(0.50),
        p99: result.latency_us(0.99),
        p999: Some(result.latency_us(0.999)),
        errors: result.errors,
    })
}

/// Instructions per exchange of `system` under callgrind: counters zeroed
/// after a warm-up, a 2 s window, one dump.
fn measure_instructions(
    system: System,
    protocol: Protocol,
    settings: &Settings,
) -> Result<f64, String> {
    let dir = settings.out.join("callgrind");
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let out_file = dir.join(format!(
        "{}-{}.out",
        crate::child::value_name(&system),
        crate::child::value_name(&protocol)
    ));
    // Stale dumps of an earlier run must not be read as this one's.
    let stem = out_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    if let (Some(stem), Ok(entries)) = (stem, std::fs::read_dir(&dir)) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&stem) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let server = ServerProcess::spawn_with(system, protocol, &settings.out, Some(&out_file))
        .map_err(|e| e.to_string())?;
    let pid = server.pid();
    let cfg = LoadConfig {
        addr: server.addr,
        connections: settings.connections,
        warmup: Duration::from_millis(500),
        duration: Duration::from_secs(2),
        protocol,
    };
    let mut zeroed = Ok(());
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            sys::pin_current_thread(1);
            loadgen::run(&cfg, || zeroed = crate::callgrind::zero(pid))
        })
        .join()
        .expect("the load generator does not panic")
    })
    .map_err(|e| e.to_string())?;
    zeroed.map_err(|e| e.to_string())?;
    crate::callgrind::dump(pid).map_err(|e| e.to_string())?;
    if result.requests == 0 {
        return Err("no valid replies under callgrind".into());
    }
    let total = crate::callgrind::instructions(&out_file).map_err(|e| e.to_string())?;
    Ok(total as f64 / result.requests as f64)
}

/// The CPU time (the `part` of it) used between two samples, per request.
fn cpu_per(
    before: Option<CpuTime>,
    after: Option<CpuTime>,
    requests: f64,
    part: impl Fn(CpuTime) -> u64,
) -> Option<f64> {
    let used = part(after?).checked_sub(part(before?))?;
    (requests > 0.0).then(|| used as f64 / requests)
}

/// The `node` group's HTTP row: eddy-node against Node.js.
pub fn node_http(settings: &Settings) -> Scenario {
    let mut systems = vec![System::Node, System::NodeNet];
    systems.extend(System::eddy_node_servers());
    let title = format!(
        "HTTP hello world on a Node-style loop, {} connections",
        settings.connections
    );
    run(settings, "node", title, Protocol::Http, &systems)
}
