//! eddy-bench: Eddy against its peers, in one run, on this machine.
//!
//! ```text
//! cargo run --release -p eddy-bench -- [--quick] [--only GROUP] [--out DIR] [--wrk]
//! ```
//!
//! # Map of the crate
//!
//! * [`cli`]: flags, and the hidden child roles (`serve`, `micro`).
//! * [`scenarios`]: the groups (`http`, `echo`, `micro`, `fiber`, `node`,
//!   `scale`), the interleaved, rotated round order and medians.
//! * [`servers`]: one file per system, all serving the same handler;
//!   [`servers::node`] writes the Node.js scripts.
//! * [`micro`]: the micro workloads, one file per system.
//! * [`loadgen`]: our HTTP/echo load generator on eddy-poll; [`wrk`]: the
//!   `--wrk` cross-check.
//! * [`protocol`]: the request, the response and their parsers.
//! * [`child`]: child processes, pinning, CPU and memory readings.
//! * [`report`]: tables, `report.md` and the SVG charts; [`machine`]: the
//!   machine description.
//! * [`callgrind`]: `--callgrind`, instructions per request.
//! * [`sys`]: CPU affinity, `/proc` readings, `RLIMIT_NOFILE`.
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

use std::io::{self, Read};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use cli::{Cli, Group, Role};

#[macro_use]
pub mod sys;
pub mod callgrind;
pub mod child;
pub mod cli;
pub mod loadgen;
pub mod machine;
pub mod micro;
pub mod protocol;
pub mod report;
pub mod scenarios;
pub mod servers;
pub mod wrk;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Role::Serve {
            system,
            protocol,
            workers,
        }) => {
            servers::set_mt_workers(workers.into());
            serve(system, protocol)
        }
        Some(Role::Micro {
            ref system,
            ref bench,
            n,
        }) => micro::run(system, bench, n).map(|f| {
            child::print_result(&f);
        }),
        None => bench(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eddy-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `serve` role: bind, announce the address, serve until stdin closes.
fn serve(system: servers::System, protocol: protocol::Protocol) -> io::Result<()> {
    sys::raise_nofile(scenarios::scale::CONNECTIONS as u64 + 256)?;
    std::thread::Builder::new()
        .name("exit-with-parent".into())
        .spawn(|| {
            let mut sink = [0u8; 64];
            while matches!(io::stdin().read(&mut sink), Ok(n) if n > 0) {}
            std::process::exit(0);
        })?;
    servers::serve(system, protocol)
}

/// A normal run: the chosen groups, the table, report.md and the charts.
fn bench(cli: &Cli) -> io::Result<()> {
    servers::set_mt_workers(cli.mt_workers.into());
    let (rounds, warmup, duration) = if cli.quick {
        (3, Duration::from_millis(200), Duration::from_millis(1000))
    } else {
        (5, Duration::from_millis(1000), Duration::from_secs(5))
    };
    let duration = cli.duration_ms.map_or(duration, Duration::from_millis);
    let warmup = warmup.min(duration / 4);
    let rounds = cli.rounds.unwrap_or(rounds).max(1);
    let settings = scenarios::Settings {
        quick: cli.quick,
        rounds,
        warmup,
        duration,
        connections: cli.connections.max(1),
        out: cli.out.clone(),
        wrk: cli.wrk,
        callgrind: cli.callgrind,
    };
    let groups: Vec<Group> = if cli.only.is_empty() {
        vec![
            Group::Http,
            Group::Echo,
            Group::Micro,
            Group::Fiber,
            Group::Node,
            Group::Scale,
        ]
    } else {
        cli.only.clone()
    };
    let machine = machine::Machine::describe();
    eprintln!("eddy-bench on {machine}");
    if !sys::can_pin() {
        eprintln!("note: fewer than 2 cores: servers and load generator are not pinned");
    }
    let mut all = Vec::new();
    for group in groups {
        for sc in scenarios::run(group, &settings) {
            println!("{}", sc.markdown());
            all.push(sc);
        }
    }
    let report = report::Report {
        machine,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        method: format!(
            "{} rounds per system, interleaved and rotated (A B C, B C A, …), median reported; {} ms warm-up + {} ms measured per round; {} connections; server on core 0, load generator on core 1",
            settings.rounds,
            settings.warmup.as_millis(),
            settings.duration.as_millis(),
            settings.connections
        ),
        scenarios: all,
    };
    for path in report.write(&settings.out)? {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
