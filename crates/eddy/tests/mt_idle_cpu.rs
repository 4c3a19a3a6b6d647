//! Multi-thread runtime: idle workers sleep (one in `epoll_wait`, the
//! others on a condition variable), burning almost no CPU.

use std::time::{Duration, Instant};

use eddy::runtime::Builder;

fn process_cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// One test in this file: the CPU time measured is the whole process's.
#[test]
fn two_idle_workers_blocked_on_a_one_second_sleep_use_almost_no_cpu() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async { eddy::time::sleep(Duration::from_millis(1)).await });
    let cpu_before = process_cpu_time();
    let start = Instant::now();
    rt.block_on(async {
        let _far = eddy::spawn(eddy::time::sleep(Duration::from_secs(3600)));
        let near = eddy::spawn(eddy::time::sleep(Duration::from_secs(1)));
        near.await.unwrap();
    });
    let wall = start.elapsed();
    let cpu = process_cpu_time() - cpu_before;
    assert!(wall >= Duration::from_secs(1), "woke early: {wall:?}");
    assert!(wall < Duration::from_secs(5), "woke late: {wall:?}");
    assert!(
        cpu < Duration::from_millis(50),
        "idle runtime burned {cpu:?} of CPU"
    );
}
