//! `join_all_requests`: five concurrent requests finish in about the longest
//! delay, and print in order of their delays.

mod util;

#[test]
fn requests_run_concurrently_and_print_as_they_complete() {
    // Delays 0, 100, 200, 300, 400 ms: about 400 ms concurrently, 1000 in sequence.
    let (out, _) = util::run_example("join_all_requests", &["--scale", "0.1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    util::assert_in_order(
        &stdout,
        &[
            "HelloWorld0",
            "HelloWorld1",
            "HelloWorld2",
            "HelloWorld3",
            "HelloWorld4",
            "Elapsed",
        ],
    );
    let reported: u64 = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("Elapsed: ")?
                .strip_suffix(" ms")?
                .parse()
                .ok()
        })
        .expect("an Elapsed line");
    assert!(
        reported >= 400,
        "the slowest request alone is 400 ms, got {reported}"
    );
    assert!(
        reported < 1_000,
        "took {reported} ms: the requests did not overlap"
    );
}
