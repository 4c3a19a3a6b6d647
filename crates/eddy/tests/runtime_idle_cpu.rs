//! An idle runtime sleeps in `epoll_wait` until its next timer: no busy
//! polling.

use std::time::{Duration, Instant};

use eddy::runtime::Builder;

/// CPU time (user + system) of the calling thread.
fn thread_cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_THREAD with a valid pointer.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[test]
fn a_runtime_blocked_on_a_one_second_sleep_uses_almost_no_cpu() {
    let rt = Builder::new_current_thread().build().unwrap();
    // Warm up (first-use allocations, lazy statics).
    rt.block_on(async { eddy::time::sleep(Duration::from_millis(1)).await });
    let cpu_before = thread_cpu_time();
    let start = Instant::now();
    rt.block_on(async {
        // A second task waiting far away must not cause wake-ups either.
        let _far = eddy::spawn(eddy::time::sleep(Duration::from_secs(3600)));
        eddy::time::sleep(Duration::from_secs(1)).await;
    });
    let wall = start.elapsed();
    let cpu = thread_cpu_time() - cpu_before;
    assert!(wall >= Duration::from_secs(1), "woke early: {wall:?}");
    assert!(wall < Duration::from_secs(5), "woke late: {wall:?}");
    // The goal is < 5 ms; the bound is generous for a busy shared machine.
    assert!(
        cpu < Duration::from_millis(50),
        "idle runtime burned {cpu:?} of CPU"
    );
}
