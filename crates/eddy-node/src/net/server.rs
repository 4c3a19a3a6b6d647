//! [`Server`]: a listening TCP socket calling a connection callback for each
//! accepted [`Socket`] (Node's `net.Server`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::panic::Location;
use std::rc::Rc;

use eddy_poll::net::TcpListener;
use eddy_poll::{Interest, Token};

use crate::Error;
use crate::callback::Callback;
use crate::handle::{ACTIVE, CLOSING, REF};
use crate::r#loop::{IoHandler, LoopInner, Readiness, with_current};

use super::Socket;

type ConnectionHandler = (Box<dyn FnMut(Socket)>, &'static Location<'static>);

pub(crate) struct ServerInner {
    listener: RefCell<Option<TcpListener>>,
    token: Cell<Option<Token>>,
    flags: Cell<u8>,
    on_connection: RefCell<Option<ConnectionHandler>>,
    connections: Cell<usize>,
    on_close: RefCell<Vec<Callback>>,
    address: Cell<Option<SocketAddr>>,
    no_delay: Cell<bool>,
}

/// A TCP server (Node's `net.Server`), made by [`super::create_server`].
#[derive(Clone)]
pub struct Server {
    inner: Rc<ServerInner>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.inner.address.get())
            .field("connections", &self.inner.connections.get())
            .finish_non_exhaustive()
    }
}

impl Server {
    pub(crate) fn new(
        on_connection: impl FnMut(Socket) + 'static,
        site: &'static Location<'static>,
    ) -> Server {
        Server {
            inner: Rc::new(ServerInner {
                listener: RefCell::new(None),
                token: Cell::new(None),
                flags: Cell::new(REF),
                on_connection: RefCell::new(Some((Box::new(on_connection), site))),
                connections: Cell::new(0),
                on_close: RefCell::new(Vec::new()),
                address: Cell::new(None),
                no_delay: Cell::new(false),
            }),
        }
    }

    /// Binds `addr` (e.g. `"127.0.0.1:0"`) and starts accepting. `cb` runs
    /// as a next tick with the bound address or the error (as Node's
    /// `listening` event / `error` event).
    ///
    /// # Panics
    /// If called outside a running loop.
    #[track_caller]
    pub fn listen(&self, addr: &str, cb: impl FnOnce(Result<SocketAddr, Error>) + 'static) {
        let result = with_current(|lp| self.bind(lp, addr));
        crate::next_tick(move || cb(result));
    }

    fn bind(&self, lp: &LoopInner, addr: &str) -> Result<SocketAddr, Error> {
        let parsed = super::resolve(addr, "listen")?;
        let mut listener = TcpListener::bind(parsed)
            .map_err(|e| Error::from_io_addr(e, "listen", addr.to_owned()))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::from_io(e, "getsockname", None))?;
        let token = lp
            .register_io(
                &mut listener,
                Interest::READABLE,
                Rc::clone(&self.inner) as Rc<dyn IoHandler>,
            )
            .map_err(|e| Error::from_io(e, "epoll_ctl", None))?;
        self.inner.token.set(Some(token));
        *self.inner.listener.borrow_mut() = Some(listener);
        self.inner.address.set(Some(local));
        lp.handles
            .set(&self.inner.flags, self.inner.flags.get() | ACTIVE);
        Ok(local)
    }

    /// The bound address, once listening.
    pub fn address(&self) -> Option<SocketAddr> {
        self.inner.address.get()
    }

    /// Stops accepting now; `cb` runs (as a next tick, as Node's `close`
    /// event) once every accepted connection has closed too.
    ///
    /// # Panics
    /// If called outside a running loop.
    #[track_caller]
    pub fn close(&self, cb: impl FnOnce() + 'static) {
        let site = Location::caller();
        with_current(|lp| {
            self.inner
                .on_close
                .borrow_mut()
                .push(Callback::new(site, cb));
            if self.inner.flags.get() & CLOSING == 0 {
                lp.handles
                    .set(&self.inner.flags, self.inner.flags.get() | CLOSING);
                if let (Some(mut listener), Some(token)) = (
                    self.inner.listener.borrow_mut().take(),
                    self.inner.token.take(),
                ) {
                    lp.deregister_io(&mut listener, token);
                }
                // Drop the connection callback: breaks closure cycles.
                self.inner.on_connection.borrow_mut().take();
            }
            self.inner.close_if_drained(lp);
        });
    }

    /// Sets TCP_NODELAY on every accepted socket (HTTP servers want it).
    pub fn set_no_delay(&self, no_delay: bool) -> &Self {
        self.inner.no_delay.set(no_delay);
        self
    }

    /// The number of open accepted connections.
    pub fn connections(&self) -> usize {
        self.inner.connections.get()
    }

    /// Lets the loop exit while the server listens.
    pub fn unref(&self) -> &Self {
        with_current(|lp| {
            lp.handles
                .set(&self.inner.flags, self.inner.flags.get() & !REF)
        });
        self
    }

    /// Makes the server keep the loop alive again (the default).
    pub fn ref_(&self) -> &Self {
        with_current(|lp| {
            lp.handles
                .set(&self.inner.flags, self.inner.flags.get() | REF)
        });
        self
    }
}

impl ServerInner {
    /// An accepted socket closed.
    pub(crate) fn connection_closed(&self, lp: &LoopInner) {
        self.connections
            .set(self.connections.get().saturating_sub(1));
        self.close_if_drained(lp);
    }

    fn close_if_drained(&self, lp: &LoopInner) {
        if self.flags.get() & CLOSING != 0 && self.connections.get() == 0 {
            // Node emits a server's `close` as a next tick once drained.
            let callbacks = std::mem::take(&mut *self.on_close.borrow_mut());
            lp.next_ticks.borrow_mut().extend(callbacks);
        }
    }
}

impl IoHandler for ServerInner {
    fn ready(self: Rc<Self>, lp: &LoopInner, _readiness: Readiness) {
        loop {
            if self.flags.get() & CLOSING != 0 {
                return;
            }
            let accepted = match &*self.listener.borrow() {
                Some(listener) => listener.accept(),
                None => return,
            };
            match accepted {
                Ok((stream, _peer)) => {
                    if self.no_delay.get() {
                        // Only a latency hint: a failure changes nothing else.
                        let _ = stream.set_nodelay(true);
                    }
                    let socket = match Socket::open(lp, stream, false, Some(Rc::clone(&self))) {
                        Ok(socket) => socket,
                        Err(_) => continue, // could not register: drop that one
                    };
                    self.connections.set(self.connections.get() + 1);
                    let handler = self.on_connection.borrow_mut().take();
                    if let Some((mut f, site)) = handler {
                        lp.run_fn(site, || f(socket));
                        let mut slot = self.on_connection.borrow_mut();
                        if slot.is_none() && self.flags.get() & CLOSING == 0 {
                            *slot = Some((f, site));
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Out of fds or a connection reset before accept: skip this
                // round (libuv backs off the same way); the next event retries.
                Err(_) => return,
            }
        }
    }
}
