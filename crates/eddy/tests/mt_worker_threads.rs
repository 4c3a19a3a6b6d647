//! Worker-thread count: `worker_threads(n)`, the `EDDY_WORKER_THREADS`
//! variable (checked in a child process, so no test mutates this process's
//! environment), and clear errors for bad values.

use std::process::Command;

use eddy::runtime::Builder;

const CHILD: &str = "EDDY_MT_TEST_CHILD";

/// Runs in the child: builds a default multi-thread runtime and prints the
/// outcome.
#[test]
fn child_builds_a_default_runtime() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    match Builder::new_multi_thread().build() {
        Ok(rt) => {
            rt.block_on(async {});
            println!("CHILD-OK");
        }
        Err(e) => println!("CHILD-ERR {e}"),
    }
}

fn child_output(value: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_builds_a_default_runtime",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("EDDY_WORKER_THREADS", value)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bad_environment_values_are_build_errors() {
    for bad in ["abc", "0", "5000", "-2", ""] {
        let out = child_output(bad);
        assert!(out.contains("CHILD-ERR"), "{bad:?}: {out}");
        assert!(out.contains("EDDY_WORKER_THREADS"), "{bad:?}: {out}");
    }
    assert!(child_output("3").contains("CHILD-OK"));
}

#[test]
fn zero_or_huge_worker_threads_are_build_errors() {
    for n in [0, 4097, usize::MAX] {
        let err = Builder::new_multi_thread()
            .worker_threads(n)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("worker threads"), "{err}");
    }
}
