//! SIGHUP (this binary only raises SIGHUP) and SIGINT via `ctrl_c` in a
//! child process (the test re-runs its own binary, so a stray SIGINT can
//! never reach the test harness).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use eddy::signal::unix::{SignalKind, signal};

const CHILD_ENV: &str = "EDDY_SIGNAL_TEST_CHILD";

#[eddy::test]
async fn several_hangups_coalesce_into_at_least_one_receive() {
    let mut a = signal(SignalKind::hangup()).unwrap();
    let mut b = signal(SignalKind::hangup()).unwrap();
    for _ in 0..3 {
        // SAFETY: raise(3) has no memory-safety preconditions.
        assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
    }
    // Three deliveries before anyone looked: one receive each reports them.
    assert_eq!(a.recv().await, Some(()));
    assert_eq!(b.recv().await, Some(()));
}

/// The child: waits for Ctrl-C and reports it.
fn child_main() {
    let rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut wait = std::pin::pin!(eddy::signal::ctrl_c());
        // The first poll installs the handler and registers the listener.
        assert!(futures_lite::future::poll_once(&mut wait).await.is_none());
        println!("waiting");
        wait.await.unwrap();
        println!("got ctrl-c");
    });
}

#[test]
fn ctrl_c_in_a_child_process() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child_main();
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "ctrl_c_in_a_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The child prints "waiting" once its handler is installed.
    loop {
        let line = lines.next().expect("child output").unwrap();
        if line.contains("waiting") {
            break;
        }
    }
    // SAFETY: kill(2) to our own child's pid; no memory-safety preconditions.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed: {status:?} {rest:?}");
    assert!(rest.iter().any(|l| l.contains("got ctrl-c")), "{rest:?}");
}
