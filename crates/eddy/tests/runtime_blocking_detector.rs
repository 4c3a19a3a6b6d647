//! `Builder::warn_on_blocking`: a task poll that runs longer than the
//! threshold is reported once per task through `log`, with the task id and
//! its spawn location. One test per file would be overkill: the logger is
//! process-global, so the tests share it and serialise on a mutex.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use eddy::runtime::Builder;

struct TestLogger {
    records: Mutex<Vec<(log::Level, String)>>,
}

impl log::Log for TestLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.records
            .lock()
            .unwrap()
            .push((record.level(), record.args().to_string()));
    }
    fn flush(&self) {}
}

static LOGGER: TestLogger = TestLogger {
    records: Mutex::new(Vec::new()),
};
static SERIAL: Mutex<()> = Mutex::new(());

fn setup() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Trace);
    LOGGER.records.lock().unwrap().clear();
    guard
}

fn warnings() -> Vec<String> {
    LOGGER
        .records
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, msg)| *level == log::Level::Warn && msg.contains("blocked the runtime"))
        .map(|(_, msg)| msg.clone())
        .collect()
}

#[test]
fn a_blocking_poll_is_reported_once_with_id_and_location() {
    let _serial = setup();
    let rt = Builder::new_current_thread()
        .warn_on_blocking(Duration::from_millis(10))
        .build()
        .unwrap();
    let (id, line) = rt.block_on(async {
        let line = line!() + 1;
        let task = eddy::spawn(async {
            std::thread::sleep(Duration::from_millis(30));
            eddy::task::yield_now().await;
            // Blocks again: still one report for this task.
            std::thread::sleep(Duration::from_millis(30));
        });
        let id = task.id();
        task.await.unwrap();
        (id, line)
    });
    let warnings = warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let msg = &warnings[0];
    assert!(msg.contains(&format!("task {id} ")), "{msg}");
    assert!(
        msg.contains(&format!("runtime_blocking_detector.rs:{line}")),
        "{msg}"
    );
}

#[test]
fn quick_polls_are_not_reported() {
    let _serial = setup();
    let rt = Builder::new_current_thread()
        .warn_on_blocking(Duration::from_secs(2))
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..100 {
            eddy::spawn(async { eddy::task::yield_now().await })
                .await
                .unwrap();
        }
    });
    assert!(warnings().is_empty());
}

#[test]
fn the_detector_is_off_by_default() {
    let _serial = setup();
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        eddy::spawn(async { std::thread::sleep(Duration::from_millis(20)) })
            .await
            .unwrap();
    });
    assert!(warnings().is_empty());
}
