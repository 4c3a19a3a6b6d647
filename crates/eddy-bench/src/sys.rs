//! The few OS facts the harness reads or sets: CPU pinning, a process's CPU
//! time and memory from `/proc`, and the open-file limit.
//!
//! Linux-first: on other systems pinning does nothing and the `/proc`
//! readings return `None`, so rows lose their CPU/RSS columns but still run.

use std::io;

/// Runs a libc call, turning `-1` into `io::Error::last_os_error()`.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        // SAFETY: every call site passes arguments that satisfy the libc
        // function's contract (checked at each site's own SAFETY comment).
        let res = unsafe { libc::$fn($($arg),*) };
        if res == -1 { Err(io::Error::last_os_error()) } else { Ok(res) }
    }};
}

/// Number of CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Whether the machine has the two cores that split server and load
/// generator (core 0: server, core 1: client).
pub fn can_pin() -> bool {
    core_affinity::get_core_ids().is_some_and(|ids| ids.len() >= 2)
}

/// Pins the calling thread (and the threads it starts later) to `core`;
/// does nothing when the machine has fewer than two cores.
pub fn pin_current_thread(core: usize) {
    if !can_pin() {
        return;
    }
    if let Some(id) = core_affinity::get_core_ids().and_then(|ids| ids.into_iter().nth(core)) {
        core_affinity::set_for_current(id);
    }
}

/// Pins process `pid` (all its threads made after this call and its main
/// thread) to `core`; used in a child between fork and exec.
#[cfg(target_os = "linux")]
pub fn pin_process_raw(core: usize) -> io::Result<()> {
    // SAFETY: `cpu_set_t` is plain data; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `core` is below CPU_SETSIZE (callers pass 0 or 1) and `set`
    // is a valid, exclusively borrowed set.
    unsafe { libc::CPU_SET(core, &mut set) };
    // Pid 0 is the calling thread; `set` lives across the call.
    syscall!(sched_setaffinity(
        0,
        std::mem::size_of::<libc::cpu_set_t>(),
        &set
    ))?;
    Ok(())
}

/// Pinning is Linux-only here; elsewhere it is a no-op.
#[cfg(not(target_os = "linux"))]
pub fn pin_process_raw(_core: usize) -> io::Result<()> {
    Ok(())
}

/// CPU time a process has used, split the way the kernel accounts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTime {
    /// Time in user space (the program's own code), µs.
    pub user_us: u64,
    /// Time in the kernel on the process's behalf (syscalls, and for a
    /// loopback socket most of the TCP path), µs.
    pub system_us: u64,
}

impl CpuTime {
    /// User + system, µs.
    pub fn total_us(self) -> u64 {
        self.user_us + self.system_us
    }
}

/// CPU time that process `pid` (all its threads) has used so far.
pub fn process_cpu(pid: u32) -> Option<CpuTime> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_cpu(&stat, clock_ticks_per_second())
}

/// `utime` and `stime` of a `/proc/<pid>/stat` line, in µs at `ticks` per
/// second. The command name (field 2) may hold spaces and parentheses:
/// the fields start after its last `)`.
fn parse_stat_cpu(stat: &str, ticks: u64) -> Option<CpuTime> {
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the whole line are 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(CpuTime {
        user_us: utime.checked_mul(1_000_000)? / ticks,
        system_us: stime.checked_mul(1_000_000)? / ticks,
    })
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

/// A memory figure of process `pid` from `/proc/<pid>/status`, in bytes:
/// `field` is `"VmRSS"` (now) or `"VmHWM"` (peak).
pub fn process_memory(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// This process's resident memory now, in bytes.
pub fn self_rss() -> Option<u64> {
    process_memory(std::process::id(), "VmRSS")
}

/// Raises the soft open-file limit to at least `want` (up to the hard
/// limit); returns the limit now in force.
pub fn raise_nofile(want: u64) -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // `lim` is a valid, writable rlimit.
    syscall!(getrlimit(libc::RLIMIT_NOFILE, &mut lim))?;
    if lim.rlim_cur >= want as libc::rlim_t {
        return Ok(lim.rlim_cur);
    }
    lim.rlim_cur = (want as libc::rlim_t).min(lim.rlim_max);
    // `lim` is a valid rlimit whose soft value does not exceed the hard one.
    syscall!(setrlimit(libc::RLIMIT_NOFILE, &lim))?;
    Ok(lim.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_cpu_time_and_memory() {
        let pid = std::process::id();
        assert!(process_cpu(pid).is_some());
        assert!(process_memory(pid, "VmRSS").unwrap() > 0);
        assert!(process_memory(pid, "VmHWM").unwrap() > 0);
    }

    #[test]
    fn stat_cpu_fields_are_found_after_the_last_parenthesis() {
        // A command name with spaces and a `)` of its own; utime 250 and
        // stime 50 ticks at 100 per second.
        let line = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1";
        let cpu = parse_stat_cpu(line, 100).unwrap();
        assert_eq!(
            cpu,
            CpuTime {
                user_us: 2_500_000,
                system_us: 500_000
            }
        );
        assert_eq!(cpu.total_us(), 3_000_000);
        assert_eq!(parse_stat_cpu("42 (a) S 1", 100), None);
        assert_eq!(parse_stat_cpu("no parenthesis", 100), None);
    }

    #[test]
    fn nofile_limit_is_at_least_what_we_had() {
        let now = raise_nofile(64).unwrap();
        assert!(now >= 64);
    }
}
