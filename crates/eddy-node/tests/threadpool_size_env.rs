//! `EDDY_THREADPOOL_SIZE` out of range is a clear error from `Loop::new`,
//! never a panic. (Its own test binary: it changes the environment.)

#[test]
fn bad_pool_sizes_are_errors_and_good_ones_run() {
    for bad in ["0", "1025", "lots"] {
        // SAFETY: this test binary has this one test, so no other thread
        // reads the environment while it changes.
        unsafe { std::env::set_var("EDDY_THREADPOOL_SIZE", bad) };
        let err = eddy_node::Loop::new().unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
        assert!(err.to_string().contains("EDDY_THREADPOOL_SIZE"), "{err}");
    }
    // SAFETY: as above.
    unsafe { std::env::set_var("EDDY_THREADPOOL_SIZE", "2") };
    let ran = std::rc::Rc::new(std::cell::Cell::new(0));
    let r = ran.clone();
    eddy_node::Loop::new()
        .unwrap()
        .run(move || {
            for _ in 0..5 {
                let r = r.clone();
                eddy_node::work::queue_work(|| Ok(()), move |_| r.set(r.get() + 1));
            }
        })
        .unwrap();
    assert_eq!(ran.get(), 5);
}
