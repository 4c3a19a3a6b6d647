//! `multi_executor`: 60 delayed requests spread over the workers of a
//! multi-thread runtime finish in about the longest delay.

mod util;

fn field(stdout: &str, prefix: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix(prefix)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{stdout}"))
}

#[test]
fn sixty_requests_overlap_across_the_workers() {
    // Delays 10..200 ms: about 200 ms together, 6.3 s one after the other.
    let (out, _) = util::run_example("multi_executor", &["--scale", "0.1", "--workers", "2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches(" 200 OK after ").count(), 60, "{stdout}");
    for i in [0, 19, 59] {
        assert!(
            stdout.contains(&format!("Request{i} ")),
            "Request{i} missing:\n{stdout}"
        );
    }
    let longest = field(&stdout, "Longest delay: ");
    let elapsed = field(&stdout, "Elapsed: ");
    assert_eq!(longest, 200);
    assert!(
        elapsed >= longest,
        "finished before the longest delay: {elapsed} ms"
    );
    assert!(
        elapsed < 2_000,
        "took {elapsed} ms: the requests did not overlap"
    );
    let workers = field(&stdout, "Workers used: ");
    assert!(
        (1..=2).contains(&workers),
        "{workers} workers with --workers 2"
    );
}
