//! The command line: the public flags, and the hidden subcommands the
//! harness runs its children with.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::protocol::Protocol;
use crate::servers::System;

/// Head-to-head benchmarks of Eddy against tokio, smol, may, mio,
/// corosensei and Node.js, in one run, on this machine.
#[derive(Debug, Parser)]
#[command(name = "eddy-bench", version)]
pub struct Cli {
    /// A hidden child role (`serve`, `micro`); absent for a normal run.
    #[command(subcommand)]
    pub command: Option<Role>,
    /// Short rounds and smaller counts: the whole run in under 3 minutes.
    #[arg(long)]
    pub quick: bool,
    /// Run only these scenario groups (repeatable).
    #[arg(long, value_enum)]
    pub only: Vec<Group>,
    /// Where report.md and the SVG charts go.
    #[arg(long, default_value = "target/eddy-bench")]
    pub out: PathBuf,
    /// Drive the HTTP servers with `wrk` (when installed) instead of our
    /// load generator, to cross-check it.
    #[arg(long)]
    pub wrk: bool,
    /// Also count the servers' user-space instructions per request under
    /// callgrind (`http` and `echo`; needs valgrind).
    #[arg(long)]
    pub callgrind: bool,
    /// Rounds per system (median reported; at least 3 for a real run).
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Connections the load generator keeps open.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Measured window per round, in milliseconds (overrides --quick's).
    #[arg(long, hide = true)]
    pub duration_ms: Option<u64>,
    /// Worker threads of the multi-thread rows (eddy and tokio alike), for
    /// scaling runs: `--only http --mt-workers 1`.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub mt_workers: u16,
}

/// A scenario group, as named by `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Group {
    /// HTTP hello world, 64 keep-alive connections.
    Http,
    /// TCP echo, 64 connections x 64-byte ping-pong.
    Echo,
    /// Runtime micro benchmarks: spawn, yield, channel, timers.
    Micro,
    /// Stackful switches and memory per idle fiber/task.
    Fiber,
    /// Node-style loop: timers, immediates, HTTP hello vs Node.js.
    Node,
    /// 10 000 idle keep-alive connections, then a request on each.
    Scale,
}

/// The roles the harness re-executes itself in.
#[derive(Debug, Subcommand)]
pub enum Role {
    /// Serve one system until stdin closes (prints `listening ADDR`).
    #[command(hide = true)]
    Serve {
        /// The system to serve with.
        #[arg(long, value_enum)]
        system: System,
        /// What to serve.
        #[arg(long, value_enum)]
        protocol: Protocol,
        /// Worker threads for a multi-thread system.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
        workers: u16,
    },
    /// Run one micro workload and print its `result` line.
    #[command(hide = true)]
    Micro {
        /// The system (a micro-workload name, see `micro.rs`).
        #[arg(long)]
        system: String,
        /// The workload.
        #[arg(long)]
        bench: String,
        /// Operations.
        #[arg(long)]
        n: u64,
    },
}
