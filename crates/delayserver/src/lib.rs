//! delayserver: an HTTP/1.1 server that answers `GET /{delay_ms}/{message}`
//! with `message` after `delay_ms` milliseconds, on one thread.
//!
//! It exists to make waiting visible: a client that sends five requests
//! with different delays sees the answers arrive in delay order, which is
//! what the book's examples of non-blocking I/O need. It is also the first
//! real program on [`eddy_poll`]'s event queue: one thread, edge-triggered
//! readiness, a timer heap for the delays, and bounded memory per client.
//!
//! # Map of the crate
//!
//! * [`Server`] / [`ServerHandle`] (`server`): bind, configure, run here or
//!   on a thread of its own, shut down.
//! * `event_loop`: the loop: poll, accept (with a back-off when out of
//!   descriptors), dispatch events, expire timers.
//! * `connection`: one client's state machine: read, parse, queue until
//!   due, write in order, linger on close; its buffers are bounded.
//! * `request`: parsing and routing with `httparse`; `response`: status
//!   codes and serialisation, with a once-a-second `Date` cache.
//! * `timers`: the heap of `(deadline, connection)` entries, tolerant of
//!   stale ones; `slab`: connections by token.
//! * `log`: the `#{n} - {delay_ms}ms: {message}` request log.
//! * The `delayserver` binary (`src/main.rs`, `src/cli.rs`) wraps it all in
//!   a command line.
//!
//! # Behaviour
//!
//! | request | answer |
//! |---|---|
//! | `GET /{delay_ms}/{message}` | after `delay_ms` ms: `200 OK`, `text/plain; charset=utf-8`, body = `message` percent-decoded |
//! | `HEAD /{delay_ms}/{message}` | the same headers (with `Content-Length`), no body |
//! | delay over the cap (default 60 000 ms) | `400` |
//! | message not UTF-8 after decoding | `400` |
//! | other path shape, non-numeric delay | `404` |
//! | other method | `405` with `Allow: GET, HEAD` |
//! | head over 8 KiB or 64 headers | `431`, then close |
//! | unparseable request, `Transfer-Encoding`, bad `Content-Length` | `400`, then close |
//!
//! HTTP/1.1 connections stay open unless the client sends `Connection:
//! close`; HTTP/1.0 ones close unless it sends `Connection: keep-alive`.
//! Pipelined requests are answered in order, each after its own delay
//! counted from when it was parsed. A `Content-Length` body is read and
//! discarded. The query string is ignored.
//!
//! Each request answered `200` (GET or HEAD) is logged when parsed as
//! `#{n} - {delay_ms}ms: {message}`, n counting from 1, to standard output
//! or [`Server::log_to`]'s writer, unless [`Server::quiet`].
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//!
//! let handle = delayserver::Server::bind("127.0.0.1:0".parse().unwrap())?
//!     .quiet(true)
//!     .spawn();
//! let mut client = std::net::TcpStream::connect(handle.local_addr())?;
//! let start = std::time::Instant::now();
//! client.write_all(b"GET /50/hi HTTP/1.0\r\n\r\n")?;
//! let mut response = String::new();
//! client.read_to_string(&mut response)?;
//! assert!(start.elapsed() >= std::time::Duration::from_millis(50));
//! assert!(response.ends_with("\r\n\r\nhi"));
//! handle.shutdown()?;
//! # Ok::<(), std::io::Error>(())
//! ```
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]
#![forbid(unsafe_code)]

mod connection;
mod event_loop;
mod log;
mod request;
mod response;
mod server;
mod slab;
mod timers;

pub use request::MAX_HEAD_BYTES;
pub use server::{DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_DELAY, Server, ServerHandle};
