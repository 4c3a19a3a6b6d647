//! `--wrk`: drive an HTTP server with wrk instead of our load generator,
//! to cross-check it (wrk is pinned to the load generator's core).

use std::io;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// What wrk reported.
#[derive(Debug, Clone, Copy)]
pub struct WrkResult {
    /// Requests per second.
    pub per_second: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// Socket errors and non-2xx responses.
    pub errors: u64,
}

/// Whether `wrk` runs here.
pub fn installed() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
}

/// Runs `wrk -t1 -c<connections> -d<duration> --latency` against `addr`.
pub fn run(addr: SocketAddr, connections: usize, duration: Duration) -> io::Result<WrkResult> {
    let mut cmd = Command::new("wrk");
    cmd.arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--latency")
        .arg(format!("http://{addr}/"));
    if crate::sys::can_pin() {
        // SAFETY: runs between fork and exec and only calls
        // sched_setaffinity on a stack-allocated set (async-signal-safe).
        unsafe {
            cmd.pre_exec(|| crate::sys::pin_process_raw(1));
        }
    }
    let out = cmd
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("run wrk against {addr}: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse(&text).ok_or_else(|| io::Error::other(format!("unreadable wrk output: {text}")))
}

/// Parses wrk's `--latency` report.
fn parse(text: &str) -> Option<WrkResult> {
    let mut per_second = None;
    let (mut p50, mut p99) = (None, None);
    let mut errors = 0u64;
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("Requests/sec:") => per_second = words.next()?.parse().ok(),
            Some("50%") => p50 = words.next().and_then(duration_us),
            Some("99%") => p99 = words.next().and_then(duration_us),
            Some("Non-2xx") => errors += line.rsplit(' ').next()?.parse::<u64>().ok()?,
            Some("Socket") => {
                for part in line.split(',') {
                    let n: u64 = part.split_whitespace().last()?.parse().ok()?;
                    errors += n;
                }
            }
            _ => {}
        }
    }
    Some(WrkResult {
        per_second: per_second?,
        p50_us: p50?,
        p99_us: p99?,
        errors,
    })
}

/// `1.23ms` / `850.00us` / `1.2s` in µs.
fn duration_us(s: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1000.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        return None;
    };
    Some(num.parse::<f64>().ok()? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_wrk_latency_report() {
        let text = "Running 1s test @ http://127.0.0.1:1/\n  1 threads and 64 connections\n  Latency Distribution\n     50%  512.00us\n     75%    1.00ms\n     90%    1.10ms\n     99%    2.50ms\n  90000 requests in 1.00s, 8MB read\n  Socket errors: connect 0, read 1, write 0, timeout 2\nRequests/sec:  90000.50\nTransfer/sec:      8.00MB\n";
        let r = parse(text).unwrap();
        assert_eq!(r.per_second, 90000.5);
        assert_eq!(r.p50_us, 512.0);
        assert_eq!(r.p99_us, 2500.0);
        assert_eq!(r.errors, 3);
    }
}
