//! `fibers_closure`: closures capture their environment, a fiber spawns a
//! nested one, and values come back through join handles.

mod util;

#[test]
fn nested_closures_run_in_scheduling_order() {
    let (out, _) = util::run_example("fibers_closure", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "I haven't implemented a timer in this example.",
            "But we can still nest tasks...",
            "Finally, notice how the tasks are executed concurrently.",
            "FIBER 1 FINISHED.",
            "...like this!",
            "FIBER 3 FINISHED.",
            "FIBER 2 FINISHED.",
            "The fibers returned 42 in all.",
        ]
    );
}
