//! Process-wide signal state: listeners share one registration of the
//! self-pipe (no descriptor per listener), the previous disposition comes
//! back when the last listener goes, a handler installed before Eddy's keeps
//! running (chained, with and without `SA_SIGINFO`), and deliveries racing
//! an install or restore are never lost.
//!
//! Each test uses its own signal number, so the tests sharing this process
//! never touch each other's dispositions; the descriptor count is checked in
//! a child process (other tests open descriptors concurrently).

use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eddy::signal::unix::{SignalKind, signal};

const CHILD_ENV: &str = "EDDY_SIGNAL_DISPOSITION_CHILD";

fn raise(signum: libc::c_int) {
    // SAFETY: raise(3) has no memory-safety preconditions.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

/// The handler address currently installed for `signum`.
fn current_handler(signum: libc::c_int) -> libc::sighandler_t {
    // SAFETY: an all-zero sigaction is valid storage for the result.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one.
    assert_eq!(
        unsafe { libc::sigaction(signum, std::ptr::null(), &mut action) },
        0
    );
    action.sa_sigaction
}

/// Installs `handler` for `signum` with `flags`.
fn install_own_handler(signum: libc::c_int, handler: libc::sighandler_t, flags: libc::c_int) {
    // SAFETY: an all-zero sigaction is a valid "no flags, empty mask" value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    action.sa_flags = flags;
    // SAFETY: `action` is initialised; the handlers below only touch atomics.
    assert_eq!(
        unsafe { libc::sigaction(signum, &action, std::ptr::null_mut()) },
        0
    );
}

fn runtime() -> eddy::runtime::Runtime {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build a current-thread runtime")
}

/// Runs the test `name` alone in a child process (this binary, re-run).
fn run_in_child(name: &str) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .status()
        .unwrap();
    assert!(status.success(), "child {name}: {status:?}");
}

#[test]
fn listeners_share_one_pipe_registration_and_each_sees_a_raise() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return run_in_child("listeners_share_one_pipe_registration_and_each_sees_a_raise");
    }
    let open_fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    runtime().block_on(async {
        let mut first = signal(SignalKind::user_defined1()).unwrap();
        let before = open_fds();
        let mut more: Vec<_> = (0..50)
            .map(|_| signal(SignalKind::user_defined1()).unwrap())
            .collect();
        more.push(signal(SignalKind::hangup()).unwrap());
        assert_eq!(open_fds(), before, "a listener opened a descriptor");
        raise(libc::SIGUSR1);
        assert_eq!(first.recv().await, Some(()));
        for listener in &mut more[..50] {
            assert_eq!(listener.recv().await, Some(()));
        }
    });
}

#[test]
fn dropping_the_last_listener_restores_the_default() {
    let signum = libc::SIGWINCH; // ignored by default: harmless if raised late
    assert_eq!(current_handler(signum), libc::SIG_DFL);
    runtime().block_on(async {
        let mut a = signal(SignalKind::window_change()).unwrap();
        let b = signal(SignalKind::window_change()).unwrap();
        assert_ne!(current_handler(signum), libc::SIG_DFL);
        drop(b);
        assert_ne!(current_handler(signum), libc::SIG_DFL, "a still listens");
        raise(signum);
        assert_eq!(a.recv().await, Some(()));
        drop(a);
        assert_eq!(current_handler(signum), libc::SIG_DFL);
        // Listening again installs the handler again.
        let mut c = signal(SignalKind::window_change()).unwrap();
        raise(signum);
        assert_eq!(c.recv().await, Some(()));
    });
    assert_eq!(current_handler(signum), libc::SIG_DFL);
}

static PLAIN_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn plain_handler(_signum: libc::c_int) {
    PLAIN_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_pre_installed_handler_still_runs_and_comes_back() {
    let signum = libc::SIGUSR2;
    let own = plain_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
    install_own_handler(signum, own, 0);
    runtime().block_on(async {
        let mut listener = signal(SignalKind::user_defined2()).unwrap();
        raise(signum);
        assert_eq!(listener.recv().await, Some(()));
        assert_eq!(PLAIN_CALLS.load(Ordering::SeqCst), 1, "chained once");
    });
    assert_eq!(current_handler(signum), own, "restored on the last drop");
    raise(signum);
    assert_eq!(PLAIN_CALLS.load(Ordering::SeqCst), 2);
}

static SIGINFO_SIGNO: AtomicUsize = AtomicUsize::new(0);

extern "C" fn siginfo_handler(
    _signum: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo_t.
    let signo = unsafe { (*info).si_signo };
    SIGINFO_SIGNO.store(signo as usize, Ordering::SeqCst);
}

#[test]
fn a_pre_installed_siginfo_handler_gets_its_siginfo() {
    let signum = libc::SIGURG; // ignored by default
    let own = siginfo_handler as extern "C" fn(_, _, _) as libc::sighandler_t;
    install_own_handler(signum, own, libc::SA_SIGINFO);
    runtime().block_on(async {
        let mut listener = signal(SignalKind::from_raw(signum)).unwrap();
        raise(signum);
        assert_eq!(listener.recv().await, Some(()));
    });
    assert_eq!(SIGINFO_SIGNO.load(Ordering::SeqCst), signum as usize);
    assert_eq!(current_handler(signum), own);
}

static QUEUED_CALLS: AtomicU64 = AtomicU64::new(0);

extern "C" fn queued_handler(_signum: libc::c_int) {
    QUEUED_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn deliveries_racing_install_and_restore_are_never_lost() {
    // A real-time signal: the kernel queues every one (no merging), so the
    // pre-installed handler must run exactly once per signal sent, whether
    // Eddy's handler (chaining) or its own disposition received it.
    let signum = libc::SIGRTMIN() + 1;
    const SENT: u64 = 1_000;
    install_own_handler(
        signum,
        queued_handler as extern "C" fn(libc::c_int) as libc::sighandler_t,
        0,
    );
    let rt = runtime();
    let sender = thread::spawn(move || {
        for _ in 0..SENT {
            // SAFETY: kill(2) to our own process; no memory-safety preconditions.
            assert_eq!(unsafe { libc::kill(libc::getpid(), signum) }, 0);
        }
    });
    let _guard = rt.enter();
    loop {
        // Install and restore over and over while the signals arrive.
        drop(signal(SignalKind::from_raw(signum)).unwrap());
        if sender.is_finished() {
            break;
        }
    }
    sender.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while QUEUED_CALLS.load(Ordering::SeqCst) < SENT && Instant::now() < deadline {
        // Queued signals are delivered to some thread of ours soon; nothing
        // to await on in a plain thread, so yield.
        thread::yield_now();
    }
    assert_eq!(QUEUED_CALLS.load(Ordering::SeqCst), SENT);
}

#[test]
fn listeners_on_a_runtime_that_shut_down_end_while_others_keep_working() {
    // SIGCONT: harmless when raised (continues a running process), and,
    // unlike SIGCHLD, not delivered by the child processes of other tests.
    let kind = SignalKind::from_raw(libc::SIGCONT);
    let alive = runtime();
    let mut kept = {
        let _guard = alive.enter();
        signal(kind).unwrap()
    };
    let gone = runtime();
    let mut orphan = {
        let _guard = gone.enter();
        signal(kind).unwrap()
    };
    drop(gone);
    assert_eq!(futures_lite::future::block_on(orphan.recv()), None);
    raise(libc::SIGCONT);
    assert_eq!(alive.block_on(kept.recv()), Some(()));
}
