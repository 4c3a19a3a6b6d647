//! Operating-system hints for whole-file reads: the one place in `fs` with
//! `unsafe` and platform `cfg`s.
//!
//! Reading a large file into a fresh `Vec` costs more in page faults than in
//! copying: every 4 KiB page of the new buffer faults once when the kernel
//! first writes to it (25 600 faults for 100 MiB, about half the time of
//! `std::fs::read` on the reference machine). On Linux, [`advise_huge_pages`]
//! asks for transparent huge pages on the 2 MiB-aligned interior of the
//! buffer, so the same bytes arrive through about 50 faults. It is only a
//! hint: where huge pages are disabled (`/sys/kernel/mm/transparent_hugepage`
//! set to `never`) or unsupported, nothing changes. Where the kernel's THP
//! `defrag` setting is `madvise` (the common default), a fault in an advised
//! range may compact memory first when no huge page is free; that wait
//! happens on the blocking pool, never on a runtime thread, and the kernel
//! falls back to small pages when compaction fails.

/// Buffers smaller than this are left alone (at most one huge page would fit
/// and the saving is a few microseconds).
#[cfg(any(target_os = "linux", target_os = "android"))]
const MIN_ADVISED_LEN: usize = 8 * 1024 * 1024;

/// Asks the kernel to back the not-yet-touched spare capacity of `buf`, up to
/// `expected` bytes past its length, with huge pages. The caller expects to
/// fill those bytes (a file of known size), so no memory is wasted.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn advise_huge_pages(buf: &mut Vec<u8>, expected: usize) {
    const HUGE_PAGE: usize = 2 * 1024 * 1024;
    let expected = expected.min(buf.capacity() - buf.len());
    if expected < MIN_ADVISED_LEN {
        return;
    }
    let start = buf.spare_capacity_mut().as_mut_ptr() as usize;
    let first = start.next_multiple_of(HUGE_PAGE);
    let end = (start + expected) / HUGE_PAGE * HUGE_PAGE;
    if end <= first {
        return;
    }
    // SAFETY: `[first, end)` lies inside `buf`'s spare capacity, memory this
    // `Vec` owns exclusively and that holds no initialised bytes yet;
    // MADV_HUGEPAGE only changes how its pages are backed, never their
    // contents or validity. A failure (EINVAL without THP) changes nothing.
    let _ = unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
}

/// No huge-page hint on this platform.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn advise_huge_pages(_buf: &mut Vec<u8>, _expected: usize) {}
