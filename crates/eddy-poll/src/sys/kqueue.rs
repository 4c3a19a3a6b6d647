//! The macOS/BSD backend: `kqueue` for the queue, `EVFILT_USER` for the waker.
//!
//! Written to the same contract as `epoll.rs` (see `sys/mod.rs`), with
//! `EV_CLEAR` giving edge-triggered delivery. **It cannot be run on the
//! project's Linux CI machines**. It is type-checked and clippy-clean for
//! macOS and FreeBSD from Linux (`rustup target add aarch64-apple-darwin
//! x86_64-unknown-freebsd`, then `cargo clippy -p eddy-poll --lib --target
//! <target>`), but its behaviour is tested only when someone runs the tests
//! on such a machine. Treat it as a best-effort port until then.
//!
//! Known differences from epoll: `EV_ADD` on a filter that already exists
//! updates it, so registering a source twice is *not* reported as
//! `AlreadyExists` here; `Interest::PRIORITY` maps to the read filter and
//! `is_priority` is always false.

// `kevent`'s field types differ between the BSDs (NetBSD's `flags` is u32,
// macOS/FreeBSD's u16), so the casts below are needed somewhere even where
// they are no-ops.
#![allow(clippy::unnecessary_cast)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};
use std::{io, mem, ptr};

use crate::{Interest, Token};

/// The kernel's event record, wrapped only so that `Events` can move
/// between threads as epoll's buffer can (`libc::kevent` holds a raw
/// `udata` pointer, which makes it neither `Send` nor `Sync`).
#[repr(transparent)]
#[derive(Clone, Copy)]
pub(crate) struct Event(libc::kevent);

// SAFETY: the only pointer in a `kevent` is `udata`, which this backend sets
// from a `Token` and reads back as an integer; it is never dereferenced, so
// sharing or sending the record is sharing or sending plain integers.
unsafe impl Send for Event {}
// SAFETY: as for `Send`: no field is ever dereferenced.
unsafe impl Sync for Event {}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Fields are copied out: `kevent` is packed on some targets.
        f.debug_struct("kevent")
            .field("ident", &{ self.0.ident })
            .field("filter", &{ self.0.filter })
            .field("flags", &{ self.0.flags })
            .field("udata", &({ self.0.udata } as usize))
            .finish()
    }
}
/// A buffer of kernel event records.
pub(crate) type Events = Vec<Event>;

/// A kqueue instance.
#[derive(Debug)]
pub(crate) struct Selector {
    kq: OwnedFd,
}

fn kevent(ident: libc::uintptr_t, filter: i16, flags: u16, udata: usize) -> libc::kevent {
    // SAFETY: kevent is a plain C struct; all-zero is a valid value.
    let mut ev: libc::kevent = unsafe { mem::zeroed() };
    ev.ident = ident;
    ev.filter = filter as _;
    ev.flags = flags as _;
    ev.udata = udata as _;
    ev
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: kqueue takes no arguments.
        let fd = syscall!(kqueue())?;
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sets FD_CLOEXEC on a descriptor we own.
        syscall!(fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
        Ok(Selector { kq })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            kq: self.kq.try_clone()?,
        })
    }

    /// Waits for events, with the same contract and the same shape as the
    /// epoll backend: `None` and `Some(ZERO)` read no clock; a finite
    /// timeout reads it up front and waits out the rest after an early
    /// return without events; `EINTR` never surfaces.
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let deadline = match timeout {
            None => None,
            Some(t) if t.is_zero() => {
                return match self.wait(events, Some(Duration::ZERO)) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
                    other => other.map(drop),
                };
            }
            // Too far away for the clock: wait as if unbounded.
            Some(t) => Instant::now().checked_add(t),
        };
        loop {
            let left = match deadline {
                None => None,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(());
                    }
                    Some(left)
                }
            };
            match self.wait(events, left) {
                Ok(n) if n > 0 => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One `kevent` call collecting events into `events`; returns how many.
    fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as _,
        });
        let ts_ptr = ts.as_ref().map_or(ptr::null(), |t| t as *const _);
        events.clear();
        // SAFETY: the output buffer has room for `capacity` records and
        // `ts_ptr` is null or points at a live timespec.
        let n = syscall!(kevent(
            self.kq.as_raw_fd(),
            ptr::null(),
            0,
            events.as_mut_ptr().cast::<libc::kevent>(),
            events.capacity().min(i32::MAX as usize) as libc::c_int,
            ts_ptr,
        ))? as usize;
        // SAFETY: the kernel initialised the first `n` records.
        unsafe { events.set_len(n) };
        Ok(n)
    }

    fn apply(&self, changes: &mut [libc::kevent]) -> io::Result<()> {
        for ev in changes.iter_mut() {
            ev.flags = (ev.flags as u32 | libc::EV_RECEIPT as u32) as _;
        }
        let n = changes.len() as libc::c_int;
        let ptr = changes.as_mut_ptr();
        // SAFETY: with EV_RECEIPT the kernel writes one receipt per change
        // into the same live buffer.
        syscall!(kevent(self.kq.as_raw_fd(), ptr, n, ptr, n, ptr::null()))?;
        for ev in changes.iter() {
            if (ev.flags as u16 & libc::EV_ERROR as u16) != 0 && ev.data != 0 {
                // Deleting a filter that was never added is fine when the
                // other filter of the pair exists.
                if ev.data as i32 == libc::ENOENT && (ev.flags as u16 & libc::EV_DELETE as u16) != 0
                {
                    continue;
                }
                return Err(io::Error::from_raw_os_error(ev.data as i32));
            }
        }
        Ok(())
    }

    pub(crate) fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let flags = (libc::EV_CLEAR | libc::EV_ADD) as u16;
        let mut changes = Vec::with_capacity(2);
        if interest.is_readable() || interest.is_priority() {
            changes.push(kevent(fd as _, libc::EVFILT_READ, flags, token.0));
        }
        if interest.is_writable() {
            changes.push(kevent(fd as _, libc::EVFILT_WRITE, flags, token.0));
        }
        self.apply(&mut changes)
    }

    pub(crate) fn reregister(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let add = (libc::EV_CLEAR | libc::EV_ADD) as u16;
        let del = libc::EV_DELETE as u16;
        let read = if interest.is_readable() || interest.is_priority() {
            add
        } else {
            del
        };
        let write = if interest.is_writable() { add } else { del };
        let mut changes = [
            kevent(fd as _, libc::EVFILT_READ, read, token.0),
            kevent(fd as _, libc::EVFILT_WRITE, write, token.0),
        ];
        self.apply(&mut changes)
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let del = libc::EV_DELETE as u16;
        let mut changes = [
            kevent(fd as _, libc::EVFILT_READ, del, 0),
            kevent(fd as _, libc::EVFILT_WRITE, del, 0),
        ];
        self.apply(&mut changes)
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }
}

pub(crate) fn token(event: &Event) -> Token {
    Token(event.0.udata as usize)
}

pub(crate) fn is_readable(event: &Event) -> bool {
    event.0.filter as i16 == libc::EVFILT_READ || event.0.filter as i16 == libc::EVFILT_USER
}

pub(crate) fn is_writable(event: &Event) -> bool {
    event.0.filter as i16 == libc::EVFILT_WRITE
}

pub(crate) fn is_error(event: &Event) -> bool {
    (event.0.flags as u16 & libc::EV_ERROR as u16) != 0
        || ((event.0.flags as u16 & libc::EV_EOF as u16) != 0 && event.0.fflags != 0)
}

pub(crate) fn is_read_closed(event: &Event) -> bool {
    event.0.filter as i16 == libc::EVFILT_READ && (event.0.flags as u16 & libc::EV_EOF as u16) != 0
}

pub(crate) fn is_write_closed(event: &Event) -> bool {
    event.0.filter as i16 == libc::EVFILT_WRITE && (event.0.flags as u16 & libc::EV_EOF as u16) != 0
}

pub(crate) fn is_priority(_event: &Event) -> bool {
    false
}

/// An `EVFILT_USER` event on the selector's own queue.
#[derive(Debug)]
pub(crate) struct WakerInner {
    selector: Selector,
    token: Token,
}

impl WakerInner {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<WakerInner> {
        let selector = selector.try_clone()?;
        let mut change = [kevent(
            0,
            libc::EVFILT_USER,
            (libc::EV_ADD | libc::EV_CLEAR) as u16,
            token.0,
        )];
        selector.apply(&mut change)?;
        Ok(WakerInner { selector, token })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        let mut ev = kevent(
            0,
            libc::EVFILT_USER,
            (libc::EV_ADD | libc::EV_RECEIPT) as u16,
            self.token.0,
        );
        ev.fflags = libc::NOTE_TRIGGER;
        self.selector.apply(&mut [ev])
    }
}
