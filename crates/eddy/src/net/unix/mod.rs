//! Unix domain sockets: [`UnixListener`], [`UnixStream`] (with its halves)
//! and [`UnixDatagram`].

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;

/// The borrowed read half of a [`UnixStream`], from [`UnixStream::split`].
pub type ReadHalf<'a> = crate::net::split::ReadHalf<'a, UnixStream>;
/// The borrowed write half of a [`UnixStream`], from [`UnixStream::split`].
pub type WriteHalf<'a> = crate::net::split::WriteHalf<'a, UnixStream>;
/// The owned read half of a [`UnixStream`], from [`UnixStream::into_split`].
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<UnixStream>;
/// The owned write half of a [`UnixStream`], from [`UnixStream::into_split`].
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<UnixStream>;
/// The error of reuniting halves of two different [`UnixStream`]s.
pub type ReuniteError = crate::net::split::ReuniteError<UnixStream>;
