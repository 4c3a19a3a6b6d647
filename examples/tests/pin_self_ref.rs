//! `pin_self_ref`: each part runs and says what it shows.

mod util;

#[test]
fn every_part_prints_its_finding() {
    let (out, _) = util::run_example("pin_self_ref", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    util::assert_in_order(
        &stdout,
        &[
            "1. Unpinned",
            "it points into b now",
            "2. Heap pinning",
            "via pointer = heap",
            "3. Stack pinning",
            "via pointer = stack",
            "4. Projection",
            "returned 23 after 3 polls",
        ],
    );
}
