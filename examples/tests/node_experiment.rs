//! Runs `node_experiment` with delays scaled down and checks the order of
//! its output lines against the book's (the web call and the file reads
//! race, as in the book; everything else is ordered by the loop's rules).

mod util;

#[test]
fn output_follows_the_books_order() {
    let (out, elapsed) = util::run_example("node_experiment", &["--scale", "0.1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The main script's registrations, in program order, first.
    util::assert_in_order(
        &stdout,
        &[
            "First call to read test.txt",
            "Registering immediate timeout 1",
            "Registering immediate timeout 2",
            "Second call to read test.txt",
            "Registering a 3000 and a 500 ms timeout",
            "Registering a 1000 ms timeout",
            "Registering http get request to google.com",
        ],
    );
    // Timers in deadline order, the nested one last.
    util::assert_in_order(
        &stdout,
        &[
            "Registering http get request",
            "Immediate1 timed out",
            "Immediate2 timed out",
            "SETTIMEOUT",
            "WEB CALL",
            "3000ms timer timed out",
            "500ms timer(nested) timed out",
            "FINISHED",
        ],
    );
    // Each file-read chain in its own order.
    util::assert_in_order(
        &stdout,
        &[
            "First count: 39 characters.",
            "I want to create a \"magic\" number based on the text.",
            "\"Encrypted\" number is: 63245986",
        ],
    );
    util::assert_in_order(
        &stdout,
        &[
            "Second count: 39 characters.",
            "Third call to read test.txt",
            "FILE READ",
            "Hello world! This is a text to encrypt!",
        ],
    );
    assert!(stdout.contains("HelloWorld"), "{stdout}");
    // Delays scaled by 0.1: 3500 ms of timers -> 350 ms; generous upper bound.
    assert!(elapsed.as_millis() >= 340, "too fast: {elapsed:?}");
    assert!(elapsed.as_secs() < 30, "too slow: {elapsed:?}");
}
