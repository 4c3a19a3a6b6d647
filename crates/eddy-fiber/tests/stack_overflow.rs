//! A fiber that overflows its stack is reported on stderr with its name,
//! and the process aborts (run in a child process: this test re-executes
//! its own binary with `EDDY_FIBER_OVERFLOW_CHILD` set).

use std::process::Command;

const CHILD_ENV: &str = "EDDY_FIBER_OVERFLOW_CHILD";

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let buf = std::hint::black_box([depth as u8; 512]);
    if depth == u64::MAX {
        return 0;
    }
    recurse(depth + 1) + u64::from(buf[7])
}

fn overflow_in_a_fiber() {
    let rt = eddy_fiber::Runtime::new().unwrap();
    rt.block_on(|| {
        eddy_fiber::Builder::new()
            .name("deep-recursion")
            .stack_size(64 * 1024)
            .spawn(|| recurse(0))
            .unwrap()
            .join()
            .unwrap();
    });
}

#[test]
fn overflow_is_reported_with_the_fiber_name_and_aborts() {
    if std::env::var_os(CHILD_ENV).is_some() {
        overflow_in_a_fiber();
        unreachable!("the overflow must abort the process");
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "overflow_is_reported_with_the_fiber_name_and_aborts",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the child must not exit cleanly: {stderr}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGABRT),
            "aborted; stderr: {stderr}"
        );
    }
    assert!(stderr.contains("fiber stack overflow"), "stderr: {stderr}");
    assert!(stderr.contains("'deep-recursion'"), "stderr: {stderr}");
}

#[test]
fn faults_outside_guard_pages_are_not_reported_as_overflows() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    const NULL_CHILD: &str = "EDDY_FIBER_NULL_CHILD";
    if std::env::var_os(NULL_CHILD).is_some() {
        let rt = eddy_fiber::Runtime::new().unwrap();
        rt.block_on(|| {
            let p = std::hint::black_box(8usize) as *const u64;
            // SAFETY: deliberately invalid: this child process must crash.
            unsafe { std::ptr::read_volatile(p) }
        });
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "faults_outside_guard_pages_are_not_reported_as_overflows",
            "--exact",
            "--nocapture",
        ])
        .env(NULL_CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGSEGV),
            "default action; stderr: {stderr}"
        );
    }
    assert!(!stderr.contains("fiber stack overflow"), "stderr: {stderr}");
}
