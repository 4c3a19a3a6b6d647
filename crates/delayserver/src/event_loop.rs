//! [`EventLoop`]: the one thread that accepts, reads, waits and answers.
//!
//! # One turn of the loop
//!
//! 1. Flush the request log.
//! 2. Wait in [`Poll::poll`] until a socket is ready or the earliest timer
//!    (a response due, an idle or linger deadline, the end of an accept
//!    back-off) expires.
//! 3. Hand each connection event to its [`Connection`]; note listener
//!    readiness; stop if the [`Waker`](eddy_poll::Waker) fired for shutdown.
//! 4. Accept new connections (at most [`ACCEPT_BATCH`] per turn, so a flood
//!    of connects cannot starve the connections already open).
//! 5. Expire due timers, each driving its connection.
//!
//! After a connection is driven it is either closed (its socket dropped,
//! which also removes it from the epoll set) or re-armed: its next deadline
//! goes into the [`TimerHeap`] unless an earlier entry of its own is already
//! there (that entry fires first and re-arms it then).
//!
//! # Out of descriptors
//!
//! When `accept` fails for lack of resources (`EMFILE`, `ENFILE`, `ENOBUFS`,
//! `ENOMEM`) the pending connections stay in the kernel's backlog and the
//! loop stops accepting for [`ACCEPT_BACKOFF`], or until one of its own
//! connections closes and frees a descriptor, whichever comes first. It
//! neither spins on the still-readable listener nor drops those clients.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use eddy_poll::event::Event;
use eddy_poll::net::{TcpListener, TcpStream};
use eddy_poll::{Events, Interest, Poll, Token};

use crate::connection::{Connection, Context, Verdict};
use crate::server::Shared;
use crate::slab::Slab;
use crate::timers::TimerHeap;

/// The listening socket's token.
pub(crate) const LISTENER: Token = Token(0);
/// The shutdown waker's token.
pub(crate) const WAKER: Token = Token(1);
/// Connection tokens are their slab index plus this.
const FIRST_CONNECTION: usize = 2;

/// Most connections accepted per turn of the loop.
pub(crate) const ACCEPT_BATCH: usize = 256;

/// How long accepting pauses after the process runs out of descriptors.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Events read per `poll`.
const EVENTS_CAPACITY: usize = 1024;

/// What a timer entry wakes: the connection in slab slot `index`, if it is
/// still the one with this `serial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TimerKey {
    index: usize,
    serial: u64,
}

/// The server's event loop and everything it owns.
#[derive(Debug)]
pub(crate) struct EventLoop {
    poll: Poll,
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    connections: Slab<Connection>,
    timers: TimerHeap<TimerKey>,
    ctx: Context,
    /// Serial number for the next accepted connection.
    next_serial: u64,
    /// The listener may have connections to accept (cleared by `WouldBlock`).
    listener_ready: bool,
    /// Accepting is paused until then, after running out of descriptors.
    accept_paused_until: Option<Instant>,
    /// A connection closed since accepting was paused: retry at once.
    descriptor_freed: bool,
}

impl EventLoop {
    /// A loop serving `listener`, which is registered with `poll` under
    /// [`LISTENER`]; `shared.waker` is registered under [`WAKER`].
    pub(crate) fn new(
        poll: Poll,
        listener: TcpListener,
        local_addr: SocketAddr,
        shared: Arc<Shared>,
        ctx: Context,
    ) -> EventLoop {
        EventLoop {
            poll,
            listener,
            local_addr,
            shared,
            connections: Slab::new(),
            timers: TimerHeap::new(),
            ctx,
            next_serial: 0,
            listener_ready: true,
            accept_paused_until: None,
            descriptor_freed: false,
        }
    }

    /// Serves until shutdown is requested through the waker. Returns an
    /// error only if waiting for events fails.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(EVENTS_CAPACITY);
        loop {
            self.ctx.log.flush();
            let timeout = self.poll_timeout(Instant::now());
            self.poll.poll(&mut events, timeout).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "delayserver on {}: waiting for events: {e}",
                        self.local_addr
                    ),
                )
            })?;
            let now = Instant::now();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.listener_ready = true,
                    WAKER => {
                        if self.shared.stop.load(Ordering::Acquire) {
                            self.ctx.log.flush();
                            return Ok(());
                        }
                    }
                    Token(token) => self.connection_event(token - FIRST_CONNECTION, event, now),
                }
            }
            self.accept_connections(now);
            self.expire_timers(now);
        }
    }

    /// How long `poll` may wait: until the earliest live timer or the end
    /// of an accept back-off; not at all if accepting was cut short.
    fn poll_timeout(&mut self, now: Instant) -> Option<Duration> {
        if self.listener_ready && self.accept_paused_until.is_none() {
            return Some(Duration::ZERO);
        }
        // Stale entries at the top would wake the loop for nothing.
        while let Some((deadline, key)) = self.timers.peek() {
            if is_live(&self.connections, deadline, key) {
                break;
            }
            self.timers.pop();
            self.timers.stale_popped();
        }
        let next = match (self.timers.next_deadline(), self.accept_paused_until) {
            (Some(timer), Some(resume)) => Some(timer.min(resume)),
            (timer, resume) => timer.or(resume),
        };
        next.map(|deadline| deadline.saturating_duration_since(now))
    }

    fn connection_event(&mut self, index: usize, event: &Event, now: Instant) {
        // A connection closed earlier in this batch of events has no slot.
        let Some(connection) = self.connections.get_mut(index) else {
            return;
        };
        let verdict = connection.on_event(event, &mut self.ctx, now);
        self.settle(index, verdict, now);
    }

    /// Accepts pending connections unless paused; pauses when out of
    /// descriptors or memory.
    fn accept_connections(&mut self, now: Instant) {
        if let Some(until) = self.accept_paused_until {
            if now < until && !self.descriptor_freed {
                return;
            }
            // The listener's edge may have passed while paused: try it.
            self.accept_paused_until = None;
            self.listener_ready = true;
        }
        self.descriptor_freed = false;
        if !self.listener_ready {
            return;
        }
        for _ in 0..ACCEPT_BATCH {
            match self.listener.accept() {
                Ok((stream, _peer)) => self.add_connection(stream, now),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.listener_ready = false;
                    return;
                }
                Err(e) if is_per_connection_error(&e) => {}
                Err(_) => {
                    // Out of descriptors or memory (or an error we cannot
                    // tell apart from it): leave the backlog to the kernel.
                    self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
        // Batch used up: `listener_ready` stays set, the next poll will not
        // block, and the open connections get their turn first.
    }

    fn add_connection(&mut self, mut stream: TcpStream, now: Instant) {
        let index = self.connections.vacant_index();
        let token = Token(index + FIRST_CONNECTION);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut stream, token, interest)
            .is_err()
        {
            // Cannot watch it (out of memory for the epoll set): refuse it
            // by closing, and keep serving the others.
            return;
        }
        // Pipelined responses are small separate writes: do not let Nagle
        // hold the second back waiting for the client's ACK. Failing this
        // only costs latency.
        let _ = stream.set_nodelay(true);
        let serial = self.next_serial;
        self.next_serial += 1;
        let index = self
            .connections
            .insert(Connection::new(stream, serial, now));
        // Registration reports the socket's readiness in the next poll,
        // which drives it; for now only arm its idle timeout.
        self.settle(index, Verdict::Keep, now);
    }

    /// Runs the connections whose deadline has come.
    fn expire_timers(&mut self, now: Instant) {
        // A connection re-armed at `now` waits for the next turn, so one
        // turn never loops on the same entry.
        let mut budget = self.timers.len();
        while budget > 0 {
            budget -= 1;
            let Some((deadline, key)) = self.timers.pop_expired(now) else {
                break;
            };
            if !is_live(&self.connections, deadline, &key) {
                self.timers.stale_popped();
                continue;
            }
            let Some(connection) = self.connections.get_mut(key.index) else {
                continue;
            };
            connection.armed = None;
            let verdict = connection.on_timer(&mut self.ctx, now);
            self.settle(key.index, verdict, now);
        }
        if self.timers.should_compact() {
            let connections = &self.connections;
            self.timers
                .compact(|deadline, key| is_live(connections, deadline, key));
        }
    }

    /// Closes or re-arms a connection after it was driven.
    fn settle(&mut self, index: usize, verdict: Verdict, now: Instant) {
        match verdict {
            Verdict::Keep => self.arm(index, now),
            Verdict::Close => {
                if let Some(connection) = self.connections.remove(index) {
                    if connection.armed.is_some() {
                        self.timers.note_stale(1);
                    }
                    // Dropping the socket closes it; the kernel removes a
                    // closed descriptor from the epoll set itself.
                    drop(connection);
                    self.descriptor_freed = true;
                }
            }
        }
    }

    /// Makes sure a timer entry exists no later than the connection's next
    /// deadline.
    fn arm(&mut self, index: usize, now: Instant) {
        let Some(connection) = self.connections.get_mut(index) else {
            return;
        };
        let wanted = connection.next_deadline(self.ctx.idle_timeout).max(now);
        match connection.armed {
            // The earlier entry fires first and re-arms the connection then.
            Some(armed) if armed <= wanted => {}
            previous => {
                if previous.is_some() {
                    self.timers.note_stale(1);
                }
                connection.armed = Some(wanted);
                let key = TimerKey {
                    index,
                    serial: connection.serial,
                };
                self.timers.push(wanted, key);
            }
        }
    }
}

/// Whether a timer entry is its connection's live one (not left behind by
/// a closed connection or superseded by an earlier deadline).
fn is_live(connections: &Slab<Connection>, deadline: Instant, key: &TimerKey) -> bool {
    connections
        .get(key.index)
        .is_some_and(|c| c.serial == key.serial && c.armed == Some(deadline))
}

/// Errors `accept` returns for one failed connection (aborted before we
/// took it, or a network error of the new socket, which Linux reports
/// through `accept`): skip it and accept the next.
fn is_per_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) || matches!(
        e.raw_os_error(),
        Some(
            libc::EPROTO
                | libc::EPERM
                | libc::ENETDOWN
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
        )
    )
}
