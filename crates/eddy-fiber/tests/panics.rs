//! A panic in a fiber is caught at its base and returned by `join`.

use eddy_fiber::{JoinError, Runtime, spawn, yield_now};

/// Silences the panics these tests raise on purpose; others still print.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if !["boom", "in the middle", "main fiber failed"]
            .iter()
            .any(|m| msg.contains(m))
            && !info.payload().is::<u8>()
        {
            eprintln!("{info}");
        }
    }));
}

#[test]
fn panic_is_returned_through_join() {
    quiet_panics();
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let h = spawn(|| -> u32 { panic!("boom {}", std::hint::black_box(42)) });
        let err = h.join().unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.to_string(), "fiber panicked: boom 42");
        let payload = err.try_into_panic().unwrap();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom 42");
    });
}

#[test]
fn other_fibers_keep_running_after_a_panic() {
    quiet_panics();
    let rt = Runtime::new().unwrap();
    let total = rt.block_on(|| {
        let bad = spawn(|| {
            yield_now();
            panic!("in the middle");
        });
        let good: Vec<_> = (0..10)
            .map(|i| {
                spawn(move || {
                    yield_now();
                    yield_now();
                    i
                })
            })
            .collect();
        assert!(matches!(bad.join(), Err(JoinError::Panicked(_))));
        good.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
    });
    assert_eq!(total, 45);
    // The runtime is still usable.
    assert_eq!(rt.block_on(|| spawn(|| 1).join().unwrap()), 1);
}

#[test]
fn non_string_payloads_are_kept() {
    quiet_panics();
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let err = spawn(|| std::panic::panic_any(7u8)).join().unwrap_err();
        assert_eq!(err.to_string(), "fiber panicked");
        assert_eq!(*err.try_into_panic().unwrap().downcast::<u8>().unwrap(), 7);
    });
}

#[test]
fn main_fiber_panic_resumes_in_block_on() {
    quiet_panics();
    let rt = Runtime::new().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(|| -> () { panic!("main fiber failed") })
    }));
    let payload = caught.unwrap_err();
    assert_eq!(
        *payload.downcast_ref::<&str>().unwrap(),
        "main fiber failed"
    );
    assert_eq!(rt.block_on(|| 3), 3, "the runtime survives");
}
