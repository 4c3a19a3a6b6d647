//! `fibers_basic` prints exactly the book's output: the two counters
//! interleave, fiber 1 finishes after 9, fiber 2 goes on alone to 14.

mod util;

#[test]
fn output_matches_the_book() {
    let (out, _) = util::run_example("fibers_basic", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut expected = vec![
        "THREAD 1 STARTING".to_string(),
        "thread: 1 counter: 0".into(),
    ];
    expected.push("THREAD 2 STARTING".into());
    expected.push("thread: 2 counter: 0".into());
    for i in 1..10 {
        expected.push(format!("thread: 1 counter: {i}"));
        expected.push(format!("thread: 2 counter: {i}"));
    }
    expected.push("THREAD 1 FINISHED".into());
    for i in 10..15 {
        expected.push(format!("thread: 2 counter: {i}"));
    }
    expected.push("THREAD 2 FINISHED".into());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, expected);
}
