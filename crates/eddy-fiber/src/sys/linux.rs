//! Linux-only calls: guard markers, huge-page opt-out, and socket transfers
//! that skip glibc's cancellation-point wrappers.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

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
        Ok(_) if MARKERS_VERIFIED.load(Ordering::Relaxed) => Ok(true),
        Ok(_) => {
            // Some environments accept every madvise and ignore it (qemu's
            // user-mode emulator does): check once that the marker faults.
            let faults = marker_faults(addr)?;
            MARKERS_VERIFIED.store(faults, Ordering::Relaxed);
            Ok(faults)
        }
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Set once a guard marker was seen to fault.
static MARKERS_VERIFIED: AtomicBool = AtomicBool::new(false);

/// Whether reading the byte at `addr` faults, asked without faulting: the
/// kernel reads it for `write(2)` into a pipe and returns `EFAULT` if it
/// cannot.
fn marker_faults(addr: *const u8) -> io::Result<bool> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two descriptors for pipe2 to fill.
    syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC)).map_err(|e| {
        io::Error::new(e.kind(), format!("pipe2 to probe stack guard markers: {e}"))
    })?;
    // SAFETY: writing one byte from `addr` only makes the kernel try to
    // read it (EFAULT if it cannot); `fds[1]` is the pipe just created.
    let written = syscall!(write(fds[1], addr.cast(), 1));
    for fd in fds {
        // SAFETY: both descriptors were created above and are closed once.
        let _ = syscall!(close(fd));
    }
    match written {
        Ok(_) => Ok(false),
        Err(e) if e.raw_os_error() == Some(libc::EFAULT) => Ok(true),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("write(2) to probe stack guard markers: {e}"),
        )),
    }
}

/// Asks the kernel not to back `[addr, addr + len)` with transparent huge
/// pages (best effort).
pub(crate) fn no_huge_pages(addr: *mut u8, len: usize) {
    // SAFETY: madvise with MADV_NOHUGEPAGE only changes a paging hint of a
    // mapping the caller owns; failure is harmless and ignored.
    let _ = syscall!(madvise(addr.cast(), len, libc::MADV_NOHUGEPAGE));
}
