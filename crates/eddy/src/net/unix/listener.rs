//! [`UnixListener`]: accepts Unix stream connections on the runtime's reactor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use eddy_poll::net as poll_net;

use crate::net::UnixStream;
use crate::runtime::io::{Direction, PollEvented};

/// A Unix stream socket listening for connections.
///
/// The socket file is not removed when the listener is dropped (as with
/// `std`): remove it yourself before binding the same path again.
///
/// ```
/// use eddy::net::{UnixListener, UnixStream};
///
/// # eddy::runtime::Runtime::new()?.block_on(async {
/// let dir = std::env::temp_dir().join(format!("eddy-doc-ul-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let _client = UnixStream::connect(&path).await?;
/// let (_conn, _addr) = listener.accept().await?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    io: PollEvented<poll_net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist yet) and listens; the error
    /// names the path.
    ///
    /// Panics if called outside a runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: PollEvented::new(poll_net::UnixListener::bind(path)?)?,
        })
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = std::future::poll_fn(|cx| self.poll_accept_raw(cx)).await?;
        Ok((UnixStream::from_poll(stream)?, addr))
    }

    /// Polls for a connection; `Ready` registers it with the current runtime.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        match self.poll_accept_raw(cx) {
            Poll::Ready(Ok((stream, addr))) => {
                Poll::Ready(UnixStream::from_poll(stream).map(|s| (s, addr)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_accept_raw(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(poll_net::UnixStream, SocketAddr)>> {
        self.io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.accept())
    }

    /// Wraps a listening `std` socket (switching it to non-blocking mode)
    /// and registers it with the current runtime.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: PollEvented::new(poll_net::UnixListener::from_std(listener))?,
        })
    }

    /// Deregisters the listener and returns it as a `std` listener, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let listener = self.io.into_inner()?;
        Ok(std::os::unix::net::UnixListener::from(OwnedFd::from(
            listener,
        )))
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.io.as_raw_fd())
            .field("local", &self.io.local_addr().ok())
            .finish()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}
