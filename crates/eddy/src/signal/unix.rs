//! Unix signals: [`signal`] returns a [`Signal`] listener for one
//! [`SignalKind`] (see the [module docs](super) for delivery rules).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::registry::{self, Membership};
use super::sys;
use crate::runtime::Handle;

/// Which signal to listen for.
///
/// ```
/// use eddy::signal::unix::SignalKind;
/// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// Any signal by number (checked when listened for: out of range and
    /// forbidden signals are errors then).
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(self) -> libc::c_int {
        self.0
    }

    /// `SIGINT`: Ctrl-C in a terminal.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: a polite request to stop (what `kill` sends).
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal went away; daemons use it for "reload".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGPIPE`: a write to a pipe with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGALRM`: a timer set with `alarm(2)` expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGQUIT`: Ctrl-\ in a terminal.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    fn name(self) -> &'static str {
        match self.0 {
            libc::SIGINT => "SIGINT",
            libc::SIGTERM => "SIGTERM",
            libc::SIGHUP => "SIGHUP",
            libc::SIGUSR1 => "SIGUSR1",
            libc::SIGUSR2 => "SIGUSR2",
            libc::SIGCHLD => "SIGCHLD",
            libc::SIGPIPE => "SIGPIPE",
            libc::SIGALRM => "SIGALRM",
            libc::SIGQUIT => "SIGQUIT",
            libc::SIGWINCH => "SIGWINCH",
            libc::SIGKILL => "SIGKILL",
            libc::SIGSTOP => "SIGSTOP",
            libc::SIGSEGV => "SIGSEGV",
            libc::SIGBUS => "SIGBUS",
            libc::SIGILL => "SIGILL",
            libc::SIGFPE => "SIGFPE",
            _ => "signal",
        }
    }

    /// The signal's index in the registry, or why it cannot be listened for.
    fn check(self) -> io::Result<usize> {
        let forbidden = [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
        ];
        if forbidden.contains(&self.0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "listen for {self}: this signal cannot be handled asynchronously \
                     (SIGKILL and SIGSTOP cannot be caught; SIGSEGV, SIGBUS, SIGILL and \
                     SIGFPE report faults of the thread that raised them)"
                ),
            ));
        }
        match usize::try_from(self.0) {
            Ok(index) if (1..sys::SIGNAL_LIMIT).contains(&index) => Ok(index),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "listen for signal {}: not a signal number (1 to {})",
                    self.0,
                    sys::SIGNAL_LIMIT - 1
                ),
            )),
        }
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignalKind({self})")
    }
}

/// Starts listening for `kind` on the current runtime: the returned
/// [`Signal`] sees every delivery from now on.
///
/// # Errors
///
/// `InvalidInput` for `SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGBUS`, `SIGILL`,
/// `SIGFPE` and numbers that are not signals; an error outside a runtime;
/// the OS error if the handler or the pipe cannot be set up.
///
/// ```
/// use eddy::signal::unix::{signal, SignalKind};
///
/// let rt = eddy::runtime::Builder::new_current_thread().build()?;
/// rt.block_on(async {
///     let mut hangups = signal(SignalKind::hangup())?;
///     // SAFETY: raise(3) has no memory-safety preconditions.
///     unsafe { libc::raise(libc::SIGHUP) };
///     assert_eq!(hangups.recv().await, Some(()));
///
///     let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let index = kind.check()?;
    let handle = Handle::try_current().map_err(|_| {
        io::Error::other(format!(
            "listen for {kind}: no eddy runtime is running on this thread \
             (create the listener inside Runtime::block_on, a task, or after Runtime::enter)"
        ))
    })?;
    let (membership, seen) = registry::join(index, &handle)
        .map_err(|e| io::Error::new(e.kind(), format!("listen for {kind}: {e}")))?;
    Ok(Signal {
        kind,
        seen,
        membership,
    })
}

/// A listener for one signal (made by [`signal`]); also a
/// [`Stream`]`<Item = ()>`.
///
/// Cancel safety: [`recv`](Self::recv) is cancel-safe: a delivery is only
/// consumed when `recv` returns it.
///
/// ```
/// use eddy::signal::unix::{signal, SignalKind};
/// use futures_lite::StreamExt;
///
/// let rt = eddy::runtime::Builder::new_current_thread().build()?;
/// rt.block_on(async {
///     let mut first = signal(SignalKind::user_defined2())?;
///     let mut second = signal(SignalKind::user_defined2())?;
///     // SAFETY: raise(3) has no memory-safety preconditions.
///     unsafe { libc::raise(libc::SIGUSR2) };
///     // Every listener sees the delivery; a Signal is also a Stream.
///     assert_eq!(first.recv().await, Some(()));
///     assert_eq!(second.next().await, Some(()));
///     assert_eq!(first.kind(), SignalKind::user_defined2());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Signal {
    kind: SignalKind,
    /// The delivery count this listener has reported up to.
    seen: u64,
    /// Its place in the process-wide registry (unregisters on drop).
    membership: Membership,
}

impl Signal {
    /// Waits for the next delivery (coalescing several since the last
    /// call into one). `None` once the runtime has shut down.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery (see [`recv`](Self::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        match self.membership.poll_delivery(self.seen, cx) {
            Poll::Ready(Some(count)) => {
                self.seen = count;
                Poll::Ready(Some(()))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The signal this listener is for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl Stream for Signal {
    type Item = ();

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("seen", &self.seen)
            .finish()
    }
}
