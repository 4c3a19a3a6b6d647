//! `EINTR` never surfaces from `poll`: a signal caught while it waits (with
//! a handler installed without `SA_RESTART`, so the kernel does not restart
//! the call itself) neither fails the poll nor cuts its timeout short.
//!
//! This file is its own test binary because it installs a process-wide
//! signal handler.

mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use eddy_poll::{Token, Waker};
use util::{current_thread_id, new_poll, wait_until_blocked_in_poll};

/// How many signals the handler has caught.
static CAUGHT: AtomicUsize = AtomicUsize::new(0);

/// The tests share `CAUGHT`, so they take turns.
static SERIAL: Mutex<()> = Mutex::new(());

extern "C" fn count_signal(_signal: libc::c_int) {
    CAUGHT.fetch_add(1, Ordering::SeqCst);
}

/// Installs `count_signal` for SIGUSR1 without `SA_RESTART`.
fn install_handler() {
    // SAFETY: sigaction is plain data; all-zero is a valid starting value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = count_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = 0; // no SA_RESTART: blocking calls fail with EINTR
    // SAFETY: `action.sa_mask` is a live sigset_t we own.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: installs a handler that only touches an atomic (async-signal-safe).
    let rc = unsafe { libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "sigaction: {}", std::io::Error::last_os_error());
}

/// Starts a thread that signals `target` each time it is blocked in poll,
/// until `done` is set. Returns its join handle.
fn interrupt_repeatedly(
    target: libc::pthread_t,
    tid: libc::pid_t,
    done: Arc<AtomicBool>,
) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let mut sent = 0;
        while !done.load(Ordering::SeqCst) {
            wait_until_blocked_in_poll(tid);
            if done.load(Ordering::SeqCst) {
                break;
            }
            // Read the count first: the handler may run before pthread_kill
            // even returns.
            let before = CAUGHT.load(Ordering::SeqCst);
            // SAFETY: `target` is the polling thread, alive until it sets
            // `done` and joins us.
            let rc = unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
            assert_eq!(rc, 0, "pthread_kill");
            sent += 1;
            // Let the poller take the signal before looking for it asleep again.
            let deadline = Instant::now() + util::PATIENCE;
            while CAUGHT.load(Ordering::SeqCst) == before && !done.load(Ordering::SeqCst) {
                assert!(Instant::now() < deadline, "the signal was never caught");
                thread::yield_now();
            }
            if sent == 5 {
                break;
            }
        }
        sent
    })
}

#[test]
fn signals_during_a_timed_poll_neither_fail_it_nor_shorten_it() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    install_handler();
    let (mut poll, mut events) = new_poll();
    let done = Arc::new(AtomicBool::new(false));
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let signaller = interrupt_repeatedly(me, current_thread_id(), Arc::clone(&done));

    let timeout = Duration::from_millis(300);
    let caught_before = CAUGHT.load(Ordering::SeqCst);
    let start = Instant::now();
    let result = poll.poll(&mut events, Some(timeout));
    let waited = start.elapsed();
    done.store(true, Ordering::SeqCst);
    let sent = signaller.join().unwrap();

    result.expect("poll must not fail with EINTR");
    assert!(events.is_empty());
    assert!(waited >= timeout, "returned after {waited:?} < {timeout:?}");
    assert!(sent >= 1, "no signal was sent while polling");
    assert!(
        CAUGHT.load(Ordering::SeqCst) > caught_before,
        "the signal was not caught, so EINTR was not exercised"
    );
}

#[test]
fn signals_during_an_untimed_poll_do_not_end_it_before_its_event() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    install_handler();
    let (mut poll, mut events) = new_poll();
    let waker = Arc::new(Waker::new(poll.registry(), Token(1)).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let tid = current_thread_id();
    let caught_before = CAUGHT.load(Ordering::SeqCst);

    // Interrupt a few times, then wake.
    let remote = Arc::clone(&waker);
    let stop = Arc::clone(&done);
    let signaller = thread::spawn(move || {
        let sent = interrupt_repeatedly(me, tid, stop).join().unwrap();
        wait_until_blocked_in_poll(tid);
        remote.wake().unwrap();
        sent
    });
    poll.poll(&mut events, None)
        .expect("poll must not fail with EINTR");
    done.store(true, Ordering::SeqCst);
    let sent = signaller.join().unwrap();
    assert_eq!(
        events.iter().map(|e| e.token()).collect::<Vec<_>>(),
        [Token(1)]
    );
    assert_eq!(sent, 5);
    assert!(CAUGHT.load(Ordering::SeqCst) >= caught_before + 5);
}
