//! Fallbacks for Unix systems without Linux's guard markers.

use std::io;

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
