//! Spawning fibers, joining them, yielding, and their identity.

use std::cell::RefCell;
use std::rc::Rc;

use eddy_fiber::{Builder, Runtime, spawn, yield_now};

#[test]
fn block_on_returns_the_closure_value() {
    let rt = Runtime::new().unwrap();
    assert_eq!(rt.block_on(|| 5), 5);
    // The runtime can be entered again.
    assert_eq!(rt.block_on(|| "again"), "again");
}

#[test]
fn join_returns_each_fiber_value() {
    let rt = Runtime::new().unwrap();
    let sum: u64 = rt.block_on(|| {
        let handles: Vec<_> = (0..100u64).map(|i| spawn(move || i * 2)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sum, 9900);
}

#[test]
fn yield_interleaves_fibers_in_fifo_order() {
    let rt = Runtime::new().unwrap();
    let log = rt.block_on(|| {
        let log = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = (0..3)
            .map(|id| {
                let log = log.clone();
                spawn(move || {
                    for step in 0..3 {
                        log.borrow_mut().push((id, step));
                        yield_now();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        Rc::try_unwrap(log).unwrap().into_inner()
    });
    let expected: Vec<_> = (0..3)
        .flat_map(|step| (0..3).map(move |id| (id, step)))
        .collect();
    assert_eq!(log, expected);
}

#[test]
fn nested_spawns_and_joins() {
    fn tree(depth: u32) -> u32 {
        if depth == 0 {
            return 1;
        }
        let left = spawn(move || tree(depth - 1));
        let right = spawn(move || tree(depth - 1));
        left.join().unwrap() + right.join().unwrap()
    }
    let rt = Runtime::new().unwrap();
    assert_eq!(rt.block_on(|| tree(8)), 256);
}

#[test]
fn current_reports_id_and_name() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let main = eddy_fiber::current();
        assert_eq!(main.name(), Some("main"));
        let h = Builder::new()
            .name("worker-7")
            .stack_size(32 * 1024)
            .spawn(|| {
                let me = eddy_fiber::current();
                (me.id(), me.name().map(str::to_owned))
            })
            .unwrap();
        let expected_id = h.fiber().id();
        let (id, name) = h.join().unwrap();
        assert_eq!(id, expected_id);
        assert_ne!(id, main.id());
        assert_eq!(name.as_deref(), Some("worker-7"));
    });
    assert!(eddy_fiber::try_current().is_none());
}

#[test]
fn runtime_spawn_queues_for_the_next_block_on() {
    let rt = Runtime::new().unwrap();
    let h = rt.spawn(|| 11).unwrap();
    assert!(!h.is_finished());
    assert_eq!(rt.block_on(move || h.join().unwrap()), 11);
}

#[test]
fn detached_fibers_are_cancelled_when_the_runtime_drops() {
    struct SetOnDrop(Rc<RefCell<bool>>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    let dropped = Rc::new(RefCell::new(false));
    let rt = Runtime::new().unwrap();
    let flag = dropped.clone();
    rt.block_on(move || {
        spawn(move || {
            let _guard = SetOnDrop(flag);
            let (_tx, rx) = eddy_fiber::sync::channel::<()>();
            let _ = rx.recv(); // parks forever: the sender lives on this stack
        });
        yield_now();
    });
    assert!(!*dropped.borrow(), "still parked after block_on");
    drop(rt);
    assert!(*dropped.borrow(), "cancellation unwound the fiber's stack");
}

#[test]
#[should_panic(expected = "must be called from a fiber")]
fn spawn_outside_a_runtime_panics_clearly() {
    spawn(|| ());
}

#[test]
#[should_panic(expected = "deadlock")]
fn deadlock_is_reported_instead_of_hanging() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let (_tx, rx) = eddy_fiber::sync::channel::<()>();
        let _ = rx.recv();
    });
}
