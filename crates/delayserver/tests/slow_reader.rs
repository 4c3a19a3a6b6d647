//! A client that stops reading its responses is waited for without burning
//! CPU: the server parks its output until the socket is writable again, and
//! disconnects it after the idle timeout.
//!
//! Alone in its test binary, so the process's CPU time is the server's.

mod util;

use std::io::Write;
use std::time::Duration;

use delayserver::Server;
use util::{Client, localhost};

/// User plus system CPU time of this whole process.
fn process_cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct we pass; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid out-pointer.
    let result = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(result, 0);
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

#[test]
fn a_client_that_never_reads_costs_no_cpu_and_is_dropped_when_idle() {
    let idle_timeout = Duration::from_secs(2);
    let server = Server::bind(localhost())
        .unwrap()
        .quiet(true)
        .idle_timeout(idle_timeout)
        .spawn();
    let client = Client::connect(server.local_addr());
    // Answers due at once, far more than the socket buffers hold, and
    // never read: the server ends up with due responses it cannot send.
    let request = format!("GET /0/{} HTTP/1.1\r\n\r\n", "m".repeat(4000));
    let mut writer = client.stream().try_clone().unwrap();
    writer
        .set_write_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    for _ in 0..5000 {
        if writer.write_all(request.as_bytes()).is_err() {
            break; // The server stopped reading: it is stuck on us.
        }
    }

    let before = process_cpu_time();
    let window = Duration::from_millis(1000);
    std::thread::sleep(window);
    let used = process_cpu_time() - before;
    assert!(
        used < window / 8,
        "{used:?} of CPU in {window:?} waiting for a client to read"
    );

    // After the idle timeout the server gives up on the client: reading
    // now drains what was sent and then finds the connection closed.
    std::thread::sleep(idle_timeout);
    client
        .stream()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut sink = Vec::new();
    let drained = std::io::Read::read_to_end(&mut client.stream(), &mut sink);
    assert!(
        drained.is_ok() || drained.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the server did not close the idle connection"
    );
}
