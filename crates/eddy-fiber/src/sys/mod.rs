//! The one place that talks to the OS: memory mappings for stacks, the
//! signal handler and alternate signal stack for overflow reports.
//!
//! The portable Unix calls live here; the Linux-only ones (guard markers
//! that do not split memory mappings, opting stacks out of huge pages) are in
//! `linux.rs`, with no-op fallbacks in `other.rs`. Both export:
//!
//! * `install_guard_marker(addr, len) -> io::Result<bool>`: makes the range
//!   fault on access *without* creating a new memory mapping; `Ok(false)`
//!   when the kernel cannot (then the caller uses `mprotect`).
//! * `no_huge_pages(addr, len)`: asks the kernel not to back the range with
//!   huge pages (an idle fiber must cost one small page, not 2 MiB).
//! * `recv(fd, buf)` / `send(fd, buf)`: one socket transfer (on Linux a raw
//!   system call, skipping glibc's cancellation-point wrapper).

use std::io;

/// Calls a `libc` function and turns a `-1` return into `io::Error`.
///
/// The expansion contains an `unsafe` block: every call site states, in a
/// `// SAFETY:` comment just above it, why the arguments are valid.
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
mod linux;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use linux::*;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod other;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use other::*;

/// The size of a memory page.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size <= 0 { 4096 } else { size as usize }
}

/// Reserves `len` bytes of read-write, lazily committed, private memory.
pub(crate) fn map_stack_memory(len: usize) -> io::Result<*mut u8> {
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing touches no existing memory.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | MAP_STACK_FLAGS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(ptr.cast())
}

/// Unmaps memory obtained from [`map_stack_memory`].
///
/// # Safety
///
/// `[addr, addr + len)` must be a mapping (or part of one) made by
/// [`map_stack_memory`] that nothing uses any more.
pub(crate) unsafe fn unmap(addr: *mut u8, len: usize) {
    // SAFETY: the caller guarantees the range is ours and unused. munmap of
    // a valid range cannot fail in a way we could act on.
    let _ = syscall!(munmap(addr.cast(), len));
}

/// Makes `[addr, addr + len)` inaccessible with `mprotect` (one extra memory
/// mapping per call).
///
/// # Safety
///
/// The range must lie inside a mapping of ours that nothing reads or writes.
pub(crate) unsafe fn protect_none(addr: *mut u8, len: usize) -> io::Result<()> {
    // SAFETY: the caller guarantees the range is ours and unused.
    syscall!(mprotect(addr.cast(), len, libc::PROT_NONE)).map(drop)
}

/// Gives the pages of `[addr, addr + len)` back to the kernel; the next touch
/// sees zero-filled pages. Guard markers stay in place.
///
/// # Safety
///
/// The range must lie inside a mapping of ours whose contents nobody needs.
pub(crate) unsafe fn discard(addr: *mut u8, len: usize) {
    // SAFETY: the caller guarantees nobody needs the contents. Failure only
    // means the memory stays resident, which is harmless.
    let _ = syscall!(madvise(addr.cast(), len, libc::MADV_DONTNEED));
}

/// Writes `bytes` to stderr with `write(2)` only: async-signal-safe.
pub(crate) fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid readable buffer of the given length.
        let n = unsafe { libc::write(libc::STDERR_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}
