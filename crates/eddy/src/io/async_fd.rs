//! [`AsyncFd`]: waiting for readiness on any Unix file descriptor (a pipe, a
//! device, another library's event queue) in the runtime's reactor.
//!
//! `eddy::net` covers sockets; `AsyncFd` is the escape hatch for everything
//! else that `epoll` can watch. It registers the descriptor (edge-triggered)
//! with the reactor of the current runtime and offers readiness as futures
//! and guards; the I/O itself is the caller's, done with the descriptor set
//! to non-blocking mode. It is built on the same `Registration` as the
//! runtime's sockets, so it follows the same rules: readiness is remembered
//! until an operation reports `WouldBlock` and the guard is cleared.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll, ready};

use eddy_poll::Interest;
use eddy_poll::unix::SourceFd;

use crate::runtime::io::{Direction, ReadyEvent, Registration};

/// A file descriptor owner `T` registered with the current runtime's
/// reactor, so tasks can wait until it is readable or writable.
///
/// The descriptor must be in non-blocking mode: `AsyncFd` only tells when
/// to try; an operation that would block must return
/// [`WouldBlock`](io::ErrorKind::WouldBlock), which
/// [`AsyncFdReadyGuard::try_io`] turns into "wait again". The registration
/// is removed when the `AsyncFd` drops (before `T`, so before the
/// descriptor closes) or by [`into_inner`](AsyncFd::into_inner).
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use eddy::io::unix::AsyncFd;
///
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let (mut tx, rx) = UnixStream::pair()?;
///     rx.set_nonblocking(true)?;
///     let rx = AsyncFd::new(rx)?;
///     eddy::spawn(async move { tx.write_all(b"ping") });
///     let mut buf = [0u8; 4];
///     let n = loop {
///         let mut guard = rx.readable().await?;
///         // `try_io` clears the readiness if the read would block.
///         match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///             Ok(result) => break result?,
///             Err(_would_block) => continue,
///         }
///     };
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AsyncFd<T: AsRawFd> {
    registration: Registration,
    /// `None` only inside `into_inner` and `drop`.
    inner: Option<T>,
    fd: RawFd,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner` for reading and writing with the current runtime.
    ///
    /// Fails outside a runtime, or when the descriptor cannot be watched
    /// (`EPERM` for regular files, which are always ready).
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner` for `interest` only. Waiting for a direction that
    /// is not in `interest` never completes.
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        let fd = inner.as_raw_fd();
        let registration = Registration::new(&mut SourceFd(&fd), interest).map_err(|e| {
            io::Error::new(e.kind(), format!("register fd {fd} with the reactor: {e}"))
        })?;
        Ok(AsyncFd {
            registration,
            inner: Some(inner),
            fd,
        })
    }

    /// The wrapped object.
    pub fn get_ref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("the inner value is only taken by into_inner or drop")
    }

    /// The wrapped object, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner
            .as_mut()
            .expect("the inner value is only taken by into_inner or drop")
    }

    /// Removes the descriptor from the reactor and returns the object.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let rt = eddy::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     let fd = a.as_raw_fd();
    ///     let a = eddy::io::unix::AsyncFd::new(a)?.into_inner();
    ///     assert_eq!(a.as_raw_fd(), fd);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(mut self) -> T {
        self.deregister();
        self.inner
            .take()
            .expect("the inner value is only taken by into_inner or drop")
    }

    fn deregister(&mut self) {
        // An error can only mean the descriptor was already closed by the
        // caller, which removed it from epoll anyway.
        let _ = self.registration.deregister(&mut SourceFd(&self.fd));
    }

    /// Waits until the descriptor is readable (or read-closed, or in
    /// error). Any number of tasks may wait at once.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Read).await
    }

    /// Waits until the descriptor is writable (or write-closed, or in
    /// error). Any number of tasks may wait at once.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Write).await
    }

    async fn ready(&self, direction: Direction) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.registration.readiness(direction).await?;
        Ok(AsyncFdReadyGuard {
            fd: self,
            event: Some(event),
        })
    }

    /// Polls for readability; on `Pending` the task is woken when it
    /// changes. Only the last task to poll is woken (use
    /// [`readable`](Self::readable) for several waiters).
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.poll_ready(cx, Direction::Read)
    }

    /// Polls for writability, as [`poll_read_ready`](Self::poll_read_ready).
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.poll_ready(cx, Direction::Write)
    }

    fn poll_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.registration.poll_ready(cx, direction))?;
        Poll::Ready(Ok(AsyncFdReadyGuard {
            fd: self,
            event: Some(event),
        }))
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.deregister();
        }
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("fd", &self.fd)
            .field("inner", &self.inner)
            .finish()
    }
}

/// Readiness seen on an [`AsyncFd`]: returned by the waits, consumed by
/// [`try_io`](Self::try_io) or [`clear_ready`](Self::clear_ready).
///
/// Dropping the guard keeps the readiness (the next wait completes at once).
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    fd: &'a AsyncFd<T>,
    /// `None` once cleared.
    event: Option<ReadyEvent>,
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// Forgets the readiness this guard saw: the next wait sleeps until the
    /// reactor reports the descriptor ready again. Call it after an
    /// operation returned `WouldBlock`. Readiness that arrived after this
    /// guard was made is kept.
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.fd.registration.clear_readiness(event);
        }
    }

    /// Keeps the readiness (the default when the guard drops); provided
    /// for code that wants to say so.
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// Runs `f`; if it returns `WouldBlock`, clears the readiness and
    /// returns `Err(TryIoError)` (wait again), else `Ok` with its result.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard is about.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.fd
    }

    /// Whether the reactor reported data (or a connection) to read.
    pub fn is_readable(&self) -> bool {
        self.event.is_some_and(|e| e.is_readable())
    }

    /// Whether the reactor reported room to write.
    pub fn is_writable(&self) -> bool {
        self.event.is_some_and(|e| e.is_writable())
    }

    /// Whether the peer closed its writing half (reads return 0 or fail).
    pub fn is_read_closed(&self) -> bool {
        self.event.is_some_and(|e| e.is_read_closed())
    }

    /// Whether writes will fail because the other side is closed.
    pub fn is_write_closed(&self) -> bool {
        self.event.is_some_and(|e| e.is_write_closed())
    }

    /// Whether an error is pending on the descriptor.
    pub fn is_error(&self) -> bool {
        self.event.is_some_and(|e| e.is_error())
    }
}

impl<T: AsRawFd> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("fd", &self.fd.fd)
            .field("event", &self.event)
            .finish()
    }
}

/// The operation given to [`AsyncFdReadyGuard::try_io`] would block; the
/// readiness was cleared, so wait again.
#[derive(Debug)]
pub struct TryIoError(());

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operation would block; wait for readiness again")
    }
}

impl std::error::Error for TryIoError {}
