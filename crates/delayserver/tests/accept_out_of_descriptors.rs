//! When `accept` fails with EMFILE (the open-files limit is reached) the
//! server neither spins nor dies, and accepts the waiting clients once its
//! own connections close and free descriptors.
//!
//! The server is the `delayserver` binary in a child process whose
//! RLIMIT_NOFILE is lowered before it starts, so the limit touches nothing
//! else. Its CPU time is read from `/proc/<pid>/stat`.

mod util;

use std::io::{ErrorKind, Read};
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use util::{Binary, Client};

/// The server's open-files limit.
const FD_LIMIT: u64 = 24;

/// Waits (polling `/proc`) until `check` holds, for at most 20 s.
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many descriptors below the limit process `pid` has open (one
/// inherited above the limit, which the environment may leak into every
/// process, does not use up the limit's room).
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/<pid>/fd")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .filter(|&fd| fd < FD_LIMIT)
        .count()
}

/// User plus system CPU time of process `pid` so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a configuration value.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / ticks_per_second)
}

#[test]
fn server_out_of_descriptors_backs_off_and_recovers() {
    let mut command = Binary::command(&["--quiet"]);
    // SAFETY: the closure runs in the child between fork and exec; it only
    // calls setrlimit, which is async-signal-safe, on a stack value.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FD_LIMIT as libc::rlim_t,
                rlim_max: FD_LIMIT as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let server = Binary::start_command(command);
    let pid = server.child.id();

    // Fill every free descriptor of the server, then as many again.
    let base = open_fds(pid);
    let room = FD_LIMIT as usize - base;
    assert!(room >= 4, "the server already uses {base} descriptors");
    let mut clients: Vec<Client> = (0..2 * room)
        .map(|i| {
            let mut client = Client::connect(server.addr);
            client.get(&format!("/0/client-{i}"));
            client
        })
        .collect();
    // The listen backlog is first in, first out: the first `room` clients
    // are the ones accepted.
    for (i, client) in clients.iter_mut().enumerate().take(room) {
        assert_eq!(client.response().text(), format!("client-{i}"));
    }
    wait_until("the server to reach its limit", || {
        open_fds(pid) == FD_LIMIT as usize
    });

    // Out of descriptors with clients waiting: it must idle, not spin.
    let cpu_before = cpu_time(pid);
    let window = Duration::from_secs(1);
    std::thread::sleep(window);
    let cpu_used = cpu_time(pid) - cpu_before;
    assert!(
        cpu_used < window / 8,
        "the server used {cpu_used:?} of CPU in {window:?} while out of descriptors"
    );
    // The waiting clients really were left waiting.
    let waiting = &clients[room];
    waiting.stream().set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let peek = waiting.stream().read(&mut byte);
    assert!(
        matches!(&peek, Err(e) if e.kind() == ErrorKind::WouldBlock),
        "a client beyond the limit was answered: {peek:?}"
    );
    waiting.stream().set_nonblocking(false).unwrap();

    // Free the first clients' descriptors: the waiting ones get served.
    let mut waiting: Vec<Client> = clients.split_off(room);
    drop(clients);
    for (i, client) in waiting.iter_mut().enumerate() {
        assert_eq!(client.response().text(), format!("client-{}", room + i));
    }
    // And new clients too, once those are gone.
    drop(waiting);
    let mut late = Client::connect(server.addr);
    late.get("/0/late");
    assert_eq!(late.response().text(), "late");
}
