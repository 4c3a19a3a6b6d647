//! The Linux/Android backend: `epoll` for the queue, `eventfd` for the waker.
//!
//! Every registration is `EPOLLET` (edge-triggered): an event is reported
//! when readiness changes, and the caller drains the source to `WouldBlock`
//! before waiting again.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};
use std::{io, ptr};

use crate::{Interest, Token};

/// The kernel's event record.
pub(crate) type Event = libc::epoll_event;
/// A buffer of kernel event records.
pub(crate) type Events = Vec<Event>;

/// An epoll instance.
#[derive(Debug)]
pub(crate) struct Selector {
    ep: OwnedFd,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: epoll_create1 takes only flags.
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        let ep = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Selector { ep })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            ep: self.ep.try_clone()?,
        })
    }

    /// Waits for events. The common path is one `epoll_wait` and nothing
    /// else: `None` and `Some(ZERO)` read no clock, and their rare `EINTR`
    /// is handled out of line. A finite timeout reads the clock once up
    /// front and again only if the wait ends early without events (a
    /// signal, or the kernel's rounding), to wait out the rest.
    #[inline]
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let timeout_ms = match timeout {
            None => -1,
            Some(t) if t.is_zero() => 0,
            Some(t) => return self.select_until(events, t),
        };
        match self.wait(events, timeout_ms) {
            Ok(_) => Ok(()),
            Err(e) => self.select_failed(events, timeout_ms, e),
        }
    }

    /// After a failed wait without a deadline (`timeout_ms` is 0 or -1): an
    /// `EINTR` is not an error; anything else is.
    #[cold]
    #[inline(never)]
    fn select_failed(
        &self,
        events: &mut Events,
        timeout_ms: libc::c_int,
        error: io::Error,
    ) -> io::Result<()> {
        match error.kind() {
            io::ErrorKind::Interrupted if timeout_ms == 0 => Ok(()),
            io::ErrorKind::Interrupted => self.select_unbounded(events),
            _ => Err(error),
        }
    }

    /// Waits until an event arrives, however many signals come first.
    fn select_unbounded(&self, events: &mut Events) -> io::Result<()> {
        loop {
            match self.wait(events, -1) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other.map(drop),
            }
        }
    }

    /// Waits for an event for at most `timeout` (non-zero), never less:
    /// early returns without events wait again for what is left.
    fn select_until(&self, events: &mut Events, timeout: Duration) -> io::Result<()> {
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            // Too far away for the clock: wait as if unbounded.
            return self.select_unbounded(events);
        };
        let mut timeout_ms = round_up_millis(timeout);
        loop {
            match self.wait(events, timeout_ms) {
                Ok(n) if n > 0 => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            timeout_ms = round_up_millis(left);
        }
    }

    /// One `epoll_wait` into `events`; returns how many arrived.
    #[inline]
    fn wait(&self, events: &mut Events, timeout_ms: libc::c_int) -> io::Result<usize> {
        events.clear();
        let n = syscall!(epoll_wait(
            self.ep.as_raw_fd(),
            events.as_mut_ptr(),
            // The kernel refuses maxevents <= 0; `Events` guarantees capacity >= 1.
            events.capacity().min(i32::MAX as usize) as libc::c_int,
            timeout_ms,
        ))? as usize;
        // SAFETY: the kernel initialised the first `n` records, and
        // `n <= capacity` because we passed the capacity.
        unsafe { events.set_len(n) };
        Ok(n)
    }

    pub(crate) fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, Some((token, interest)))
    }

    pub(crate) fn reregister(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, Some((token, interest)))
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, None)
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, what: Option<(Token, Interest)>) -> io::Result<()> {
        let mut event = match what {
            Some((token, interest)) => libc::epoll_event {
                events: interest_to_epoll(interest),
                u64: token.0 as u64,
            },
            None => libc::epoll_event { events: 0, u64: 0 },
        };
        let event_ptr = if what.is_some() {
            &mut event as *mut _
        } else {
            ptr::null_mut()
        };
        // SAFETY: `event_ptr` is null only for EPOLL_CTL_DEL, where the kernel
        // ignores it; otherwise it points at a live `epoll_event`.
        syscall!(epoll_ctl(self.ep.as_raw_fd(), op, fd, event_ptr)).map(|_| ())
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }
}

/// Rounds a duration up to whole milliseconds, so a 1.5 ms timeout waits at
/// least 1.5 ms, and clamps it to what `epoll_wait` accepts.
fn round_up_millis(d: Duration) -> libc::c_int {
    let ms = d.as_nanos().div_ceil(1_000_000);
    ms.min(libc::c_int::MAX as u128) as libc::c_int
}

fn interest_to_epoll(interest: Interest) -> u32 {
    let mut kind = libc::EPOLLET as u32;
    if interest.is_readable() {
        kind |= (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
    }
    if interest.is_writable() {
        kind |= libc::EPOLLOUT as u32;
    }
    if interest.is_priority() {
        kind |= libc::EPOLLPRI as u32;
    }
    kind
}

pub(crate) fn token(event: &Event) -> Token {
    Token(event.u64 as usize)
}

pub(crate) fn is_readable(event: &Event) -> bool {
    event.events & (libc::EPOLLIN | libc::EPOLLPRI) as u32 != 0
}

pub(crate) fn is_writable(event: &Event) -> bool {
    event.events & libc::EPOLLOUT as u32 != 0
}

pub(crate) fn is_error(event: &Event) -> bool {
    event.events & libc::EPOLLERR as u32 != 0
}

pub(crate) fn is_read_closed(event: &Event) -> bool {
    let e = event.events;
    // Both ends closed, or the peer shut down its writing side.
    e & libc::EPOLLHUP as u32 != 0
        || (e & libc::EPOLLIN as u32 != 0 && e & libc::EPOLLRDHUP as u32 != 0)
}

pub(crate) fn is_write_closed(event: &Event) -> bool {
    let e = event.events;
    e & libc::EPOLLHUP as u32 != 0
        || (e & libc::EPOLLOUT as u32 != 0 && e & libc::EPOLLERR as u32 != 0)
        || e == libc::EPOLLERR as u32
}

pub(crate) fn is_priority(event: &Event) -> bool {
    event.events & libc::EPOLLPRI as u32 != 0
}

/// An `eventfd` registered (edge-triggered, readable) with a selector.
///
/// `wake` adds one to the counter; each write fires the edge again, and the
/// kernel puts the descriptor on the ready list only once however many writes
/// happened before the next `epoll_wait`, so wakes coalesce. The counter is
/// never read in normal operation; if it ever saturates, `wake` drains it.
#[derive(Debug)]
pub(crate) struct WakerInner {
    fd: OwnedFd,
}

impl WakerInner {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<WakerInner> {
        // SAFETY: eventfd takes an initial value and flags only.
        let fd = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        selector.register(fd.as_raw_fd(), token, Interest::READABLE)?;
        Ok(WakerInner { fd })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to an eventfd we own.
        let res = syscall!(write(
            self.fd.as_raw_fd(),
            &one as *const u64 as *const libc::c_void,
            8
        ));
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // The counter is at its maximum: drain it, then wake again.
                self.drain()?;
                self.wake()
            }
            Err(e) => Err(e),
        }
    }

    fn drain(&self) -> io::Result<()> {
        let mut buf: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 from an eventfd we own.
        match syscall!(read(
            self.fd.as_raw_fd(),
            &mut buf as *mut u64 as *mut libc::c_void,
            8
        )) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_never_cuts_short() {
        assert_eq!(round_up_millis(Duration::from_micros(1500)), 2);
        assert_eq!(round_up_millis(Duration::from_nanos(1)), 1);
        assert_eq!(round_up_millis(Duration::ZERO), 0);
        assert_eq!(round_up_millis(Duration::from_millis(7)), 7);
        assert_eq!(
            round_up_millis(Duration::from_secs(u64::MAX)),
            libc::c_int::MAX
        );
    }

    #[test]
    fn a_saturated_waker_counter_is_drained_and_still_wakes() {
        let selector = Selector::new().unwrap();
        let waker = WakerInner::new(&selector, Token(1)).unwrap();
        // Fill the eventfd counter to its maximum (2^64 - 2), where the
        // next write would block.
        let max: u64 = u64::MAX - 1;
        // SAFETY: writes 8 bytes from a live u64 to the waker's eventfd.
        let n = unsafe { libc::write(waker.fd.as_raw_fd(), (&max as *const u64).cast(), 8) };
        assert_eq!(n, 8);
        waker.wake().unwrap();

        let mut events = Vec::with_capacity(4);
        selector
            .select(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(token(&events[0]), Token(1));
        assert!(is_readable(&events[0]));
    }

    #[test]
    fn interests_map_to_edge_triggered_epoll_flags() {
        let et = libc::EPOLLET as u32;
        let read = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
        assert_eq!(interest_to_epoll(Interest::READABLE), et | read);
        assert_eq!(
            interest_to_epoll(Interest::WRITABLE),
            et | libc::EPOLLOUT as u32
        );
        assert_eq!(
            interest_to_epoll(Interest::READABLE | Interest::PRIORITY),
            et | read | libc::EPOLLPRI as u32
        );
    }

    #[test]
    fn close_and_error_flags_read_the_way_the_docs_say() {
        let event = |bits: libc::c_int| libc::epoll_event {
            events: bits as u32,
            u64: 0,
        };
        // Peer shut down its writing half: readable + read-closed only.
        let half_closed = event(libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLOUT);
        assert!(is_read_closed(&half_closed) && !is_write_closed(&half_closed));
        // Reset: everything.
        let reset = event(
            libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR,
        );
        assert!(is_read_closed(&reset) && is_write_closed(&reset) && is_error(&reset));
        // Priority data counts as readable.
        let oob = event(libc::EPOLLPRI);
        assert!(is_priority(&oob) && is_readable(&oob) && !is_writable(&oob));
    }
}
