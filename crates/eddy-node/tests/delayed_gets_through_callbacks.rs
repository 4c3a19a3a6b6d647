//! N GETs to the delay server through the callback API, all in flight at
//! once: they finish in delay order, in about the longest delay (the "tour"
//! row for eddy-node).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[test]
fn delayed_gets_finish_in_delay_order_concurrently() {
    let server = delayserver::Server::bind("127.0.0.1:0".parse().unwrap())
        .unwrap()
        .quiet(true)
        .spawn();
    let addr = server.local_addr();
    let order = Rc::new(RefCell::new(Vec::new()));
    let o = order.clone();
    let start = Instant::now();
    eddy_node::run(move || {
        for delay in [400u64, 100, 300, 200] {
            let url = format!("http://{addr}/{delay}/req-{delay}");
            let o = o.clone();
            eddy_node::http::get(&url, move |res| {
                o.borrow_mut()
                    .push(res.expect("the delay server answers").text());
            });
        }
    })
    .unwrap();
    let elapsed = start.elapsed();
    server.shutdown().unwrap();
    assert_eq!(
        *order.borrow(),
        ["req-100", "req-200", "req-300", "req-400"]
    );
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(3),
        "not concurrent: {elapsed:?}"
    );
}
