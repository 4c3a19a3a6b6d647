//! The Unix backend: one `sigaction` handler for every signal anyone
//! listens for, per-signal delivery counters, the self-pipe that turns a
//! delivery into a readable event, and chaining to (and restoring) the
//! disposition that was there before.
//!
//! # The handler
//!
//! It does only async-signal-safe things: an atomic increment of the
//! signal's counter, a one-byte `write` to the non-blocking pipe (a full pipe
//! is fine: the reader is already due to wake), then a call to the previous
//! handler if that was a function (with `siginfo` and the context when it
//! was installed with `SA_SIGINFO`), saving and restoring `errno` around
//! all of it. The counter is bumped *before* the write, so a reader woken by
//! the pipe always sees the new count.
//!
//! # Install and restore
//!
//! [`install`] reads the current disposition, publishes it to the handler
//! (`PREVIOUS_*` statics) and only then swaps our handler in, so a delivery
//! arriving at any point is chained to the right function. [`restore`] puts
//! the saved disposition back in one `sigaction` call and leaves the
//! published one in place: a handler still running on another thread, or
//! one entered just before the swap, still chains correctly. Nothing the
//! handler reads is ever freed or closed.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};

/// One more than the largest signal number we accept (Linux's `SIGRTMAX`
/// is 64).
pub(crate) const SIGNAL_LIMIT: usize = 65;

/// Deliveries seen by the handler, per signal number.
static DELIVERIES: [AtomicU64; SIGNAL_LIMIT] = [const { AtomicU64::new(0) }; SIGNAL_LIMIT];

/// The previous handler of each signal as the handler should chain to it:
/// a function address, or `SIG_DFL`/`SIG_IGN` (not called).
static PREVIOUS_HANDLER: [AtomicUsize; SIGNAL_LIMIT] =
    [const { AtomicUsize::new(libc::SIG_DFL) }; SIGNAL_LIMIT];

/// The previous handler's `sa_flags` (whether it takes `siginfo`).
static PREVIOUS_FLAGS: [AtomicI32; SIGNAL_LIMIT] = [const { AtomicI32::new(0) }; SIGNAL_LIMIT];

/// The pipe's write end, for the handler (-1 until the pipe exists).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// The pipe's read end (or the errno that creating the pipe failed with).
static PIPE_READ: OnceLock<Result<OwnedFd, i32>> = OnceLock::new();

/// A disposition saved by [`install`], to be put back by [`restore`].
pub(crate) struct SavedAction(libc::sigaction);

impl std::fmt::Debug for SavedAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedAction")
            .field("handler", &self.0.sa_sigaction)
            .field("flags", &self.0.sa_flags)
            .finish()
    }
}

/// Deliveries of `signum` so far.
pub(crate) fn deliveries(signum: usize) -> u64 {
    DELIVERIES[signum].load(Ordering::Acquire)
}

/// The read end of the self-pipe, creating the pipe on first use.
pub(crate) fn pipe_read_fd() -> io::Result<RawFd> {
    let read = PIPE_READ.get_or_init(|| create_pipe().map_err(|e| e.raw_os_error().unwrap_or(0)));
    match read {
        Ok(fd) => Ok(fd.as_raw_fd()),
        Err(code) => Err(io::Error::from_raw_os_error(*code)),
    }
}

/// A non-blocking, close-on-exec pipe: `(read end, write end)`.
#[cfg(not(target_vendor = "apple"))]
fn nonblocking_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    syscall!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both descriptors are open and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A non-blocking, close-on-exec pipe: `(read end, write end)`. Apple
/// platforms have no `pipe2`, so the flags are set after `pipe`.
#[cfg(target_vendor = "apple")]
fn nonblocking_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe to fill.
    syscall!(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: pipe succeeded, so both descriptors are open and ours.
    let ends = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    for fd in [ends.0.as_raw_fd(), ends.1.as_raw_fd()] {
        // SAFETY: `fd` is open (owned by `ends`); F_SETFD/F_SETFL take an int.
        syscall!(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
        // SAFETY: as above.
        syscall!(unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) })?;
    }
    Ok(ends)
}

fn create_pipe() -> io::Result<OwnedFd> {
    let (read, write) = nonblocking_pipe()
        .map_err(|e| io::Error::new(e.kind(), format!("create the signal self-pipe: {e}")))?;
    // The write end lives for the rest of the process (the handler may run
    // at any time).
    PIPE_WRITE.store(write.as_raw_fd(), Ordering::Release);
    std::mem::forget(write);
    Ok(read)
}

/// Reads the self-pipe until it is empty.
pub(crate) fn drain_pipe(fd: RawFd) -> io::Result<()> {
    let mut buf = [0u8; 128];
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes; `fd` is the pipe's
        // read end, which is never closed.
        match syscall!(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) }) {
            Ok(0) => return Ok(()),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Routes `signum` to our handler, chaining to the disposition it replaces,
/// which is returned for [`restore`].
pub(crate) fn install(signum: usize) -> io::Result<SavedAction> {
    pipe_read_fd()?;
    let raw = signum as libc::c_int;
    let current = query(raw)?;
    publish_previous(signum, &current);
    // SAFETY: an all-zero sigaction is a valid "no flags, empty mask" value
    // to fill in.
    let mut ours: libc::sigaction = unsafe { std::mem::zeroed() };
    ours.sa_sigaction = handler as extern "C" fn(_, _, _) as libc::sighandler_t;
    ours.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
    // SAFETY: `ours.sa_mask` is a valid sigset_t to initialise.
    syscall!(unsafe { libc::sigemptyset(&mut ours.sa_mask) })?;
    // SAFETY: an all-zero sigaction is valid storage for the old action.
    let mut replaced: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `ours` is fully initialised and `replaced` is valid storage;
    // the handler only performs async-signal-safe operations (module docs).
    syscall!(unsafe { libc::sigaction(raw, &ours, &mut replaced) })?;
    if replaced.sa_sigaction != current.sa_sigaction || replaced.sa_flags != current.sa_flags {
        // Someone changed it between our query and our swap: chain to what
        // we actually replaced.
        publish_previous(signum, &replaced);
    }
    if replaced.sa_sigaction == ours.sa_sigaction {
        // Ours already (a restore that failed earlier): never chain to
        // ourselves; "restore" to the default.
        replaced.sa_sigaction = libc::SIG_DFL;
        replaced.sa_flags = 0;
        publish_previous(signum, &replaced);
    }
    Ok(SavedAction(replaced))
}

/// Puts back the disposition [`install`] replaced.
pub(crate) fn restore(signum: usize, saved: &SavedAction) -> io::Result<()> {
    // SAFETY: `saved.0` is a disposition the kernel gave us, unchanged.
    syscall!(unsafe { libc::sigaction(signum as libc::c_int, &saved.0, std::ptr::null_mut()) })
        .map(drop)
}

/// The current disposition of `signum`.
fn query(signum: libc::c_int) -> io::Result<libc::sigaction> {
    // SAFETY: an all-zero sigaction is valid storage for the result.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `current`.
    syscall!(unsafe { libc::sigaction(signum, std::ptr::null(), &mut current) })?;
    Ok(current)
}

/// Tells the handler what to chain to for `signum`.
fn publish_previous(signum: usize, action: &libc::sigaction) {
    PREVIOUS_FLAGS[signum].store(action.sa_flags, Ordering::Release);
    PREVIOUS_HANDLER[signum].store(action.sa_sigaction, Ordering::Release);
}

extern "C" fn handler(signum: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let saved_errno = errno::get();
    let Some(index) = usize::try_from(signum).ok().filter(|&s| s < SIGNAL_LIMIT) else {
        return;
    };
    DELIVERIES[index].fetch_add(1, Ordering::Release);
    let fd = PIPE_WRITE.load(Ordering::Acquire);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `fd` is the pipe's write end, never closed; `byte` is a
        // valid one-byte buffer. write(2) is async-signal-safe. A full pipe
        // (EAGAIN) loses nothing: the counter holds the truth and the
        // reader is already due to wake.
        let _ = unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
    let previous = PREVIOUS_HANDLER[index].load(Ordering::Acquire);
    if previous != libc::SIG_DFL && previous != libc::SIG_IGN {
        if PREVIOUS_FLAGS[index].load(Ordering::Acquire) & libc::SA_SIGINFO != 0 {
            // SAFETY: the previous disposition was installed with
            // SA_SIGINFO, so its address is a three-argument handler; we
            // pass it the arguments the kernel gave us.
            let chained: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(previous) };
            chained(signum, info, context);
        } else {
            // SAFETY: without SA_SIGINFO the address is a one-argument
            // handler.
            let chained: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(previous) };
            chained(signum);
        }
    }
    errno::set(saved_errno);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn raise(signum: libc::c_int) {
        // SAFETY: raise(3) has no memory-safety preconditions.
        syscall!(unsafe { libc::raise(signum) }).unwrap();
    }

    #[test]
    fn the_handler_counts_wakes_the_pipe_and_restore_puts_the_default_back() {
        // SIGWINCH: ignored by default, used by no other unit test.
        let signum = libc::SIGWINCH as usize;
        let saved = install(signum).unwrap();
        assert_eq!(saved.0.sa_sigaction, libc::SIG_DFL);
        let before = deliveries(signum);
        raise(libc::SIGWINCH);
        assert_eq!(deliveries(signum), before + 1);
        let fd = pipe_read_fd().unwrap();
        let mut byte = 0u8;
        // SAFETY: reading one byte into `byte` from the pipe's read end.
        let n = unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) };
        assert_eq!(n, 1);
        drain_pipe(fd).unwrap();
        restore(signum, &saved).unwrap();
        assert_eq!(query(libc::SIGWINCH).unwrap().sa_sigaction, libc::SIG_DFL);
    }
}
