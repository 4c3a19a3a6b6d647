//! Async networking: TCP, UDP and Unix domain sockets on the runtime's
//! reactor.
//!
//! Each type wraps the matching non-blocking socket of `eddy_poll::net` in
//! the runtime's `PollEvented` (its registration with the reactor). An
//! operation first tries the system call; on `WouldBlock` it clears the
//! readiness it used, parks the task's waker with the reactor and returns
//! `Pending`; the reactor wakes the task on the next edge. So a socket costs
//! nothing while it waits, and each I/O is one system call when data is
//! there.
//!
//! * TCP: [`TcpListener`] (`bind`, `accept`), [`TcpStream`] (`connect`,
//!   `AsyncRead`/`AsyncWrite`, `split`, `into_split`, `try_read`, ...);
//!   halves in [`tcp`].
//! * UDP: [`UdpSocket`] (`send_to`/`recv_from`, `connect` + `send`/`recv`).
//! * Unix: [`UnixListener`], [`UnixStream`], [`UnixDatagram`]; halves in
//!   [`unix`].
//! * Addresses: [`ToSocketAddrs`] (what `bind`/`connect` accept) and
//!   [`lookup_host`] (names resolved on the blocking pool).
//!
//! Sockets register with the runtime current when they are created (calling
//! a constructor outside a runtime panics with a clear message) and
//! deregister when dropped, also when the task owning them is aborted in the
//! middle of an operation. They never raise `SIGPIPE`: writing to a closed
//! peer is a `BrokenPipe`/`ConnectionReset` error.
//!
//! ```
//! use eddy::io::{AsyncReadExt, AsyncWriteExt};
//! use eddy::net::{TcpListener, TcpStream};
//!
//! # eddy::runtime::Builder::new_current_thread().build()?.block_on(async {
//! // An echo server...
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! eddy::task::spawn_local(async move {
//!     loop {
//!         let (conn, _) = listener.accept().await?;
//!         eddy::task::spawn_local(async move {
//!             let (mut r, mut w) = conn.split();
//!             eddy::io::copy(&mut r, &mut w).await
//!         });
//!     }
//!     #[allow(unreachable_code)]
//!     Ok::<(), std::io::Error>(())
//! });
//! // ...and a client.
//! let mut stream = TcpStream::connect(addr).await?;
//! stream.write_all(b"echo me").await?;
//! stream.close().await?;
//! let mut back = String::new();
//! stream.read_to_string(&mut back).await?;
//! assert_eq!(back, "echo me");
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod addr;
mod lookup;
mod split;
mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::ToSocketAddrs;
pub use lookup::lookup_host;
pub use split::SplitStream;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
