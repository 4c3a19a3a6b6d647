//! TCP: [`TcpListener`], [`TcpStream`] and the stream's halves.

mod listener;
mod stream;

pub use listener::TcpListener;
pub use stream::TcpStream;

/// The borrowed read half of a [`TcpStream`], from [`TcpStream::split`].
pub type ReadHalf<'a> = crate::net::split::ReadHalf<'a, TcpStream>;
/// The borrowed write half of a [`TcpStream`], from [`TcpStream::split`].
pub type WriteHalf<'a> = crate::net::split::WriteHalf<'a, TcpStream>;
/// The owned read half of a [`TcpStream`], from [`TcpStream::into_split`].
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<TcpStream>;
/// The owned write half of a [`TcpStream`], from [`TcpStream::into_split`].
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<TcpStream>;
/// The error of reuniting halves of two different [`TcpStream`]s.
pub type ReuniteError = crate::net::split::ReuniteError<TcpStream>;
