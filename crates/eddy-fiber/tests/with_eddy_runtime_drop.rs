//! Dropping an eddy runtime that hosts fibers cancels them: fibers parked
//! on a fiber timer, a fiber channel, an eddy future or a socket unwind
//! their stacks (their destructors run, counted), and the thread can host
//! fibers again on a new runtime.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use eddy::runtime::{Builder, Handle};
use eddy_fiber::{block_on_future, spawn_on};

struct CountDrop(Rc<Cell<usize>>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn dropping_the_runtime_cancels_parked_fibers() {
    let drops = Rc::new(Cell::new(0));
    let started = Rc::new(Cell::new(0));
    let (_keep_sender, receiver) = eddy_fiber::sync::channel::<()>();
    let receiver = Rc::new(receiver);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let handle = Handle::current();
        for kind in 0..4 * 25 {
            let guard = CountDrop(drops.clone());
            let started = started.clone();
            let receiver = receiver.clone();
            let _fiber = spawn_on(&handle, move || {
                let _guard = guard;
                started.set(started.get() + 1);
                match kind % 4 {
                    0 => eddy_fiber::sleep(Duration::from_secs(3600)),
                    1 => {
                        let _ = receiver.recv();
                    }
                    2 => block_on_future(std::future::pending::<()>()),
                    _ => {
                        let mut stream = eddy_fiber::net::TcpStream::connect(addr).unwrap();
                        let mut buf = [0u8; 1];
                        let _ = std::io::Read::read(&mut stream, &mut buf);
                    }
                }
                unreachable!("a parked fiber is only cancelled");
            });
        }
        // Let every fiber start and park, then leave block_on.
        while started.get() < 100 {
            eddy::task::yield_now().await;
        }
        eddy::time::sleep(Duration::from_millis(1)).await;
    });
    assert_eq!(drops.get(), 0, "parked fibers are still alive");
    drop(rt);
    assert_eq!(drops.get(), 100, "every fiber's stack unwound");

    // The thread can host fibers again.
    let rt = Builder::new_current_thread().build().unwrap();
    let v = rt.block_on(async { spawn_on(&Handle::current(), || 9).await.unwrap() });
    assert_eq!(v, 9);
}
