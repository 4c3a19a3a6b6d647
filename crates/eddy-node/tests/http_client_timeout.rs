//! `http::request_with_timeout` against the delay server: a response slower
//! than the timeout ends in `ETIMEDOUT` after about the timeout (not after
//! the server's delay), and a fast one arrives normally.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use eddy_node::http;

#[test]
fn a_slow_response_times_out_and_a_fast_one_does_not() {
    let server = delayserver::Server::bind("127.0.0.1:0".parse().unwrap())
        .unwrap()
        .quiet(true)
        .spawn();
    let addr = server.local_addr();
    let results = Rc::new(RefCell::new(Vec::new()));
    let r = results.clone();
    let start = Instant::now();
    eddy_node::run(move || {
        let slow = format!("http://{addr}/3000/slow");
        let r1 = r.clone();
        http::request_with_timeout(
            "GET",
            &slow,
            &[],
            "",
            Duration::from_millis(100),
            move |res| {
                let outcome = match res {
                    Ok(res) => format!("response {}", res.text()),
                    Err(e) => e.code().to_owned(),
                };
                r1.borrow_mut().push((outcome, start.elapsed()));
            },
        );
        let fast = format!("http://{addr}/0/fast");
        http::request_with_timeout("GET", &fast, &[], "", Duration::from_secs(10), move |res| {
            let outcome = match res {
                Ok(res) => format!("response {}", res.text()),
                Err(e) => e.code().to_owned(),
            };
            r.borrow_mut().push((outcome, start.elapsed()));
        });
    })
    .unwrap();
    let elapsed = start.elapsed();
    server.shutdown().unwrap();
    let results = results.borrow();
    let outcomes: Vec<&str> = results.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(outcomes, ["response fast", "ETIMEDOUT"]);
    let timed_out_at = results[1].1;
    assert!(
        timed_out_at >= Duration::from_millis(100),
        "{timed_out_at:?}"
    );
    assert!(
        timed_out_at < Duration::from_millis(1500),
        "{timed_out_at:?}"
    );
    // Neither the fast request's long timer nor the destroyed slow socket
    // kept the loop running.
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}
