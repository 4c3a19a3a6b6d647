//! The driver stack: the I/O driver (epoll) with the time driver (timer
//! wheel) on top. A scheduler owns one [`Driver`] and calls
//! [`park`](Driver::park) / [`park_timeout`](Driver::park_timeout) when it
//! has nothing to run; it never looks inside. Everything else (tasks, I/O
//! resources, timers, other threads) reaches the drivers through the shared
//! [`Handle`], whose [`unpark`](Handle::unpark) wakes a parked driver.
//!
//! One park is:
//!
//! 1. ask the time driver how long we may sleep (the next timer deadline,
//!    capped by the caller's timeout),
//! 2. `epoll_wait` for that long and turn events into readiness + wakes,
//! 3. fire every timer that is due.

use std::io;
use std::task::Waker;
use std::time::Duration;

use super::io::{IoDriver, IoHandle};
use crate::task::blocking::{self, BlockingPool};
use crate::time::driver::{TimeHandle, Unpark};

/// The driver stack a scheduler owns and parks.
#[derive(Debug)]
pub(crate) struct Driver {
    io: IoDriver,
    /// Reused buffer for timer wakers.
    timer_wakers: Vec<Waker>,
    /// How many times the driver was turned (tests check that a scheduler
    /// does not turn it more often than it should).
    #[cfg(test)]
    pub(crate) turns: u64,
}

/// The shared half of the driver stack.
#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) io: IoHandle,
    pub(crate) time: TimeHandle,
    /// The pool `spawn_blocking` (and `eddy::fs`) run on.
    pub(crate) blocking: BlockingPool,
}

impl Driver {
    pub(crate) fn new() -> io::Result<(Driver, Handle)> {
        let (io, io_handle) = IoDriver::new()?;
        let driver = Driver {
            io,
            timer_wakers: Vec::new(),
            #[cfg(test)]
            turns: 0,
        };
        let handle = Handle {
            io: io_handle,
            time: TimeHandle::new(),
            blocking: BlockingPool::new(
                blocking::DEFAULT_MAX_BLOCKING_THREADS,
                blocking::DEFAULT_KEEP_ALIVE,
                "eddy",
            ),
        };
        Ok((driver, handle))
    }

    /// Sleeps until an I/O event, a timer, or [`Handle::unpark`].
    pub(crate) fn park(&mut self, handle: &Handle) {
        self.turn(handle, None);
    }

    /// As [`park`](Self::park), for at most `timeout` (zero: just poll).
    pub(crate) fn park_timeout(&mut self, handle: &Handle, timeout: Duration) {
        self.turn(handle, Some(timeout));
    }

    fn turn(&mut self, handle: &Handle, timeout: Option<Duration>) {
        #[cfg(test)]
        {
            self.turns += 1;
        }
        let timeout = handle.time.prepare_park(timeout);
        self.io.turn(&handle.io, timeout);
        handle.time.process(&mut self.timer_wakers);
    }

    /// Fails every I/O resource and fires every timer, waking their tasks.
    pub(crate) fn shutdown(&mut self, handle: &Handle) {
        self.io.shutdown(&handle.io);
        handle.time.shutdown(&mut self.timer_wakers);
    }
}

impl Handle {
    /// Wakes the driver if it is parked (a write to its eventfd).
    pub(crate) fn unpark(&self) {
        self.io.unpark();
    }
}

impl Unpark for Handle {
    fn unpark(&self) {
        Handle::unpark(self);
    }
}
