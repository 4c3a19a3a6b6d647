//! Child processes: every server and every micro workload runs in its own
//! process, pinned to core 0 (when the machine has two cores), so its CPU
//! time and memory are its own and one system's leftovers never touch the
//! next.
//!
//! Our binary re-executes itself with the hidden `serve` or `micro`
//! subcommand; Node.js runs one of the scripts from
//! [`crate::servers::node`]. A server prints `listening ADDR` once bound and
//! exits when its stdin closes; a workload prints one
//! `result key=value ...` line and exits.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use clap::ValueEnum;

use crate::protocol::Protocol;
use crate::servers::System;
use crate::servers::node::Script;
use crate::sys;

/// The core servers and workloads run on; the load generator takes core 1.
pub const SERVER_CORE: usize = 0;

/// The clap value name of an enum value (what the hidden subcommands take).
pub fn value_name<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .expect("no value is skipped")
        .get_name()
        .to_string()
}

/// Makes `cmd`'s process run on [`SERVER_CORE`] only, when `pin` and the
/// machine has two cores.
fn pin(cmd: &mut Command, pin: bool) {
    if !(pin && sys::can_pin()) {
        return;
    }
    // SAFETY: the closure runs between fork and exec; it only calls
    // sched_setaffinity on a stack-allocated set (async-signal-safe, no
    // allocation, no locks).
    unsafe {
        cmd.pre_exec(|| sys::pin_process_raw(SERVER_CORE));
    }
}

/// A server in a child process; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `system` serving `protocol` and waits until it listens.
    pub fn spawn(system: System, protocol: Protocol, out_dir: &Path) -> io::Result<ServerProcess> {
        Self::spawn_with(system, protocol, out_dir, None)
    }

    /// [`spawn`](Self::spawn), under callgrind when `callgrind_out` is set
    /// (our own servers only).
    pub fn spawn_with(
        system: System,
        protocol: Protocol,
        out_dir: &Path,
        callgrind_out: Option<&Path>,
    ) -> io::Result<ServerProcess> {
        let mut cmd = if system.is_node() {
            let script = if system == System::Node {
                Script::HttpServer
            } else {
                Script::NetServer
            };
            let mut cmd = Command::new("node");
            cmd.arg(script.write(out_dir)?).arg(value_name(&protocol));
            cmd
        } else {
            let exe = std::env::current_exe()?;
            let mut cmd = match callgrind_out {
                Some(out_file) => {
                    let mut cmd = crate::callgrind::command(out_file);
                    cmd.arg(exe);
                    cmd
                }
                None => Command::new(exe),
            };
            cmd.args(["serve", "--system", &value_name(&system)])
                .args(["--protocol", &value_name(&protocol)])
                .args(["--workers", &crate::servers::mt_workers().to_string()]);
            cmd
        };
        pin(&mut cmd, system.pinned());
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("start {}: {e}", system.label())))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!(
                "{} did not start: said {:?}",
                system.label(),
                line.trim()
            )));
        };
        Ok(ServerProcess { child, stdin, addr })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time the server has used so far.
    pub fn cpu(&self) -> Option<sys::CpuTime> {
        sys::process_cpu(self.pid())
    }

    /// Resident memory now, in bytes.
    pub fn rss(&self) -> Option<u64> {
        sys::process_memory(self.pid(), "VmRSS")
    }

    /// Peak resident memory, in bytes.
    pub fn peak_rss(&self) -> Option<u64> {
        sys::process_memory(self.pid(), "VmHWM")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A workload's `result` line: figure name to value.
pub type Figures = BTreeMap<String, f64>;

/// Runs our binary's hidden `micro` subcommand for `bench` on `system`
/// with `n` operations, pinned, and returns its figures.
pub fn run_micro(system: &str, bench: &str, n: u64) -> io::Result<Figures> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args([
        "micro",
        "--system",
        system,
        "--bench",
        bench,
        "--n",
        &n.to_string(),
    ]);
    run_workload(cmd, &format!("{bench} on {system}"))
}

/// Runs a Node.js workload script with `n` operations.
pub fn run_node(script: Script, n: u64, out_dir: &Path) -> io::Result<Figures> {
    let mut cmd = Command::new("node");
    cmd.arg(script.write(out_dir)?).arg(n.to_string());
    run_workload(cmd, &format!("{script:?} on Node.js"))
}

/// How long one workload process may run before it is killed.
const WORKLOAD_TIMEOUT: Duration = Duration::from_secs(120);

fn run_workload(mut cmd: Command, what: &str) -> io::Result<Figures> {
    pin(&mut cmd, true);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("start {what}: {e}")))?;
    // A hung workload must not hang the run: past the timeout it is
    // killed. Workloads print one short line, so their pipes cannot fill
    // while we poll.
    let deadline = std::time::Instant::now() + WORKLOAD_TIMEOUT;
    while child.try_wait()?.is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output();
    let out = out.map_err(|e| io::Error::new(e.kind(), format!("wait for {what}: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with("result "));
    match (out.status.success(), line) {
        (true, Some(line)) => Ok(parse_result(line)),
        _ => Err(io::Error::other(format!(
            "{what} failed ({}): {} {}",
            out.status,
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// Parses `result a=1 b=2.5` into figures (unparsable pairs are dropped).
pub fn parse_result(line: &str) -> Figures {
    line.split_whitespace()
        .skip(1)
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// Prints a workload's figures in the format [`parse_result`] reads.
pub fn print_result(figures: &[(&str, f64)]) {
    let mut line = String::from("result");
    for (k, v) in figures {
        line.push_str(&format!(" {k}={v}"));
    }
    println!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_round_trip() {
        let f = parse_result("result ns=12.5 rss=1024 bad=x");
        assert_eq!(f.get("ns"), Some(&12.5));
        assert_eq!(f.get("rss"), Some(&1024.0));
        assert!(!f.contains_key("bad"));
    }
}
