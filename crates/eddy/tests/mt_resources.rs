//! Multi-thread runtimes give back every thread and descriptor they took.
//! One test in this file: other tests running in parallel would open
//! descriptors and start threads of their own.

use std::time::Duration;

use eddy::runtime::Builder;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn dropped_runtimes_join_their_threads_and_close_their_descriptors() {
    drop(
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    );
    let (fds, threads_before) = (open_fds(), threads());
    for i in 0..20 {
        let rt = Builder::new_multi_thread()
            .worker_threads(3)
            .build()
            .unwrap();
        rt.block_on(async move {
            let t = eddy::spawn(eddy::time::sleep(Duration::from_millis(1)));
            t.await.unwrap();
            if i % 2 == 0 {
                eddy::spawn(async { eddy::task::block_in_place(|| ()) })
                    .await
                    .unwrap();
            }
        });
        rt.spawn(std::future::pending::<()>());
    }
    assert_eq!(open_fds(), fds);
    assert_eq!(threads(), threads_before);
}
