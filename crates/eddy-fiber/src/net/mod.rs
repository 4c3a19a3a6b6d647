//! Sockets whose blocking calls park only the calling fiber.
//!
//! [`TcpListener`], [`TcpStream`] and [`UdpSocket`] look like `std::net`'s:
//! `accept`, `connect`, `read`, `write`, `recv_from`… block, but "blocking"
//! parks the fiber on the runtime's event queue and lets other fibers run.
//! Each socket is non-blocking underneath and registered once,
//! edge-triggered, for both directions; an operation tries the syscall
//! first and waits for readiness only after `WouldBlock`.
//!
//! Sockets must be created inside a runtime (in a fiber); they can be used
//! by any fiber of that runtime (`Read`/`Write` are implemented for `&T`
//! too, so one fiber can read while another writes).

mod tcp;
mod udp;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;

use std::cell::Cell;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use eddy_poll::event::Source;

use crate::driver::{Direction, Registration};
use crate::scheduler;

/// A registered non-blocking socket and its optional timeouts.
#[derive(Debug)]
pub(crate) struct IoSource<S> {
    inner: S,
    registration: Registration,
    read_timeout: Cell<Option<Duration>>,
    write_timeout: Cell<Option<Duration>>,
}

fn not_in_runtime(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what}: eddy_fiber sockets work only inside a fiber runtime (in Runtime::block_on)"
    ))
}

impl<S: Source> IoSource<S> {
    pub(crate) fn new(mut inner: S) -> io::Result<IoSource<S>> {
        let registration = scheduler::with(|s| s.io.register(&mut inner))
            .ok_or_else(|| not_in_runtime("registering a socket"))??;
        Ok(IoSource {
            inner,
            registration,
            read_timeout: Cell::new(None),
            write_timeout: Cell::new(None),
        })
    }
}

impl<S> IoSource<S> {
    pub(crate) fn get(&self) -> &S {
        &self.inner
    }

    /// Runs `op` until it does not return `WouldBlock`, parking on the
    /// readiness of `dir` in between (with that direction's timeout).
    ///
    /// The syscall is tried only while `dir` is believed ready: the flag
    /// starts set, `WouldBlock` clears it, and so does a short transfer
    /// (see [`transfer`](Self::transfer)); an event sets it again. A fiber
    /// whose last read drained the socket thus parks at once instead of
    /// making a `recv` that can only fail with `EAGAIN`.
    #[inline]
    pub(crate) fn do_io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let ready = self.registration.readiness.flag(dir);
        let deadline = match dir {
            Direction::Read => self.read_timeout.get(),
            Direction::Write => self.write_timeout.get(),
        }
        .map(|t| Instant::now() + t);
        loop {
            if !ready.get() {
                self.wait(dir, deadline)?;
            }
            match op(&self.inner) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => ready.set(false),
                other => return other,
            }
        }
    }

    /// Forgets that `dir` was ready: the next wait parks until an event.
    pub(crate) fn clear_ready(&self, dir: Direction) {
        self.registration.readiness.flag(dir).set(false);
    }

    /// [`do_io`](Self::do_io) for a stream read or write of `len` bytes.
    /// Moving fewer (but some) bytes means the kernel's socket buffer was
    /// drained (read) or filled (write), so the direction is marked not
    /// ready: the next call parks until the edge-triggered event for new
    /// data or space, which the kernel sends for every change after this
    /// call, instead of trying a syscall bound to return `EAGAIN`. Not once
    /// that side was reported closed: the end of stream (or the error) is
    /// then read at once, as no further event would announce it.
    ///
    /// Inlined into `read`/`write` (and so into their caller): the caller's
    /// frame already holds the registers the fast path needs.
    #[inline(always)]
    pub(crate) fn transfer(
        &self,
        dir: Direction,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let n = self.do_io(dir, op)?;
        if n > 0 && n < len {
            self.registration.readiness.short_transfer(dir);
        }
        Ok(n)
    }

    /// Parks until `dir` is reported ready (or `deadline` passes). Kept out
    /// of line: the callers' fast path (the syscall succeeds) then needs no
    /// large stack frame.
    #[inline(never)]
    pub(crate) fn wait(&self, dir: Direction, deadline: Option<Instant>) -> io::Result<()> {
        let readiness = &self.registration.readiness;
        scheduler::with(|s| {
            loop {
                if readiness.flag(dir).get() {
                    return Ok(());
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "socket operation timed out",
                    ));
                }
                let waiter = s.begin_wait();
                if let Some(deadline) = deadline {
                    s.timers.borrow_mut().insert(deadline, waiter.clone());
                }
                readiness.waiters(dir).borrow_mut().push(waiter);
                s.io_waiting.set(s.io_waiting.get() + 1);
                let parked = s.park();
                s.io_waiting.set(s.io_waiting.get() - 1);
                if deadline.is_some() {
                    s.timers.borrow_mut().wait_ended();
                }
                // Normally the event took our waiter; a timeout or a
                // cancellation leaves it behind.
                let mut waiters = readiness.waiters(dir).borrow_mut();
                if !waiters.is_empty() {
                    waiters.retain(|w| w.is_current());
                }
                drop(waiters);
                if parked.is_err() {
                    return Err(io::Error::other(
                        "fiber cancelled: its runtime is shutting down",
                    ));
                }
            }
        })
        .unwrap_or_else(|| Err(not_in_runtime("waiting for a socket")))
    }

    pub(crate) fn set_timeout(&self, dir: Direction, timeout: Option<Duration>) -> io::Result<()> {
        if timeout == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a zero timeout is not allowed",
            ));
        }
        match dir {
            Direction::Read => self.read_timeout.set(timeout),
            Direction::Write => self.write_timeout.set(timeout),
        }
        Ok(())
    }

    pub(crate) fn timeout(&self, dir: Direction) -> Option<Duration> {
        match dir {
            Direction::Read => self.read_timeout.get(),
            Direction::Write => self.write_timeout.get(),
        }
    }
}

/// Resolves `addr` (blocking the thread for DNS names; instant for IP
/// addresses) and tries `f` on each address until one succeeds.
pub(crate) fn each_addr<A: ToSocketAddrs, T>(
    addr: A,
    what: &str,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addr.to_socket_addrs()? {
        match f(addr) {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(io::Error::new(e.kind(), format!("{what} {addr}: {e}"))),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what}: the address resolved to nothing"),
        )
    }))
}
