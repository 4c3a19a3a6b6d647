//! Reading and writing a stream socket through its registration, with the
//! edge-triggered shortcut: a read that returns less than was asked for
//! drained the socket, and a write that took less than was offered filled
//! it, so the readiness is cleared at once and the next call waits for the
//! next edge instead of spending a system call to learn `WouldBlock`.
//!
//! The readiness word carries the reactor tick it was observed at, so
//! clearing never forgets an edge that arrived after the operation.

use std::io::{self, IoSlice, Write};
use std::os::fd::AsFd;
use std::task::{Context, Poll, ready};

use eddy_poll::event::Source;

use crate::runtime::coop;
use crate::runtime::io::{Direction, PollEvented, shutdown_error};

/// Reads into `buf`, waiting for readability (`recv` on the socket,
/// straight to the kernel: see [`eddy_poll::unix::recv`]).
#[inline(always)]
pub(crate) fn poll_read<E: Source + AsFd>(
    io: &PollEvented<E>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let asked = buf.len();
    let fd = io.get_ref().as_fd();
    poll_transfer(io, cx, Direction::Read, asked, || {
        eddy_poll::unix::recv(fd, buf)
    })
}

/// Writes from `buf`, waiting for writability (`send` with
/// `MSG_NOSIGNAL`, straight to the kernel: see [`eddy_poll::unix::send`]).
#[inline(always)]
pub(crate) fn poll_write<E: Source + AsFd>(
    io: &PollEvented<E>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    let fd = io.get_ref().as_fd();
    poll_transfer(io, cx, Direction::Write, buf.len(), || {
        eddy_poll::unix::send(fd, buf)
    })
}

/// Writes from `bufs`, waiting for writability.
pub(crate) fn poll_write_vectored<'a, E: Source>(
    io: &'a PollEvented<E>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>>
where
    &'a E: Write,
{
    let offered: usize = bufs.iter().map(|b| b.len()).sum();
    poll_transfer(io, cx, Direction::Write, offered, || {
        { io.get_ref() }.write_vectored(bufs)
    })
}

/// The loop the three above share: one budget unit per completed call
/// (checked first, spent once the operation completed), then for as
/// long as the source is known ready, run `op`; clear the readiness when
/// `op` would block or moved fewer than `asked` bytes (but some: `Ok(0)` is
/// end-of-file or an empty buffer); with no readiness known, register the
/// task's waker and re-check before returning `Pending`.
///
/// Clearing forgets only the readiness observed (its reactor tick), and the
/// waker is registered before the final re-check, so an event that lands
/// between the failed operation and the registration is either seen by the
/// re-check or wakes the task (`tests/loom_io.rs` models both).
#[inline(always)]
fn poll_transfer<E: Source>(
    io: &PollEvented<E>,
    cx: &mut Context<'_>,
    direction: Direction,
    asked: usize,
    mut op: impl FnMut() -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    let registration = io.registration();
    ready!(coop::poll_has_budget(cx));
    loop {
        let event = match registration.ready_for(direction) {
            Some(event) => event,
            None => match registration.register_waker(direction, cx) {
                Some(event) => event,
                // No unit was spent.
                None => return Poll::Pending,
            },
        };
        if event.is_shutdown() {
            coop::consume_unit();
            return Poll::Ready(Err(shutdown_error()));
        }
        match op() {
            Ok(n) => {
                if n > 0 && n < asked {
                    registration.clear_readiness(event);
                }
                coop::consume_unit();
                return Poll::Ready(Ok(n));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => registration.clear_readiness(event),
            Err(e) => {
                coop::consume_unit();
                return Poll::Ready(Err(e));
            }
        }
    }
}
