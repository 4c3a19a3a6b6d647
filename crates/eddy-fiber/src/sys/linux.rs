//! Linux-only memory calls: guard markers and huge-page opt-out.

use std::io;

/// `MADV_GUARD_INSTALL` (Linux 6.13+): turns the range into a guard region
/// that faults on access without splitting the mapping, so thousands of
/// guarded stacks fit in one mapping (and under `vm.max_map_count`).
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// Extra `mmap` flags for stacks: do not reserve swap for the whole size.
pub(crate) const MAP_STACK_FLAGS: libc::c_int = libc::MAP_NORESERVE | libc::MAP_STACK;

/// Installs a guard marker over `[addr, addr + len)`; `Ok(false)` when this
/// kernel does not know guard markers.
///
/// # Safety
///
/// The range must lie inside a private anonymous mapping of ours that
/// nothing uses (its contents are discarded).
pub(crate) unsafe fn install_guard_marker(addr: *mut u8, len: usize) -> io::Result<bool> {
    // SAFETY: the caller guarantees the range is ours and unused.
    match syscall!(madvise(addr.cast(), len, MADV_GUARD_INSTALL)) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Asks the kernel not to back `[addr, addr + len)` with transparent huge
/// pages (best effort).
pub(crate) fn no_huge_pages(addr: *mut u8, len: usize) {
    // SAFETY: madvise with MADV_NOHUGEPAGE only changes a paging hint of a
    // mapping the caller owns; failure is harmless and ignored.
    let _ = syscall!(madvise(addr.cast(), len, libc::MADV_NOHUGEPAGE));
}
