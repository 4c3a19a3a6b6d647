//! Fallbacks for Unix systems without Linux's guard markers.

use std::io;
use std::os::fd::RawFd;

/// Extra `mmap` flags for stacks.
pub(crate) const MAP_STACK_FLAGS: libc::c_int = 0;

/// Guard markers do not exist here: always `Ok(false)` (use `mprotect`).
///
/// # Safety
///
/// None needed; `unsafe` only to match the Linux signature.
pub(crate) unsafe fn install_guard_marker(_addr: *mut u8, _len: usize) -> io::Result<bool> {
    Ok(false)
}

/// No huge-page hint on this system.
pub(crate) fn no_huge_pages(_addr: *mut u8, _len: usize) {}

/// `recv(fd, buf, 0)`.
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes of writes.
    let n = syscall!(recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0))?;
    Ok(n as usize)
}

/// `send(fd, buf)`; SIGPIPE is kept off by `SO_NOSIGPIPE` where the
/// platform needs it (std sets it on the sockets it creates).
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes of reads.
    let n = syscall!(send(fd, buf.as_ptr().cast(), buf.len(), 0))?;
    Ok(n as usize)
}
