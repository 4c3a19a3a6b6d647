//! Platform backends. Everything that touches the OS lives below this module.
//!
//! # The backend contract
//!
//! Each backend module (`epoll` for Linux/Android, `kqueue` for macOS and the
//! BSDs) exports the same names, and the portable code uses nothing else:
//!
//! * `Selector`: owns the kernel queue. `new()`, `try_clone()`,
//!   `select(&self, &mut Events, Option<Duration>)`, `register(fd, Token,
//!   Interest)`, `reregister(fd, Token, Interest)`, `deregister(fd)`.
//!   Registration is edge-triggered. `select` retries on `EINTR` and never
//!   returns before the timeout has elapsed unless an event arrived.
//! * `Event`: the kernel's event record, and the free functions `token`,
//!   `is_readable`, `is_writable`, `is_error`, `is_read_closed`,
//!   `is_write_closed`, `is_priority` reading it.
//! * `Events`: `Vec<Event>` sized by the caller.
//! * `WakerInner`: a kernel object that makes `select` return from any
//!   thread: `new(&Selector, Token)`, `wake()`. Several wakes before one
//!   `select` are reported as one event.
//!
//! The socket helpers in [`net`] are shared by every Unix backend.
//!
//! All system calls go through `syscall!` (below), which turns `-1` into
//! `io::Error::last_os_error()`; no call site repeats that check.

/// Calls a `libc` function and turns a `-1` return into `io::Error`.
///
/// The expansion contains an `unsafe` block: every call site states, in a
/// `// SAFETY:` comment just above it, why the arguments are valid for that
/// system call.
macro_rules! syscall {
    ($fn: ident ( $($arg: expr),* $(,)? ) ) => {{
        #[allow(unused_unsafe)]
        // SAFETY: the call site documents why the arguments are valid.
        let res = unsafe { libc::$fn($($arg, )*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use epoll::*;

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
mod kqueue;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
pub(crate) use kqueue::*;

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)))]
compile_error!("eddy-poll supports Linux/Android (epoll) and macOS/BSD (kqueue) only");

pub(crate) mod net;
