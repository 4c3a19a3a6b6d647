//! [`Socket`]: a TCP connection with Node's events (`connect`, `data`,
//! `end`, `drain`, `error`, `close`) and methods (`write`, `end`,
//! `destroy`, `pause`, `resume`).
//!
//! Life cycle, as Node with `allowHalfOpen: false`: when the peer ends,
//! `end` is emitted and our side ends too; once both sides are done (or on
//! `destroy` or an error) the socket is deregistered, its fd closed, and
//! `close` runs in the loop's close phase.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::panic::Location;
use std::rc::Rc;

use eddy_poll::net::TcpStream;
use eddy_poll::{Interest, Token};

use crate::Error;
use crate::callback::Callback;
use crate::handle::{ACTIVE, CLOSING, REF};
use crate::r#loop::{IoHandler, LoopInner, Readiness, with_current};

use super::server::ServerInner;

/// `write` returns false once this many bytes wait to be sent (Node's
/// default `highWaterMark`, 16 KiB).
pub const DEFAULT_HIGH_WATER_MARK: usize = 16 * 1024;

struct Handler<F: ?Sized> {
    f: Box<F>,
    site: &'static Location<'static>,
}

type DataHandler = Handler<dyn FnMut(&[u8])>;

#[derive(Default)]
struct Handlers {
    connect: Option<Handler<dyn FnMut()>>,
    data: Option<DataHandler>,
    end: Option<Handler<dyn FnMut()>>,
    drain: Option<Handler<dyn FnMut()>>,
    error: Option<Handler<dyn FnMut(Error)>>,
    close: Option<Handler<dyn FnMut(bool)>>,
}

#[derive(Default)]
struct SocketState {
    connecting: bool,
    /// Bytes accepted by `write` and not yet sent.
    out: VecDeque<u8>,
    /// `end()` was called: shut down writing once `out` is empty.
    ending: bool,
    write_shut: bool,
    /// The peer ended (EOF read).
    read_ended: bool,
    paused: bool,
    /// Readable readiness seen while paused (edge-triggered: remember it).
    readable_pending: bool,
    need_drain: bool,
    had_error: bool,
    peer: Option<SocketAddr>,
}

pub(crate) struct SocketInner {
    stream: RefCell<Option<TcpStream>>,
    token: Cell<Option<Token>>,
    flags: Cell<u8>,
    state: RefCell<SocketState>,
    handlers: RefCell<Handlers>,
    high_water_mark: Cell<usize>,
    server: Option<Rc<ServerInner>>,
}

/// A TCP connection (Node's `net.Socket`). Cloning gives another handle to
/// the same connection.
#[derive(Clone)]
pub struct Socket {
    inner: Rc<SocketInner>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("peer", &self.inner.state.borrow().peer)
            .field("flags", &self.inner.flags.get())
            .finish_non_exhaustive()
    }
}

macro_rules! on_event {
    ($(#[$doc:meta])* $method:ident, $field:ident, $($bound:tt)*) => {
        $(#[$doc])*
        #[track_caller]
        pub fn $method(&self, f: impl $($bound)* + 'static) -> &Self {
            let site = Location::caller();
            self.inner.handlers.borrow_mut().$field = Some(Handler { f: Box::new(f), site });
            self
        }
    };
}

impl Socket {
    /// Wraps a connected (or connecting) stream and registers it.
    pub(crate) fn open(
        lp: &LoopInner,
        mut stream: TcpStream,
        connecting: bool,
        server: Option<Rc<ServerInner>>,
    ) -> Result<Socket, Error> {
        let peer = stream.peer_addr().ok();
        let inner = Rc::new(SocketInner {
            stream: RefCell::new(None),
            token: Cell::new(None),
            flags: Cell::new(REF),
            state: RefCell::new(SocketState {
                connecting,
                peer,
                ..SocketState::default()
            }),
            handlers: RefCell::new(Handlers::default()),
            high_water_mark: Cell::new(DEFAULT_HIGH_WATER_MARK),
            server,
        });
        let token = lp
            .register_io(
                &mut stream,
                Interest::READABLE | Interest::WRITABLE,
                Rc::clone(&inner) as Rc<dyn IoHandler>,
            )
            .map_err(|e| Error::from_io(e, "epoll_ctl", None))?;
        inner.token.set(Some(token));
        *inner.stream.borrow_mut() = Some(stream);
        lp.handles.set(&inner.flags, REF | ACTIVE);
        Ok(Socket { inner })
    }

    /// A socket with no connection, for a connect that failed up front.
    pub(crate) fn detached() -> Socket {
        Socket {
            inner: Rc::new(SocketInner {
                stream: RefCell::new(None),
                token: Cell::new(None),
                flags: Cell::new(REF),
                state: RefCell::new(SocketState::default()),
                handlers: RefCell::new(Handlers::default()),
                high_water_mark: Cell::new(DEFAULT_HIGH_WATER_MARK),
                server: None,
            }),
        }
    }

    /// Reports `error` on a [`Socket::detached`] socket, then closes it.
    pub(crate) fn fail_detached(&self, error: Error) {
        with_current(|lp| self.inner.fail(lp, error));
    }

    on_event!(
        /// Called once the connection is established (client sockets).
        on_connect, connect, FnMut()
    );
    on_event!(
        /// Called with each chunk read. Without a data handler, data is
        /// discarded.
        on_data, data, FnMut(&[u8])
    );
    on_event!(
        /// Called when the peer ends its side (EOF).
        on_end, end, FnMut()
    );
    on_event!(
        /// Called when the write buffer, after `write` returned false, is
        /// empty again.
        on_drain, drain, FnMut()
    );
    on_event!(
        /// Called with a connection or I/O error; `close` follows.
        on_error, error, FnMut(Error)
    );
    on_event!(
        /// Called last, in the close phase, with whether an error closed it.
        on_close, close, FnMut(bool)
    );

    /// Queues `data` for sending. Returns false when the unsent bytes reach
    /// the high-water mark (16 KiB by default): wait for `drain`.
    pub fn write(&self, data: impl AsRef<[u8]>) -> bool {
        let inner = &self.inner;
        {
            let mut state = inner.state.borrow_mut();
            if state.ending || inner.flags.get() & CLOSING != 0 {
                return false;
            }
            let data = data.as_ref();
            if state.out.is_empty() && !state.connecting {
                // Nothing queued: hand the bytes to the kernel at once (as
                // libuv tries the write before queueing it) and queue only
                // what it did not take. A partial write means the buffer
                // is full, so the next writable edge flushes the rest; any
                // other outcome, errors included, goes the queued way and
                // the flush below reports it.
                let sent = match &*inner.stream.borrow() {
                    Some(stream) => {
                        let mut s: &TcpStream = stream;
                        s.write(data)
                    }
                    None => Ok(0),
                };
                let unsent = match sent {
                    Ok(n) if n == data.len() => return true,
                    Ok(n) if n > 0 => &data[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => data,
                    _ => &[],
                };
                if !unsent.is_empty() {
                    state.out.extend(unsent);
                    return inner.below_high_water(&mut state);
                }
            }
            state.out.extend(data);
        }
        if !inner.state.borrow().connecting {
            with_current(|lp| inner.flush(lp, true));
        }
        // As Node: what the kernel took at once does not count.
        inner.below_high_water(&mut inner.state.borrow_mut())
    }

    /// Sends `data` (may be empty), then ends our side once all is sent.
    pub fn end(&self, data: impl AsRef<[u8]>) {
        if !data.as_ref().is_empty() {
            self.write(data);
        }
        let inner = &self.inner;
        inner.state.borrow_mut().ending = true;
        if !inner.state.borrow().connecting {
            with_current(|lp| inner.flush(lp, true));
        }
    }

    /// Closes the connection now, dropping unsent data; `close` follows.
    pub fn destroy(&self) {
        with_current(|lp| self.inner.close(lp, false));
    }

    /// Stops reading (`data` stops until [`Socket::resume`]).
    pub fn pause(&self) -> &Self {
        self.inner.state.borrow_mut().paused = true;
        self
    }

    /// Starts reading again after [`Socket::pause`].
    #[track_caller]
    pub fn resume(&self) -> &Self {
        let was_paused = std::mem::replace(&mut self.inner.state.borrow_mut().paused, false);
        if was_paused {
            // Data may have arrived meanwhile: read in the next pending phase.
            let inner = Rc::clone(&self.inner);
            let cb = Callback::new(Location::caller(), move || {
                with_current(|lp| inner.read_all(lp, true));
            });
            with_current(|lp| lp.pending.borrow_mut().push_back(cb));
        }
        self
    }

    /// Lets the loop exit while this socket is open.
    pub fn unref(&self) -> &Self {
        with_current(|lp| {
            lp.handles
                .set(&self.inner.flags, self.inner.flags.get() & !REF)
        });
        self
    }

    /// Makes the socket keep the loop alive again (the default).
    pub fn ref_(&self) -> &Self {
        with_current(|lp| {
            lp.handles
                .set(&self.inner.flags, self.inner.flags.get() | REF)
        });
        self
    }

    /// True if both handles are the same connection.
    pub(crate) fn same(&self, other: &Socket) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Records the address a client socket connects to (for errors).
    pub(crate) fn set_peer(&self, addr: SocketAddr) {
        self.inner.state.borrow_mut().peer = Some(addr);
    }

    /// Sets the high-water mark `write` compares the unsent bytes with.
    pub fn set_high_water_mark(&self, bytes: usize) -> &Self {
        self.inner.high_water_mark.set(bytes);
        self
    }

    /// Disables Nagle's algorithm (`setNoDelay`).
    pub fn set_no_delay(&self, no_delay: bool) -> Result<(), Error> {
        match &*self.inner.stream.borrow() {
            Some(stream) => stream
                .set_nodelay(no_delay)
                .map_err(|e| Error::from_io(e, "setsockopt", None)),
            None => Ok(()),
        }
    }

    /// The peer's address, while connected.
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.inner.state.borrow().peer
    }

    /// Our own address, while open.
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.inner.stream.borrow().as_ref()?.local_addr().ok()
    }

    /// Bytes accepted by `write` and not sent yet.
    pub fn buffered(&self) -> usize {
        self.inner.state.borrow().out.len()
    }

    /// True once the socket is closing or closed.
    pub fn destroyed(&self) -> bool {
        self.inner.flags.get() & CLOSING != 0
    }
}

impl IoHandler for SocketInner {
    fn ready(self: Rc<Self>, lp: &LoopInner, readiness: Readiness) {
        if self.flags.get() & CLOSING != 0 {
            return;
        }
        if self.state.borrow().connecting {
            if !(readiness.writable || readiness.error || readiness.read_closed) {
                return;
            }
            let result = match &*self.stream.borrow() {
                Some(stream) => match stream.take_error() {
                    Ok(Some(e)) | Err(e) => Err(e),
                    Ok(None) => stream.peer_addr().map(Some),
                },
                None => return,
            };
            match result {
                Ok(peer) => {
                    {
                        let mut state = self.state.borrow_mut();
                        state.connecting = false;
                        state.peer = peer;
                    }
                    self.emit(lp, |h| &mut h.connect, |f| f());
                    self.flush(lp, false);
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(e) => {
                    let addr = self.state.borrow().peer.map(|a| a.to_string());
                    self.fail(
                        lp,
                        Error::from_io_addr(e, "connect", addr.unwrap_or_default()),
                    );
                    return;
                }
            }
        }
        if readiness.writable || readiness.error {
            self.flush(lp, false);
        }
        if readiness.readable || readiness.read_closed || readiness.error {
            self.read_all(lp, readiness.read_closed || readiness.error);
        }
    }
}

impl SocketInner {
    /// Calls one handler as a callback, putting it back afterwards unless
    /// the socket closed or the handler was replaced meanwhile.
    fn emit<F: ?Sized>(
        &self,
        lp: &LoopInner,
        slot: impl Fn(&mut Handlers) -> &mut Option<Handler<F>>,
        call: impl FnOnce(&mut F),
    ) {
        let handler = slot(&mut self.handlers.borrow_mut()).take();
        if let Some(mut handler) = handler {
            lp.run_fn(handler.site, || call(&mut handler.f));
            let mut handlers = self.handlers.borrow_mut();
            let current = slot(&mut handlers);
            if current.is_none() && self.flags.get() & CLOSING == 0 {
                *current = Some(handler);
            }
        }
    }

    /// Reads until the kernel has nothing more (edge-triggered). A short
    /// read means the receive queue was empty at that moment, so new data
    /// brings a new edge and the loop stops there, saving the `EAGAIN`
    /// read, unless `to_eof` (the peer's FIN came with this edge, or the
    /// read follows a `resume`).
    fn read_all(self: &Rc<Self>, lp: &LoopInner, to_eof: bool) {
        let mut buf = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        buf.resize(64 * 1024, 0);
        loop {
            if self.flags.get() & CLOSING != 0 || self.state.borrow().read_ended {
                break;
            }
            if self.state.borrow().paused {
                self.state.borrow_mut().readable_pending = true;
                break;
            }
            let result = match &*self.stream.borrow() {
                Some(stream) => {
                    let mut s: &TcpStream = stream;
                    s.read(&mut buf)
                }
                None => break,
            };
            match result {
                Ok(0) => {
                    self.state.borrow_mut().read_ended = true;
                    self.emit(lp, |h| &mut h.end, |f| f());
                    // allowHalfOpen: false: end our side too.
                    self.state.borrow_mut().ending = true;
                    self.flush(lp, false);
                    break;
                }
                Ok(n) => {
                    self.emit(lp, |h| &mut h.data, |f| f(&buf[..n]));
                    if n < buf.len() && !to_eof {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.fail(lp, Error::from_io(e, "read", None));
                    break;
                }
            }
        }
        SCRATCH.with(|s| *s.borrow_mut() = buf);
    }

    /// Sends what it can of the write buffer; shuts down writing and closes
    /// when due; emits `drain` (as a next tick when called from `write`, as
    /// Node's synchronous writes do).
    /// Whether the unsent bytes are under the high-water mark; when not,
    /// `drain` is owed once they are sent.
    fn below_high_water(&self, state: &mut SocketState) -> bool {
        let below = state.out.len() < self.high_water_mark.get();
        if !below {
            state.need_drain = true;
        }
        below
    }

    fn flush(self: &Rc<Self>, lp: &LoopInner, from_write: bool) {
        if self.flags.get() & CLOSING != 0 {
            return;
        }
        loop {
            let result = {
                let state = self.state.borrow();
                if state.out.is_empty() {
                    break;
                }
                let (front, _) = state.out.as_slices();
                match &*self.stream.borrow() {
                    Some(stream) => {
                        let mut s: &TcpStream = stream;
                        s.write(front)
                    }
                    None => return,
                }
            };
            match result {
                Ok(n) => {
                    self.state.borrow_mut().out.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.fail(lp, Error::from_io(e, "write", None));
                    return;
                }
            }
        }
        let (drain, shut, close) = {
            let mut state = self.state.borrow_mut();
            let drain = std::mem::take(&mut state.need_drain);
            let shut = state.ending && !state.write_shut;
            if shut {
                state.write_shut = true;
            }
            (drain, shut, state.write_shut && state.read_ended)
        };
        if drain && from_write {
            let inner = Rc::clone(self);
            let site = self
                .handlers
                .borrow()
                .drain
                .as_ref()
                .map_or(Location::caller(), |h| h.site);
            lp.next_ticks
                .borrow_mut()
                .push_back(Callback::new(site, move || {
                    with_current(|lp| inner.emit(lp, |h| &mut h.drain, |f| f()));
                }));
        } else if drain {
            self.emit(lp, |h| &mut h.drain, |f| f());
        }
        if let (true, Some(stream)) = (shut, &*self.stream.borrow()) {
            // The peer may be gone already: nothing left to tell it.
            let _ = stream.shutdown(Shutdown::Write);
        }
        if close {
            self.close(lp, false);
        }
    }

    fn fail(self: &Rc<Self>, lp: &LoopInner, error: Error) {
        self.state.borrow_mut().had_error = true;
        self.emit(lp, |h| &mut h.error, move |f| f(error));
        self.close(lp, true);
    }

    /// Deregisters and closes the fd now; `close` runs in the close phase.
    pub(crate) fn close(self: &Rc<Self>, lp: &LoopInner, had_error: bool) {
        if self.flags.get() & CLOSING != 0 {
            return;
        }
        lp.handles.set(&self.flags, self.flags.get() | CLOSING);
        if let (Some(mut stream), Some(token)) =
            (self.stream.borrow_mut().take(), self.token.take())
        {
            lp.deregister_io(&mut stream, token);
        }
        let had_error = had_error || self.state.borrow().had_error;
        let inner = Rc::clone(self);
        let site = self
            .handlers
            .borrow()
            .close
            .as_ref()
            .map_or(Location::caller(), |h| h.site);
        lp.closing
            .borrow_mut()
            .push_back(Callback::new(site, move || {
                // Take every handler: this breaks Socket <-> closure cycles.
                let handlers = std::mem::take(&mut *inner.handlers.borrow_mut());
                if let Some(server) = inner.server.as_ref() {
                    with_current(|lp| server.connection_closed(lp));
                }
                if let Some(mut close) = handlers.close {
                    (close.f)(had_error);
                }
            }));
    }
}

thread_local! {
    /// One read buffer per thread, reused by every socket.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}
