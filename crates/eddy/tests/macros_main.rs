//! `#[eddy::main]` and `#[eddy::test]`.

use std::time::Duration;

#[eddy::test]
async fn a_test_runs_on_a_current_thread_runtime() {
    let task = eddy::spawn(async { 21 * 2 });
    assert_eq!(task.await.unwrap(), 42);
    eddy::time::sleep(Duration::from_millis(1)).await;
}

#[eddy::test(flavor = "current_thread")]
async fn an_explicit_flavor_works() {
    assert!(eddy::runtime::Handle::try_current().is_ok());
}

#[eddy::test]
async fn a_test_can_return_a_result() -> Result<(), std::io::Error> {
    let n: u32 = "7".parse().map_err(std::io::Error::other)?;
    assert_eq!(n, 7);
    Ok(())
}

#[eddy::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_test_runs_tasks_on_its_workers() {
    let worker = eddy::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_ne!(
        worker,
        std::thread::current().id(),
        "tasks run on worker threads"
    );
}

mod main_fn {
    /// Multi-thread by default: the task runs on a worker thread.
    #[eddy::main]
    pub async fn main() -> u32 {
        let here = std::thread::current().id();
        let there = eddy::spawn(async { std::thread::current().id() })
            .await
            .unwrap();
        assert_ne!(here, there);
        eddy::spawn(async { 5 }).await.unwrap()
    }
}

#[test]
fn main_blocks_on_its_body() {
    assert_eq!(main_fn::main(), 5);
}
