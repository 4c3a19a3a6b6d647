//! Async I/O traits and the helpers built on them.
//!
//! Eddy's sockets ([`crate::net`]) implement the ecosystem-neutral
//! [`AsyncRead`] and [`AsyncWrite`] traits of the `futures-io` crate (the
//! ones smol, async-std and `futures` use), so any library written against
//! those traits works with them unchanged. This module gathers what a program
//! needs to use them:
//!
//! * the traits: [`AsyncRead`], [`AsyncWrite`], [`AsyncBufRead`];
//! * extension methods, as `async fn`s: [`AsyncReadExt`] (`read`,
//!   `read_exact`, `read_to_end`, `read_to_string`, `take`, ...),
//!   [`AsyncWriteExt`] (`write`, `write_all`, `flush`, `close`) and
//!   [`AsyncBufReadExt`] (`read_line`, `lines`, `read_until`, ...);
//! * adapters: [`BufReader`], [`BufWriter`], [`split`] (one object into a
//!   read half and a write half), [`copy`], [`Cursor`], [`empty`], [`sink`],
//!   [`repeat`].
//!
//! All of them come from [`futures-lite`](https://docs.rs/futures-lite),
//! a small, well-kept crate; they are re-exported rather than rewritten.
//! They work with any executor, so nothing here depends on the runtime.
//!
//! One piece is the runtime's own: [`unix::AsyncFd`] waits in the reactor
//! for readiness of any file descriptor (a pipe, a device, another event
//! queue), with [`Interest`] saying which directions to watch.
//!
//! # Example
//!
//! ```
//! use eddy::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Cursor};
//!
//! futures_lite::future::block_on(async {
//!     // Buffered line reading.
//!     let mut lines = BufReader::new(Cursor::new(&b"one\ntwo\n"[..])).lines();
//!     use futures_lite::StreamExt;
//!     assert_eq!(lines.next().await.transpose()?, Some("one".to_string()));
//!
//!     // `read_exact` past the end is an `UnexpectedEof` error.
//!     let mut short = Cursor::new(&b"ab"[..]);
//!     let mut buf = [0u8; 3];
//!     let err = short.read_exact(&mut buf).await.unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
//!
//!     // `copy` moves everything from a reader to a writer.
//!     let mut out = Vec::new();
//!     let n = eddy::io::copy(Cursor::new(&b"hello"[..]), &mut out).await?;
//!     assert_eq!((n, &out[..]), (5, &b"hello"[..]));
//!     out.write_all(b"!").await?;
//!     assert_eq!(out, b"hello!");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

pub use futures_lite::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
    BufWriter, Cursor, Empty, ReadHalf, Repeat, Sink, WriteHalf, copy, empty, repeat, sink, split,
};

/// Re-exported `std::io` names, so `eddy::io::Result` and friends work as in
/// `std`.
pub use std::io::{Error, ErrorKind, IoSlice, IoSliceMut, Result};

mod async_fd;

/// Readiness of raw Unix file descriptors in the runtime's reactor.
pub mod unix {
    pub use super::async_fd::{AsyncFd, AsyncFdReadyGuard, TryIoError};
}

/// Which directions of a descriptor to watch (for [`unix::AsyncFd`]).
pub use eddy_poll::Interest;
