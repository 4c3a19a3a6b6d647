//! Socket flow control and handle references.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use eddy_node::net;
use eddy_node::timers::set_timeout;

#[test]
fn an_unrefd_server_lets_the_loop_exit() {
    let start = Instant::now();
    eddy_node::run(|| {
        let server = net::create_server(|_| {});
        server.listen("127.0.0.1:0", |addr| assert!(addr.is_ok()));
        server.unref();
    })
    .unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn paused_socket_gets_no_data_until_resumed() {
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    let l = log.clone();
    eddy_node::run(move || {
        let l2 = l.clone();
        let server = net::create_server(move |socket| {
            let (l3, s) = (l2.clone(), socket.clone());
            let total = Rc::new(Cell::new(0));
            socket.on_data(move |chunk| {
                total.set(total.get() + chunk.len());
                l3.borrow_mut().push(format!("data {}", total.get()));
                if total.get() == 1 {
                    s.pause();
                    l3.borrow_mut().push("paused".into());
                    let (s, l4) = (s.clone(), l3.clone());
                    set_timeout(20, move || {
                        l4.borrow_mut().push("resume".into());
                        s.resume();
                    });
                }
            });
        });
        let srv = server.clone();
        server.listen("127.0.0.1:0", move |addr| {
            let c = net::connect(&addr.unwrap().to_string());
            let c2 = c.clone();
            c.on_connect(move || {
                c2.write("a");
                let c3 = c2.clone();
                set_timeout(5, move || c3.end("bcd"));
            });
            c.on_close(move |_| srv.close(|| {}));
        });
    })
    .unwrap();
    let log = log.borrow();
    assert_eq!(log[..3], ["data 1", "paused", "resume"], "{log:?}");
    assert_eq!(log.last().map(String::as_str), Some("data 4"), "{log:?}");
}
