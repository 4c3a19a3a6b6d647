//! Runtimes close every descriptor they open (epoll, eventfd) when dropped.
//! One test in this file: other tests running in parallel would open
//! descriptors of their own.

use std::time::Duration;

use eddy::runtime::Builder;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn runtimes_close_their_descriptors() {
    // Warm up anything lazily opened by the test harness.
    drop(Builder::new_current_thread().build().unwrap());
    let before = open_fds();
    for _ in 0..20 {
        let rt = Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let t = eddy::spawn(eddy::time::sleep(Duration::from_millis(1)));
            t.await.unwrap();
        });
        rt.spawn(std::future::pending::<()>());
    }
    assert_eq!(open_fds(), before);
}
