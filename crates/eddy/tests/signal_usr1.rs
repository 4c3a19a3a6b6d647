//! SIGUSR1 (this binary only raises SIGUSR1): two listeners each see one
//! delivery; a listener made before the raise sees it, one made after does
//! not; forbidden and bogus signals are clear errors.

use std::time::Duration;

use eddy::signal::unix::{SignalKind, signal};

fn raise(signum: libc::c_int) {
    // SAFETY: raise(3) has no memory-safety preconditions.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

#[eddy::test]
async fn two_listeners_each_see_one_delivery() {
    let mut a = signal(SignalKind::user_defined1()).unwrap();
    let mut b = signal(SignalKind::user_defined1()).unwrap();
    raise(libc::SIGUSR1);
    assert_eq!(a.recv().await, Some(()));
    assert_eq!(b.recv().await, Some(()));
    // Exactly one each: nothing more is pending.
    let again = eddy::time::timeout(Duration::from_millis(50), a.recv()).await;
    assert!(again.is_err(), "a second delivery appeared");
    // A listener created after the raise does not see it...
    let mut late = signal(SignalKind::user_defined1()).unwrap();
    let early = eddy::time::timeout(Duration::from_millis(20), late.recv()).await;
    assert!(early.is_err());
    // ...but sees the next one, as do the others.
    raise(libc::SIGUSR1);
    assert_eq!(late.recv().await, Some(()));
    assert_eq!(a.recv().await, Some(()));
    assert_eq!(b.recv().await, Some(()));
}

#[eddy::test]
async fn forbidden_and_bogus_signals_are_invalid_input() {
    for signum in [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
    ] {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(&format!("({signum})")), "{err}");
    }
    for bogus in [0, -1, 1000] {
        let err = signal(SignalKind::from_raw(bogus)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("not a signal number"), "{err}");
    }
}

#[test]
fn outside_a_runtime_it_is_an_error() {
    let err = signal(SignalKind::user_defined1()).unwrap_err();
    assert!(err.to_string().contains("runtime"), "{err}");
}
