//! Non-blocking sockets that can be registered with a [`Poll`](crate::Poll).
//!
//! Every socket here is non-blocking and close-on-exec from the moment it is
//! created. Operations that would block return
//! [`WouldBlock`](std::io::ErrorKind::WouldBlock); wait for the matching
//! readiness event and try again.
//!
//! * TCP: [`TcpListener`], [`TcpStream`] (a `connect` returns at once; the
//!   connection is established when the stream reports writable, and
//!   [`TcpStream::take_error`] or [`TcpStream::peer_addr`] tells whether it
//!   succeeded).
//! * UDP: [`UdpSocket`].
//! * Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].

/// Implements `Source`, `AsRawFd`, `AsFd`, `FromRawFd` and `IntoRawFd` for a
/// wrapper whose `inner` field is a `std` socket type.
macro_rules! fd_source {
    ($ty: ident, $std: ty) => {
        impl $crate::event::Source for $ty {
            fn register(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interest: $crate::Interest,
            ) -> std::io::Result<()> {
                use std::os::fd::AsRawFd;
                registry
                    .selector()
                    .register(self.inner.as_raw_fd(), token, interest)
            }
            fn reregister(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interest: $crate::Interest,
            ) -> std::io::Result<()> {
                use std::os::fd::AsRawFd;
                registry
                    .selector()
                    .reregister(self.inner.as_raw_fd(), token, interest)
            }
            fn deregister(&mut self, registry: &$crate::Registry) -> std::io::Result<()> {
                use std::os::fd::AsRawFd;
                registry.selector().deregister(self.inner.as_raw_fd())
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            #[inline]
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.inner.as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $ty {
            #[inline]
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                self.inner.into_raw_fd()
            }
        }

        impl std::os::fd::FromRawFd for $ty {
            /// Wraps a descriptor. It should already be in non-blocking mode.
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> $ty {
                // SAFETY: the caller guarantees `fd` is an open socket of the
                // right kind that it hands over to us.
                let inner = unsafe { <$std>::from_raw_fd(fd) };
                $ty { inner }
            }
        }

        impl From<std::os::fd::OwnedFd> for $ty {
            fn from(fd: std::os::fd::OwnedFd) -> $ty {
                $ty {
                    inner: <$std>::from(fd),
                }
            }
        }

        impl From<$ty> for std::os::fd::OwnedFd {
            fn from(s: $ty) -> std::os::fd::OwnedFd {
                s.inner.into()
            }
        }
    };
}

/// Implements `Read` and `Write` for both `T` and `&T`: `read` and `write`
/// through [`crate::unix::recv`] / [`crate::unix::send`] (one system call,
/// no `SIGPIPE`), the vectored forms by delegating to `inner`.
macro_rules! read_write {
    ($ty: ident) => {
        impl std::io::Read for $ty {
            #[inline]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                crate::unix::recv(std::os::fd::AsFd::as_fd(&self.inner), buf)
            }
            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                (&self.inner).read_vectored(bufs)
            }
        }
        impl std::io::Read for &$ty {
            #[inline]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                crate::unix::recv(std::os::fd::AsFd::as_fd(&self.inner), buf)
            }
            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                (&self.inner).read_vectored(bufs)
            }
        }
        impl std::io::Write for $ty {
            #[inline]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                crate::unix::send(std::os::fd::AsFd::as_fd(&self.inner), buf)
            }
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                (&self.inner).write_vectored(bufs)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl std::io::Write for &$ty {
            #[inline]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                crate::unix::send(std::os::fd::AsFd::as_fd(&self.inner), buf)
            }
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                (&self.inner).write_vectored(bufs)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}

mod tcp;
mod udp;
mod uds;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use uds::{UnixDatagram, UnixListener, UnixStream};
