//! Memory per idle fiber: RSS growth while N fibers (or peers' coroutines /
//! tasks) are parked at once, divided by N. Each runtime is measured in a
//! child process of its own, so their allocations do not mix.
//!
//! Run: `cargo bench -p eddy-fiber --bench idle_memory` (N = 100 000, may
//! at most 30 000; `-- 20000` for another count).

use std::process::Command;
use std::time::Duration;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn report(name: &str, n: usize, before: u64, during: u64) {
    let per = (during.saturating_sub(before)) as f64 / n as f64;
    println!(
        "{name:<12} {n} idle: RSS +{:.1} MiB, {per:.0} bytes each",
        (during - before) as f64 / 1048576.0
    );
}

fn eddy(n: usize) {
    let rt = eddy_fiber::Runtime::new().unwrap();
    rt.block_on(move || {
        let before = rss_bytes();
        let (tx, rx) = eddy_fiber::sync::channel::<()>();
        let rx = std::rc::Rc::new(rx);
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let rx = rx.clone();
                eddy_fiber::spawn(move || {
                    let _ = rx.recv();
                })
            })
            .collect();
        eddy_fiber::yield_now(); // every fiber runs once and parks
        let during = rss_bytes();
        report("eddy-fiber", n, before, during);
        drop(tx);
        for h in handles {
            h.join().unwrap();
        }
    });
}

fn may_coroutines(n: usize) {
    may::config().set_workers(1);
    let before = rss_bytes();
    let (tx, rx) = may::sync::mpmc::channel::<()>();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let rx = rx.clone();
            // SAFETY: the coroutine body uses no thread-local storage.
            unsafe {
                may::coroutine::spawn(move || {
                    let _ = rx.recv();
                })
            }
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let during = rss_bytes();
    report("may", n, before, during);
    drop(tx);
    drop(rx);
    for h in handles {
        let _ = h.join();
    }
}

fn tokio_tasks(n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let before = rss_bytes();
        let (tx, rx) = tokio::sync::watch::channel(());
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let mut rx = rx.clone();
                tokio::spawn(async move {
                    let _ = rx.changed().await;
                })
            })
            .collect();
        tokio::task::yield_now().await;
        let during = rss_bytes();
        report("tokio task", n, before, during);
        drop(tx);
        for h in handles {
            let _ = h.await;
        }
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let which = &args[pos + 1];
        let n: usize = args[pos + 2].parse().unwrap();
        match which.as_str() {
            "eddy" => eddy(n),
            "may" => may_coroutines(n),
            "tokio" => tokio_tasks(n),
            _ => unreachable!(),
        }
        return;
    }
    let n: usize = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    for which in ["eddy", "may", "tokio"] {
        // may maps two memory areas per coroutine stack and dies near 32 000
        // (vm.max_map_count); measure it where it still works.
        let n = if which == "may" { n.min(30_000) } else { n };
        let out = Command::new(&args[0])
            .args(["--child", which, &n.to_string()])
            .output()
            .unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            println!(
                "{which:<12} failed: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
        }
    }
}
