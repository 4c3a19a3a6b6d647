//! Socket system calls shared by the Unix backends: sockets are created
//! non-blocking and close-on-exec in the same call where the OS allows it,
//! and `std` socket addresses are converted to and from `sockaddr` here.

use std::ffi::OsStr;
use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
#[cfg(any(target_os = "macos", target_os = "ios"))]
use std::os::fd::AsRawFd;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Creates a socket that is non-blocking and close-on-exec from birth.
pub(crate) fn socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly"
    ))]
    {
        // SAFETY: socket takes plain integers.
        let fd = syscall!(socket(
            domain,
            ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0
        ))?;
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        // SAFETY: socket takes plain integers.
        let fd = syscall!(socket(domain, ty, 0))?;
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        set_cloexec_nonblocking(fd.as_raw_fd())?;
        let one: libc::c_int = 1;
        // SAFETY: SO_NOSIGPIPE takes a c_int that lives for the call.
        syscall!(setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_NOSIGPIPE,
            &one as *const _ as *const libc::c_void,
            mem::size_of::<libc::c_int>() as libc::socklen_t
        ))?;
        Ok(fd)
    }
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
fn set_cloexec_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor the caller owns.
    syscall!(fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC))?;
    // SAFETY: as above.
    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
    // SAFETY: as above.
    syscall!(fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    Ok(())
}

/// The address family for `addr`.
pub(crate) fn domain(addr: &SocketAddr) -> libc::c_int {
    match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

/// `addr` as a `sockaddr_storage` and its length.
pub(crate) fn to_sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is valid.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_in is plain data; all-zero is valid (and
            // fills the padding and any BSD-only fields).
            let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from_ne_bytes(a.ip().octets()),
            };
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            {
                // The BSDs check the length byte on bind and connect.
                sin.sin_len = mem::size_of::<libc::sockaddr_in>() as u8;
            }
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { (&mut storage as *mut _ as *mut libc::sockaddr_in).write(sin) };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_in6 is plain data; all-zero is valid.
            let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: a.ip().octets(),
            };
            sin6.sin6_scope_id = a.scope_id();
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            {
                sin6.sin6_len = mem::size_of::<libc::sockaddr_in6>() as u8;
            }
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { (&mut storage as *mut _ as *mut libc::sockaddr_in6).write(sin6) };
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// Reads a `SocketAddr` back from a `sockaddr_storage` the kernel filled.
pub(crate) fn from_sockaddr(storage: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let a = unsafe { &*(storage as *const _ as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let a = unsafe { &*(storage as *const _ as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unsupported address family",
        )),
    }
}

/// Sets `SO_REUSEADDR`, as every TCP server wants.
pub(crate) fn set_reuseaddr(fd: RawFd) -> io::Result<()> {
    let one: libc::c_int = 1;
    // SAFETY: the option value is a c_int that lives for the call.
    syscall!(setsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_REUSEADDR,
        &one as *const _ as *const libc::c_void,
        mem::size_of::<libc::c_int>() as libc::socklen_t
    ))?;
    Ok(())
}

/// Binds `fd` to `addr`.
pub(crate) fn bind(fd: RawFd, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_sockaddr(addr);
    // SAFETY: `storage` holds a valid address of `len` bytes.
    syscall!(bind(fd, &storage as *const _ as *const libc::sockaddr, len))?;
    Ok(())
}

/// Starts a non-blocking connect: `Ok` also when it is still in progress.
pub(crate) fn connect(fd: RawFd, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_sockaddr(addr);
    // SAFETY: `storage` holds a valid address of `len` bytes.
    match syscall!(connect(
        fd,
        &storage as *const _ as *const libc::sockaddr,
        len
    )) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Marks `fd` as listening.
pub(crate) fn listen(fd: RawFd, backlog: libc::c_int) -> io::Result<()> {
    // SAFETY: listen takes plain integers.
    syscall!(listen(fd, backlog))?;
    Ok(())
}

/// Accepts one connection; the new socket is non-blocking and close-on-exec.
pub(crate) fn accept(fd: RawFd) -> io::Result<(OwnedFd, libc::sockaddr_storage)> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    // SAFETY: the kernel writes at most `len` bytes into `storage`.
    let new = syscall!(accept4(
        fd,
        storage.as_mut_ptr() as *mut libc::sockaddr,
        &mut len,
        libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC
    ))?;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    // SAFETY: the kernel writes at most `len` bytes into `storage`.
    let new = syscall!(accept(
        fd,
        storage.as_mut_ptr() as *mut libc::sockaddr,
        &mut len
    ))?;
    // SAFETY: `new` was just returned by the kernel and is owned by nobody else.
    let new = unsafe { OwnedFd::from_raw_fd(new) };
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    set_cloexec_nonblocking(new.as_raw_fd())?;
    // SAFETY: zeroed storage is a valid sockaddr_storage, partly overwritten by the kernel.
    Ok((new, unsafe { storage.assume_init() }))
}

/// A `sockaddr_un` for `path`, or an error if the path is too long or has a NUL.
pub(crate) fn unix_sockaddr(path: &Path) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: sockaddr_un is plain data; all-zero is valid.
    let mut addr: libc::sockaddr_un = unsafe { mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = OsStr::as_bytes(path.as_os_str());
    if bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unix socket path {path:?} contains a NUL byte"),
        ));
    }
    if bytes.len() >= addr.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "unix socket path {path:?} is longer than {} bytes",
                addr.sun_path.len() - 1
            ),
        ));
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    // The path's offset, not the family's size: BSDs put `sun_len` first.
    let base = mem::offset_of!(libc::sockaddr_un, sun_path);
    let len = base + bytes.len() + 1;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        addr.sun_len = len as u8;
    }
    Ok((addr, len as libc::socklen_t))
}

/// Binds a Unix socket to `path`.
pub(crate) fn bind_unix(fd: RawFd, path: &Path) -> io::Result<()> {
    let (addr, len) = unix_sockaddr(path)?;
    // SAFETY: `addr` holds a valid sockaddr_un of `len` bytes.
    syscall!(bind(fd, &addr as *const _ as *const libc::sockaddr, len))?;
    Ok(())
}

/// Starts a non-blocking connect of a Unix socket.
pub(crate) fn connect_unix(fd: RawFd, path: &Path) -> io::Result<()> {
    let (addr, len) = unix_sockaddr(path)?;
    // SAFETY: `addr` holds a valid sockaddr_un of `len` bytes.
    match syscall!(connect(fd, &addr as *const _ as *const libc::sockaddr, len)) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A connected pair of non-blocking, close-on-exec Unix sockets.
pub(crate) fn socketpair(ty: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    let flags = 0;
    // SAFETY: `fds` has room for the two descriptors the kernel writes.
    syscall!(socketpair(libc::AF_UNIX, ty | flags, 0, fds.as_mut_ptr()))?;
    // SAFETY: both descriptors were just returned by the kernel and are owned by nobody else.
    let pair = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        set_cloexec_nonblocking(pair.0.as_raw_fd())?;
        set_cloexec_nonblocking(pair.1.as_raw_fd())?;
    }
    Ok(pair)
}

/// The pending error on a socket (`SO_ERROR`), cleared by reading it.
pub(crate) fn take_error(fd: RawFd) -> io::Result<Option<io::Error>> {
    let mut err: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `err` and `len` live for the call and `len` is its size.
    syscall!(getsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_ERROR,
        &mut err as *mut _ as *mut libc::c_void,
        &mut len
    ))?;
    Ok(if err == 0 {
        None
    } else {
        Some(io::Error::from_raw_os_error(err))
    })
}

/// Flags for every `send` on a stream socket: writing to a closed peer must
/// fail with `EPIPE`, never raise `SIGPIPE` (which kills a process that has
/// not ignored it). macOS/iOS have no `MSG_NOSIGNAL`; `socket` sets
/// `SO_NOSIGPIPE` there instead.
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const SEND_FLAGS: libc::c_int = 0;

/// `sendmsg` of several buffers without `SIGPIPE`.
pub(crate) fn send_vectored(fd: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with iovec on Unix.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(libc::c_int::MAX as usize) as _;
    // SAFETY: `msg` points at `bufs`, which stays borrowed for the call; the
    // kernel only reads through it.
    let n = syscall!(sendmsg(fd, &msg, SEND_FLAGS))?;
    Ok(n as usize)
}

/// `recv(fd, buf, len, 0)` as one raw system call. glibc's `recv` is a
/// thread-cancellation point and brackets the call with cancellation
/// bookkeeping (~60 instructions); nothing here cancels threads, so the
/// plain `recvfrom` through `syscall(2)` does the same work without it.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn recv(fd: std::os::fd::BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole
    // call and the kernel writes at most that many; the address arguments
    // are null, so it writes nothing else. `fd` is open (borrowed). Every
    // argument is a full `c_long`, the width `syscall(2)` reads.
    let n = syscall!(syscall(
        libc::SYS_recvfrom,
        fd.as_raw_fd() as libc::c_long,
        buf.as_mut_ptr() as libc::c_long,
        buf.len() as libc::c_long,
        0 as libc::c_long,
        0 as libc::c_long,
        0 as libc::c_long,
    ))?;
    Ok(n as usize)
}

/// `send(fd, buf, len, SEND_FLAGS)` as one raw system call (see [`recv`]):
/// a closed peer is an `EPIPE` error, never a `SIGPIPE`.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn send(fd: std::os::fd::BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the whole
    // call; the destination address is null and its length zero (a
    // connected socket), so the kernel reads nothing else. `fd` is open.
    let n = syscall!(syscall(
        libc::SYS_sendto,
        fd.as_raw_fd() as libc::c_long,
        buf.as_ptr() as libc::c_long,
        buf.len() as libc::c_long,
        SEND_FLAGS as libc::c_long,
        0 as libc::c_long,
        0 as libc::c_long,
    ))?;
    Ok(n as usize)
}

/// `recv(fd, buf, len, 0)` through libc where `syscall(2)` is not a stable
/// interface (the BSDs, macOS).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn recv(fd: std::os::fd::BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call.
    let n = syscall!(recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0))?;
    Ok(n as usize)
}

/// `send` through libc where `syscall(2)` is not a stable interface, with
/// [`SEND_FLAGS`].
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn send(fd: std::os::fd::BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the call.
    let n = syscall!(send(
        fd.as_raw_fd(),
        buf.as_ptr().cast(),
        buf.len(),
        SEND_FLAGS
    ))?;
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn recv_and_send_move_bytes_and_report_errors_as_io_errors() {
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 8];
        // Nothing to read yet: EAGAIN comes back as WouldBlock.
        let empty = recv(a.as_fd(), &mut buf).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);
        b.write_all(b"hello").unwrap();
        assert_eq!(recv(a.as_fd(), &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(send(a.as_fd(), b"abc").unwrap(), 3);
        drop(b);
        // The peer is gone: EPIPE as an error, and no SIGPIPE (which would
        // kill this test process).
        let gone = send(a.as_fd(), b"x").unwrap_err();
        assert_eq!(gone.kind(), io::ErrorKind::BrokenPipe);
        // Reading after the peer left: end of stream, or a reset since the
        // peer closed with our "abc" unread; never a hang or a panic.
        match recv(a.as_fd(), &mut buf) {
            Ok(n) => assert_eq!(n, 0),
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        }
    }

    #[test]
    fn recv_after_the_peer_closed_is_end_of_stream() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(a);
        assert_eq!(recv(b.as_fd(), &mut [0u8; 4]).unwrap(), 0);
    }

    #[test]
    fn an_empty_send_moves_nothing() {
        let (a, b) = UnixStream::pair().unwrap();
        assert_eq!(send(a.as_fd(), b"").unwrap(), 0);
        assert_eq!(send(a.as_fd(), b"z").unwrap(), 1);
        let mut buf = [0u8; 4];
        assert_eq!(recv(b.as_fd(), &mut buf).unwrap(), 1);
        assert_eq!(buf[0], b'z');
    }

    #[test]
    fn socket_addresses_round_trip_through_sockaddr() {
        for text in ["127.0.0.1:8080", "0.0.0.0:0", "[::1]:443", "[fe80::1%3]:9"] {
            let addr: SocketAddr = text.parse().unwrap();
            let (storage, len) = to_sockaddr(&addr);
            let expected = match addr {
                SocketAddr::V4(_) => mem::size_of::<libc::sockaddr_in>(),
                SocketAddr::V6(_) => mem::size_of::<libc::sockaddr_in6>(),
            };
            assert_eq!(len as usize, expected, "{text}");
            assert_eq!(from_sockaddr(&storage).unwrap(), addr, "{text}");
        }
    }

    #[test]
    fn unknown_families_are_an_error_not_a_panic() {
        // SAFETY: sockaddr_storage is plain data; all-zero is valid.
        let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
        storage.ss_family = libc::AF_UNIX as libc::sa_family_t;
        let err = from_sockaddr(&storage).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn unix_paths_are_measured_and_bounded() {
        let (addr, len) = unix_sockaddr(Path::new("/tmp/a.sock")).unwrap();
        let offset = mem::offset_of!(libc::sockaddr_un, sun_path);
        assert_eq!(len as usize, offset + "/tmp/a.sock".len() + 1);
        assert_eq!(addr.sun_path[0] as u8, b'/');
        assert_eq!(addr.sun_path["/tmp/a.sock".len()], 0);

        let longest = "x".repeat(addr.sun_path.len() - 1);
        assert!(unix_sockaddr(Path::new(&longest)).is_ok());
        let too_long = "x".repeat(addr.sun_path.len());
        let err = unix_sockaddr(Path::new(&too_long)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
