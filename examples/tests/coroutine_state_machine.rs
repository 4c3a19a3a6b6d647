//! `coroutine_state_machine`: two requests one after the other, in order,
//! taking the sum of their delays.

mod util;

use std::time::Duration;

#[test]
fn requests_run_in_sequence_and_print_in_order() {
    // Delays 600 and 400 ms scaled by 0.2: 120 + 80 = 200 ms in sequence.
    let (out, elapsed) = util::run_example("coroutine_state_machine", &["--scale", "0.2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    util::assert_in_order(
        &stdout,
        &["Program starting", "HelloWorld1", "HelloWorld2", "Elapsed"],
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
        reported >= 200,
        "two sequential requests took only {reported} ms"
    );
    assert!(reported < 2_000, "took {reported} ms, expected about 200");
    assert!(elapsed >= Duration::from_millis(200));
}
