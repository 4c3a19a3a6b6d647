//! A panicking callback is an uncaught exception: reported with the site
//! that registered the callback, and the loop stops with an error, unless
//! an `on_uncaught` handler takes it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use eddy_node::timers::{set_immediate, set_timeout};

#[test]
fn panic_stops_the_loop_with_the_registration_site() {
    let after = Rc::new(Cell::new(false));
    let a = after.clone();
    let line = line!() + 2;
    let result = eddy_node::run(move || {
        set_timeout(1, || panic!("boom in a timer"));
        set_timeout(20, move || a.set(true));
    });
    let err = result.unwrap_err();
    assert_eq!(err.code(), "ERR_UNCAUGHT_PANIC");
    let text = err.to_string();
    assert!(text.contains("boom in a timer"), "{text}");
    assert!(
        text.contains(&format!("uncaught_panics.rs:{line}")),
        "{text}"
    );
    assert!(!after.get(), "the loop must stop at the panic");
}

#[test]
fn handler_gets_the_payload_and_the_loop_goes_on() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    eddy_node::run(move || {
        let s2 = s.clone();
        eddy_node::on_uncaught(move |u| {
            let msg = u.payload.downcast_ref::<&str>().copied().unwrap_or("?");
            s2.borrow_mut().push(msg.to_owned());
        });
        set_immediate(|| panic!("first"));
        eddy_node::next_tick(|| panic!("second"));
        set_timeout(5, move || s.borrow_mut().push("after".into()));
    })
    .unwrap();
    assert_eq!(*seen.borrow(), ["second", "first", "after"]);
}

#[test]
fn a_panicking_future_is_reported_like_a_callback() {
    let result = eddy_node::run(|| {
        eddy_node::spawn(async {
            eddy_node::timers::sleep(1).await;
            panic!("in a future");
        });
    });
    assert!(result.unwrap_err().to_string().contains("in a future"));
}

#[test]
fn pool_panics_become_errors_and_the_pool_survives() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    eddy_node::run(move || {
        for i in 0..8u32 {
            let g = g.clone();
            eddy_node::work::queue_work(
                move || {
                    if i % 2 == 0 {
                        panic!("work {i} failed");
                    }
                    Ok(i)
                },
                move |r| {
                    g.borrow_mut().push(match r {
                        Ok(i) => format!("ok {i}"),
                        Err(e) => format!("{} {}", e.code(), e.to_string().contains("failed")),
                    })
                },
            );
        }
    })
    .unwrap();
    let mut got = got.borrow().clone();
    got.sort();
    assert_eq!(got.len(), 8);
    assert_eq!(
        got.iter().filter(|s| *s == "ERR_WORKER_PANIC true").count(),
        4
    );
    assert!(got.contains(&"ok 7".to_owned()));
}

#[test]
fn a_second_loop_on_the_same_thread_is_refused_while_one_runs() {
    let inner = Rc::new(RefCell::new(None));
    let i = inner.clone();
    eddy_node::run(move || {
        *i.borrow_mut() = Some(eddy_node::run(|| {}).unwrap_err().code().to_owned());
    })
    .unwrap();
    assert_eq!(inner.borrow().as_deref(), Some("ERR_LOOP_RUNNING"));
}
