//! The process-global half of signal handling: one `sigaction` handler for
//! every signal anyone listens for, per-signal delivery counters, and the
//! self-pipe that turns a delivery into a readable event for the reactors.
//!
//! The handler does only async-signal-safe things: an atomic increment of
//! the signal's counter, then a one-byte `write` to the non-blocking pipe
//! (a full pipe is fine: the reader is already due to wake), saving and
//! restoring `errno` around it. The counter is bumped *before* the write,
//! so a listener woken by the pipe always sees the new count.
//!
//! Handlers are installed on first use of a signal and never removed (as in
//! tokio): once a program listens for `SIGINT`, Ctrl-C no longer kills it.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// One more than the largest signal number we accept (Linux's `SIGRTMAX`
/// is 64).
pub(crate) const SIGNAL_LIMIT: usize = 65;

/// Deliveries seen by the handler, per signal number.
static DELIVERIES: [AtomicU64; SIGNAL_LIMIT] = [const { AtomicU64::new(0) }; SIGNAL_LIMIT];

/// Whether the handler is installed for a signal (or why it could not be).
static INSTALLED: [OnceLock<Result<(), i32>>; SIGNAL_LIMIT] =
    [const { OnceLock::new() }; SIGNAL_LIMIT];

/// The pipe's write end, for the handler (-1 until the pipe exists).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// The pipe's read end; listeners register duplicates of it.
static PIPE_READ: OnceLock<Result<OwnedFd, i32>> = OnceLock::new();

/// Calls a libc function that returns -1 on failure, turning that into the
/// OS error.
macro_rules! syscall {
    ($call: expr) => {{
        let result = $call;
        if result == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(result)
        }
    }};
}

/// Deliveries of `signum` so far.
pub(crate) fn deliveries(signum: usize) -> u64 {
    DELIVERIES[signum].load(Ordering::Acquire)
}

/// A new descriptor for the read end of the self-pipe (non-blocking,
/// close-on-exec), creating the pipe on first use.
pub(crate) fn pipe_reader() -> io::Result<OwnedFd> {
    let read = PIPE_READ.get_or_init(|| create_pipe().map_err(|e| e.raw_os_error().unwrap_or(0)));
    match read {
        Ok(fd) => fd.try_clone(),
        Err(code) => Err(io::Error::from_raw_os_error(*code)),
    }
}

fn create_pipe() -> io::Result<OwnedFd> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    syscall!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both descriptors are open and ours.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The write end lives for the rest of the process (the handler may run
    // at any time).
    PIPE_WRITE.store(write.as_raw_fd(), Ordering::Release);
    std::mem::forget(write);
    Ok(read)
}

/// Installs the handler for `signum` (once per process).
pub(crate) fn install(signum: usize) -> io::Result<()> {
    pipe_reader().map(drop)?;
    let installed = INSTALLED[signum].get_or_init(|| {
        install_handler(signum as libc::c_int).map_err(|e| e.raw_os_error().unwrap_or(0))
    });
    installed.map_err(io::Error::from_raw_os_error)
}

fn install_handler(signum: libc::c_int) -> io::Result<()> {
    // SAFETY: an all-zero sigaction is a valid "no flags, empty mask"
    // value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action.sa_mask` is a valid sigset_t to initialise.
    syscall!(unsafe { libc::sigemptyset(&mut action.sa_mask) })?;
    // SAFETY: `action` is fully initialised; the handler only performs
    // async-signal-safe operations (see the module docs).
    syscall!(unsafe { libc::sigaction(signum, &action, std::ptr::null_mut()) })?;
    Ok(())
}

extern "C" fn handler(signum: libc::c_int) {
    let saved = errno::get();
    if let Some(count) = usize::try_from(signum).ok().and_then(|s| DELIVERIES.get(s)) {
        count.fetch_add(1, Ordering::Release);
    }
    let fd = PIPE_WRITE.load(Ordering::Acquire);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `fd` is the pipe's write end, never closed; `byte` is a
        // valid one-byte buffer. write(2) is async-signal-safe. A full pipe
        // (EAGAIN) loses nothing: the counter holds the truth and the
        // reader is already due to wake.
        let _ = unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
    errno::set(saved);
}

/// `errno` save/restore for the handler (its location is per platform).
mod errno {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn location() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno slot; always valid.
        unsafe { libc::__errno_location() }
    }

    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    fn location() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno slot; always valid.
        unsafe { libc::__error() }
    }

    pub(super) fn get() -> libc::c_int {
        // SAFETY: `location` is this thread's errno slot.
        unsafe { *location() }
    }

    pub(super) fn set(value: libc::c_int) {
        // SAFETY: as in `get`.
        unsafe { *location() = value }
    }
}

/// Raises `signum` in this process (for tests and examples).
#[cfg(test)]
pub(crate) fn raise(signum: libc::c_int) -> io::Result<()> {
    // SAFETY: raise(3) has no memory-safety preconditions.
    syscall!(unsafe { libc::raise(signum) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handler_counts_and_wakes_the_pipe() {
        // SIGWINCH: ignored by default, unused by other unit tests.
        let signum = libc::SIGWINCH as usize;
        install(signum).unwrap();
        let reader = pipe_reader().unwrap();
        let before = deliveries(signum);
        raise(libc::SIGWINCH).unwrap();
        assert_eq!(deliveries(signum), before + 1);
        let mut file = std::fs::File::from(reader);
        let mut buf = [0u8; 64];
        let n = std::io::Read::read(&mut file, &mut buf).unwrap();
        assert!(n >= 1);
    }
}
