//! `--callgrind`: user-space instructions per request, the steadiest figure
//! on a shared machine (PERF.md, to ~3 %).
//!
//! The server runs under `valgrind --tool=callgrind`; once it is warm,
//! `callgrind_control -z` zeroes its counters, the load generator drives it,
//! `callgrind_control -d` dumps them, and the dump's instruction total is
//! divided by the requests served. Only for our own binary's servers (not
//! Node.js, whose JIT callgrind cannot follow usefully).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether valgrind and callgrind_control run here.
pub fn installed() -> bool {
    let ok = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    ok("valgrind") && ok("callgrind_control")
}

/// The command prefix that runs a program under callgrind, its dumps going
/// to `out_file` (plus a `.N` suffix per dump).
pub fn command(out_file: &Path) -> Command {
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "-q"])
        .arg(format!("--callgrind-out-file={}", out_file.display()));
    cmd
}

fn control(flag: &str, pid: u32) -> io::Result<()> {
    let out = Command::new("callgrind_control")
        .arg(flag)
        .arg(pid.to_string())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("callgrind_control {flag} {pid}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "callgrind_control {flag} {pid}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Zeroes the counters of the callgrind process `pid`.
pub fn zero(pid: u32) -> io::Result<()> {
    control("-z", pid)
}

/// Makes the callgrind process `pid` dump its counters.
pub fn dump(pid: u32) -> io::Result<()> {
    control("-d", pid)
}

/// The instruction total of the newest dump written for `out_file`.
pub fn instructions(out_file: &Path) -> io::Result<u64> {
    let dir = out_file.parent().unwrap_or(Path::new("."));
    let stem = out_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let newest: Option<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&stem))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path());
    let Some(path) = newest else {
        return Err(io::Error::other(format!(
            "no callgrind dump next to {}",
            out_file.display()
        )));
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("read {}: {e}", path.display())))?;
    parse_total(&text)
        .ok_or_else(|| io::Error::other(format!("no instruction total in {}", path.display())))
}

/// The `summary:` (or `totals:`) figure of a callgrind dump.
fn parse_total(text: &str) -> Option<u64> {
    let find = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    find("summary:").or_else(|| find("totals:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_or_the_totals_line() {
        assert_eq!(parse_total("events: Ir\nsummary: 12345\n"), Some(12345));
        assert_eq!(parse_total("events: Ir\ntotals: 777\n"), Some(777));
        assert_eq!(parse_total("events: Ir\n"), None);
    }
}
