//! The `delayserver` binary: parses the command line, binds, prints the
//! address it listens on and serves until killed.
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use delayserver::Server;

mod cli;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let server = match Server::bind(args.addr()) {
        Ok(server) => server.max_delay(args.max_delay()).quiet(args.quiet),
        Err(e) => {
            eprintln!("delayserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // Scripts and tests wait for this line to know where to connect.
    let announced = writeln!(
        stdout,
        "delayserver listening on http://{}",
        server.local_addr()
    )
    .and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(e) = announced {
        eprintln!("delayserver: writing to stdout: {e}");
        return ExitCode::FAILURE;
    }
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("delayserver: {e}");
            ExitCode::FAILURE
        }
    }
}
