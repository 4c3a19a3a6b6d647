//! The two system calls of the stream hot path, `recvfrom` and `sendto`,
//! made through `syscall(2)` rather than glibc's `recv`/`send`.
//!
//! glibc's socket wrappers are thread-cancellation points: in a process
//! with more than one thread each call brackets the system call with
//! `__pthread_enable_asynccancel`/`__pthread_disable_asynccancel`, some 60
//! instructions, plus the std and eddy-poll wrappers around them (about 50
//! more). Eddy never cancels threads, so a stream read or write goes
//! straight to the kernel: one request-response exchange on a keep-alive
//! connection spends about 110 fewer user-space instructions (callgrind;
//! `crates/eddy/README.md`, Hot path). The semantics are `recv`/`send`'s:
//! `sendto` passes `MSG_NOSIGNAL`, so writing to a closed peer is a
//! `BrokenPipe` error, never a `SIGPIPE`.
//!
//! This module is one of the crate's small named unsafe places: the two
//! calls, each with its buffer contract.

use std::io;
use std::os::fd::RawFd;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::ptr;

/// Reads what the socket `fd` holds, up to `buf.len()` bytes (`recv(fd,
/// buf, len, 0)`); `Ok(0)` is end of stream (or an empty `buf`).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole
    // call and the kernel writes at most that many; the address arguments
    // are null, so it writes nothing else. Every argument is passed as a
    // full `c_long`, the register width `syscall(2)` reads.
    let n = syscall!(unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            fd as libc::c_long,
            buf.as_mut_ptr() as libc::c_long,
            buf.len() as libc::c_long,
            0 as libc::c_long,
            ptr::null_mut::<libc::sockaddr>() as libc::c_long,
            ptr::null_mut::<libc::socklen_t>() as libc::c_long,
        )
    })?;
    Ok(n as usize)
}

/// Writes up to `buf.len()` bytes to the socket `fd` (`send(fd, buf, len,
/// MSG_NOSIGNAL)`): a closed peer is an error, not a signal.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the whole
    // call; the destination address is null (a connected socket), so the
    // kernel reads nothing else. Arguments as full `c_long`s, as in `recv`.
    let n = syscall!(unsafe {
        libc::syscall(
            libc::SYS_sendto,
            fd as libc::c_long,
            buf.as_ptr() as libc::c_long,
            buf.len() as libc::c_long,
            libc::MSG_NOSIGNAL as libc::c_long,
            ptr::null::<libc::sockaddr>() as libc::c_long,
            0 as libc::c_long,
        )
    })?;
    Ok(n as usize)
}

/// `recv(fd, buf, len, 0)` through libc where `syscall(2)` is not a stable
/// interface (the BSDs, macOS).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call.
    let n = syscall!(unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) })?;
    Ok(n as usize)
}

/// `send` through libc where `syscall(2)` is not a stable interface. Apple
/// platforms have no `MSG_NOSIGNAL`: eddy-poll sets `SO_NOSIGPIPE` on every
/// socket it creates there instead.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    #[cfg(target_vendor = "apple")]
    const FLAGS: libc::c_int = 0;
    #[cfg(not(target_vendor = "apple"))]
    const FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the call.
    let n = syscall!(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), FLAGS) })?;
    Ok(n as usize)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn send_then_recv_round_trip() {
        let (a, b) = UnixStream::pair().unwrap();
        assert_eq!(send(a.as_raw_fd(), b"hello").unwrap(), 5);
        let mut buf = [0u8; 16];
        let n = recv(b.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello");
    }

    #[test]
    fn recv_on_an_empty_nonblocking_socket_would_block() {
        let (_a, b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let err = recv(b.as_raw_fd(), &mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn recv_after_the_peer_closed_is_end_of_stream() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(a);
        assert_eq!(recv(b.as_raw_fd(), &mut [0u8; 4]).unwrap(), 0);
    }

    #[test]
    fn send_to_a_closed_peer_is_broken_pipe_not_sigpipe() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        // Without MSG_NOSIGNAL this would kill the test process.
        let err = send(a.as_raw_fd(), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_bad_descriptor_is_an_error() {
        let err = recv(-1, &mut [0u8; 4]).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    }
}
