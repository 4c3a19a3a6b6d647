//! [`Server`]: binding, configuration, and running the event loop on this
//! thread ([`Server::run`]) or its own ([`Server::spawn`], which returns a
//! [`ServerHandle`] to stop it).

use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use eddy_poll::net::TcpListener;
use eddy_poll::{Interest, Poll, Waker};

use crate::connection::{Context, INPUT_LIMIT};
use crate::event_loop::{EventLoop, LISTENER, WAKER};
use crate::log::{LogWriter, RequestLog};
use crate::response::DateCache;

/// The default cap on a request's delay: one minute.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);

/// The default time a client may leave a connection without progress
/// before it is closed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the loop's thread and its [`ServerHandle`] share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Set by the handle before waking the loop: stop serving.
    pub(crate) stop: AtomicBool,
    /// Wakes the loop's `poll`, registered under [`WAKER`].
    waker: Waker,
}

/// A delay server bound to an address, not yet serving.
///
/// Configure it with the builder-style setters, then call [`run`] to serve
/// on the current thread or [`spawn`] to serve on a thread of its own.
///
/// ```
/// use delayserver::Server;
/// use std::io::{Read, Write};
/// use std::time::Duration;
///
/// let server = Server::bind("127.0.0.1:0".parse().unwrap())?
///     .max_delay(Duration::from_secs(5))
///     .quiet(true);
/// let handle = server.spawn();
///
/// let mut client = std::net::TcpStream::connect(handle.local_addr())?;
/// client.write_all(b"GET /10/hello%20there HTTP/1.1\r\nConnection: close\r\n\r\n")?;
/// let mut response = String::new();
/// client.read_to_string(&mut response)?;
/// assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(response.ends_with("\r\n\r\nhello there"));
///
/// handle.shutdown()?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`run`]: Server::run
/// [`spawn`]: Server::spawn
pub struct Server {
    poll: Poll,
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    max_delay: Duration,
    idle_timeout: Duration,
    quiet: bool,
    /// The log's destination; `None` means standard output.
    log: Option<LogWriter>,
}

impl Server {
    /// Binds a listening socket to `addr` (port 0 picks a free port; see
    /// [`local_addr`](Server::local_addr)) and prepares the event queue.
    ///
    /// Errors name the address: `bind 127.0.0.1:80: Permission denied`.
    pub fn bind(addr: SocketAddr) -> io::Result<Server> {
        let context = |what: &str, e: io::Error| {
            io::Error::new(e.kind(), format!("delayserver on {addr}: {what}: {e}"))
        };
        let mut listener = TcpListener::bind(addr)?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| context("reading the bound address", e))?;
        let poll = Poll::new().map_err(|e| context("creating the event queue", e))?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(|e| context("registering the listener", e))?;
        let waker =
            Waker::new(poll.registry(), WAKER).map_err(|e| context("creating the waker", e))?;
        Ok(Server {
            poll,
            listener,
            local_addr,
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                waker,
            }),
            max_delay: DEFAULT_MAX_DELAY,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            quiet: false,
            log: None,
        })
    }

    /// The address the server listens on (with the real port if bound to
    /// port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Caps the delay a request may ask for (default
    /// [`DEFAULT_MAX_DELAY`]); longer ones are answered `400 Bad Request`.
    /// The cap is applied in whole milliseconds.
    #[must_use]
    pub fn max_delay(mut self, max: Duration) -> Server {
        self.max_delay = max;
        self
    }

    /// Turns the request log off (`true`) or on (`false`, the default).
    #[must_use]
    pub fn quiet(mut self, quiet: bool) -> Server {
        self.quiet = quiet;
        self
    }

    /// Sends the request log to `writer` instead of standard output (unless
    /// [`quiet`](Server::quiet)). Lines are buffered and flushed each time
    /// the loop goes back to waiting; a writer that fails is dropped.
    ///
    /// ```
    /// use delayserver::Server;
    /// use std::fs::File;
    ///
    /// let log = File::create(std::env::temp_dir().join("delayserver-doc.log"))?;
    /// let server = Server::bind("127.0.0.1:0".parse().unwrap())?.log_to(log);
    /// # drop(server);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn log_to(mut self, writer: impl Write + Send + 'static) -> Server {
        self.log = Some(Box::new(writer));
        self
    }

    /// How long a client may leave its connection without progress (no
    /// request and no reading of responses) before the server closes it
    /// (default [`DEFAULT_IDLE_TIMEOUT`]). Time spent waiting on a delay
    /// the client asked for does not count.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Server {
        self.idle_timeout = timeout;
        self
    }

    /// Serves on the current thread. Returns only if waiting for events
    /// fails; a server started this way runs until the process ends (use
    /// [`spawn`](Server::spawn) for one you can stop).
    pub fn run(self) -> io::Result<()> {
        let Server {
            poll,
            listener,
            local_addr,
            shared,
            max_delay,
            idle_timeout,
            quiet,
            log,
        } = self;
        let log = if quiet {
            None
        } else {
            Some(log.unwrap_or_else(|| Box::new(io::stdout())))
        };
        let ctx = Context {
            max_delay_ms: u64::try_from(max_delay.as_millis()).unwrap_or(u64::MAX),
            idle_timeout,
            log: RequestLog::new(log),
            date: DateCache::new(),
            scratch: vec![0; INPUT_LIMIT].into_boxed_slice(),
        };
        EventLoop::new(poll, listener, local_addr, shared, ctx).run()
    }

    /// Serves on a new thread named `delayserver`. The returned handle stops
    /// the server when [`shutdown`](ServerHandle::shutdown) is called or
    /// when it is dropped.
    ///
    /// Should the OS refuse to start a thread, the handle's `shutdown`
    /// returns that error (and nothing is served).
    pub fn spawn(self) -> ServerHandle {
        let local_addr = self.local_addr;
        let shared = Arc::clone(&self.shared);
        let started = thread::Builder::new()
            .name("delayserver".to_owned())
            .spawn(move || self.run());
        let (thread, start_error) = match started {
            Ok(thread) => (Some(thread), None),
            Err(e) => (
                None,
                Some(io::Error::new(
                    e.kind(),
                    format!("delayserver on {local_addr}: starting its thread: {e}"),
                )),
            ),
        };
        ServerHandle {
            local_addr,
            shared,
            thread,
            start_error,
        }
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("max_delay", &self.max_delay)
            .field("idle_timeout", &self.idle_timeout)
            .field("quiet", &self.quiet)
            .field("log_to_stdout", &self.log.is_none())
            .finish_non_exhaustive()
    }
}

/// Controls a server started with [`Server::spawn`].
///
/// Dropping the handle shuts the server down too (ignoring errors); call
/// [`shutdown`](ServerHandle::shutdown) to see them.
///
/// ```
/// use delayserver::Server;
///
/// let handle = Server::bind("127.0.0.1:0".parse().unwrap())?.quiet(true).spawn();
/// let addr = handle.local_addr();
/// handle.shutdown()?;
/// // The listener is closed: nobody answers any more.
/// assert!(std::net::TcpStream::connect(addr).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ServerHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
    start_error: Option<io::Error>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server and waits for its thread to finish. Connections
    /// still open are closed without their pending responses.
    ///
    /// Returns the error that stopped the loop early, if one did.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        if let Some(e) = self.start_error.take() {
            return Err(e);
        }
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        self.shared.stop.store(true, Ordering::Release);
        // If the wake fails the thread cannot be told to stop: leave it
        // running (detached) rather than join it forever.
        self.shared.waker.wake().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("delayserver on {}: waking it to stop: {e}", self.local_addr),
            )
        })?;
        match thread.join() {
            Ok(result) => result,
            Err(_) => Err(io::Error::other(format!(
                "delayserver on {}: its thread panicked",
                self.local_addr
            ))),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("local_addr", &self.local_addr)
            .field("running", &self.thread.is_some())
            .finish_non_exhaustive()
    }
}
