//! Linux-only calls: guard markers, huge-page opt-out, and socket transfers
//! that skip glibc's cancellation-point wrappers.

use std::io;
use std::os::fd::RawFd;
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

/// `recv(fd, buf, 0)` as a raw system call. glibc's `recv` is a pthread
/// cancellation point and brackets the call with cancellation bookkeeping
/// (~60 instructions per call on x86_64); fibers never use
/// `pthread_cancel`, so the plain syscall does the same work without it.
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes of writes; the null
    // address arguments (zeros) ask for no source address.
    let n = unsafe {
        socket_syscall(
            libc::SYS_recvfrom,
            fd,
            buf.as_mut_ptr() as usize,
            buf.len(),
            0,
        )
    };
    n.map(|n| n as usize)
}

/// `send(fd, buf, MSG_NOSIGNAL)` as a raw system call (see [`recv`]); a
/// closed peer is an `EPIPE` error, never a `SIGPIPE`.
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes of reads; the null
    // address and zero length (zeros) send to the connected peer.
    let n = unsafe {
        socket_syscall(
            libc::SYS_sendto,
            fd,
            buf.as_ptr() as usize,
            buf.len(),
            libc::MSG_NOSIGNAL,
        )
    };
    n.map(|n| n as usize)
}

/// `recvfrom`/`sendto(fd, buf, len, flags, NULL, 0)` through glibc's
/// `syscall()` (every syscall goes through `libc`). Each argument is passed
/// as a full `c_long`, the register width `syscall()` reads from its
/// variadic list, so no upper half is left undefined.
///
/// # Safety
///
/// `nr` is `SYS_recvfrom` or `SYS_sendto`, and `buf` is valid for `len`
/// bytes of writes (`recvfrom`) or reads (`sendto`).
#[inline(always)]
unsafe fn socket_syscall(
    nr: libc::c_long,
    fd: RawFd,
    buf: usize,
    len: usize,
    flags: libc::c_int,
) -> io::Result<isize> {
    // SAFETY: the caller guarantees `nr` and the buffer; the null address
    // arguments ask for (or give) no address.
    let n = syscall!(syscall(
        nr,
        fd as libc::c_long,
        buf as libc::c_long,
        len as libc::c_long,
        flags as libc::c_long,
        0 as libc::c_long,
        0 as libc::c_long,
    ))?;
    Ok(n as isize)
}

#[cfg(test)]
mod tests {
    use std::io::{ErrorKind, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn recv_and_send_move_bytes_and_report_errors_as_io_errors() {
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 8];
        // Nothing to read yet: EAGAIN comes back as WouldBlock.
        let empty = super::recv(a.as_raw_fd(), &mut buf).unwrap_err();
        assert_eq!(empty.kind(), ErrorKind::WouldBlock);
        b.write_all(b"hello").unwrap();
        assert_eq!(super::recv(a.as_raw_fd(), &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(super::send(a.as_raw_fd(), b"abc").unwrap(), 3);
        drop(b);
        // The peer is gone: EPIPE as an error (MSG_NOSIGNAL: no SIGPIPE).
        let gone = super::send(a.as_raw_fd(), b"x").unwrap_err();
        assert_eq!(gone.raw_os_error(), Some(libc::EPIPE));
        // Reading after the peer left: end of stream, or a reset since the
        // peer closed with our "abc" unread; never a hang or a panic.
        match super::recv(a.as_raw_fd(), &mut buf) {
            Ok(n) => assert_eq!(n, 0),
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
        }
    }

    #[test]
    fn recv_on_a_bad_descriptor_is_ebadf() {
        let mut buf = [0u8; 1];
        let e = super::recv(-1, &mut buf).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    }
}
