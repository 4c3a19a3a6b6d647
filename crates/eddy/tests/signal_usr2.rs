//! SIGUSR2 (this binary only raises SIGUSR2): dropping a listener does not
//! break the others; listeners on two runtimes (one multi-thread) both see
//! a delivery; the `Stream` impl.

use futures_lite::StreamExt;

use eddy::signal::unix::{SignalKind, signal};

fn raise(signum: libc::c_int) {
    // SAFETY: raise(3) has no memory-safety preconditions.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

#[test]
fn dropping_a_listener_leaves_the_others_working_across_runtimes() {
    let ct = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mt = eddy::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut kept = {
        let _guard = ct.enter();
        signal(SignalKind::user_defined2()).unwrap()
    };
    let dropped = {
        let _guard = ct.enter();
        signal(SignalKind::user_defined2()).unwrap()
    };
    // Made before the raise (under `enter`), awaited by a worker task.
    let mut on_mt_listener = {
        let _guard = mt.enter();
        signal(SignalKind::user_defined2()).unwrap()
    };
    let on_mt = mt.spawn(async move { on_mt_listener.next().await });
    drop(dropped);
    raise(libc::SIGUSR2);
    assert_eq!(ct.block_on(kept.recv()), Some(()));
    assert_eq!(mt.block_on(on_mt).unwrap(), Some(()));
}
