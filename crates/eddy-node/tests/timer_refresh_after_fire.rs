//! `Timeout::refresh()` after a timeout fired, for both kinds of
//! `set_timeout` callback: a plain `FnOnce` ran once and is gone (refresh
//! does nothing), a `refreshable` `FnMut` runs again (Node's behaviour),
//! and its kept timer does not keep the loop alive on its own.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use eddy_node::timers::{self, Timeout, refreshable, set_timeout};

#[test]
fn a_once_timeout_is_gone_after_it_fired() {
    let runs = Rc::new(Cell::new(0));
    let r = runs.clone();
    eddy_node::run(move || {
        let t = set_timeout(1, move || r.set(r.get() + 1));
        set_timeout(10, move || {
            t.refresh(); // fired already: nothing to re-arm
            assert!(!t.has_ref(), "a fired one-shot timer is gone");
        });
    })
    .unwrap();
    assert_eq!(runs.get(), 1);
}

#[test]
fn a_refreshable_timeout_runs_again_when_refreshed_after_firing() {
    let runs = Rc::new(Cell::new(0));
    let r = runs.clone();
    eddy_node::run(move || {
        let t = set_timeout(1, refreshable(move || r.set(r.get() + 1)));
        set_timeout(10, move || {
            t.refresh();
            assert!(t.has_ref());
        });
    })
    .unwrap();
    assert_eq!(runs.get(), 2);
}

#[test]
fn a_fired_refreshable_timeout_does_not_keep_the_loop_alive() {
    // The loop ends after the first run although the timer is kept.
    let handle: Rc<RefCell<Option<Timeout>>> = Rc::default();
    let h = handle.clone();
    let runs = Rc::new(Cell::new(0));
    let r = runs.clone();
    eddy_node::run(move || {
        *h.borrow_mut() = Some(set_timeout(1, refreshable(move || r.set(r.get() + 1))));
    })
    .unwrap();
    assert_eq!(runs.get(), 1);
    // Outside the loop the handle is inert.
    timers::clear_timeout(&handle.borrow().unwrap());
}

#[test]
fn clearing_a_fired_refreshable_timeout_drops_its_callback() {
    let alive = Rc::new(());
    let probe = Rc::downgrade(&alive);
    eddy_node::run(move || {
        let t = set_timeout(
            1,
            refreshable(move || {
                let _keep = &alive;
            }),
        );
        set_timeout(5, move || {
            assert!(probe.upgrade().is_some(), "kept after firing");
            timers::clear_timeout(&t);
            assert!(probe.upgrade().is_none(), "dropped by clear_timeout");
        });
    })
    .unwrap();
}
