//! may: stackful coroutines on one worker, one coroutine per connection
//! running [`super::blocking_handler`].
//!
//! may's `go!` wraps `coroutine::spawn`, which is unsafe because a
//! coroutine must not keep thread-local references across a switch; the
//! handler touches no thread-locals. Workers are not pinned by may (the
//! process is pinned by the harness).

use std::io;
use std::net::TcpListener as StdListener;
use std::os::fd::{FromRawFd, IntoRawFd};

use crate::protocol::Protocol;

/// Serves until the process exits.
pub fn serve(listener: StdListener, protocol: Protocol) -> io::Result<()> {
    may::config().set_workers(1).set_worker_pin(false);
    let fd = listener.into_raw_fd();
    // SAFETY: `fd` is an open listening socket we own (just released by
    // `into_raw_fd`), handed to exactly one owner.
    let listener = unsafe { may::net::TcpListener::from_raw_fd(fd) };
    let server = may::go!(move || -> io::Result<()> {
        for stream in listener.incoming() {
            let stream = stream?;
            stream.set_nodelay(true)?;
            may::go!(move || super::blocking_handler(stream, protocol));
        }
        Ok(())
    });
    server
        .join()
        .map_err(|_| io::Error::other("may accept coroutine panicked"))?
}
