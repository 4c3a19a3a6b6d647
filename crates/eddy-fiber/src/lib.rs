//! eddy-fiber: stackful green threads with their own context switch, on the
//! eddy-poll event queue.
//!
//! A fiber is a function with its own stack. It runs until it would block
//! (waiting for a socket, a timer, a channel, another fiber) and then
//! *switches* to another fiber by saving a handful of CPU registers and
//! loading another stack pointer. Code in a fiber is plain blocking code,
//! with no `async` and no `.await`, yet thousands of fibers share one thread.
//!
//! # Map of the crate
//!
//! * [`Runtime`] / [`RuntimeBuilder`]: the scheduler of one thread;
//!   [`Runtime::block_on`] runs it until a closure's fiber finishes.
//! * [`spawn`], [`Builder`], [`JoinHandle`], [`JoinError`]: starting fibers
//!   and waiting for them; [`yield_now`], [`sleep`], [`current`].
//! * [`net`]: TCP and UDP sockets whose blocking calls park only the fiber.
//! * [`sync`]: a channel and a mutex that park fibers, not threads.
//! * [`block_on_future`]: waits for a `Future` from a fiber.
//! * [`spawn_on`] / [`try_spawn_on`]: fibers as tasks of an eddy current-thread runtime,
//!   sharing its reactor and thread with futures (see below).
//! * [`stack`]: guarded, lazily committed stacks and the pool reusing them.
//! * Private: `arch` (the context switch, one file per CPU), `scheduler`
//!   (run queue, parking, shutdown), `driver` (the event queue), `timer`,
//!   `overflow` (the stack overflow report), `sys` (the OS calls).
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use eddy_fiber::net::{TcpListener, TcpStream};
//!
//! let rt = eddy_fiber::Runtime::new()?;
//! let reply = rt.block_on(|| {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     eddy_fiber::spawn(move || {
//!         // One fiber per connection, written as blocking code.
//!         let (mut conn, _) = listener.accept().unwrap();
//!         let mut buf = [0; 5];
//!         conn.read_exact(&mut buf).unwrap();
//!         conn.write_all(&buf).unwrap();
//!     });
//!     let mut client = TcpStream::connect(addr).unwrap();
//!     client.write_all(b"hello").unwrap();
//!     let mut reply = [0; 5];
//!     client.read_exact(&mut reply).unwrap();
//!     reply
//! });
//! assert_eq!(&reply, b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # With the eddy runtime
//!
//! [`spawn_on`] runs fibers inside an eddy current-thread runtime: one eddy
//! task per thread drives the fiber scheduler, whose event queue nests in
//! eddy's reactor (an `eddy::io::unix::AsyncFd`) and whose timers are eddy
//! timers. Fibers and futures then share one thread and one reactor: a
//! fiber's blocking-style `read` and a future's `.await` wait in the same
//! `epoll_wait`. From async code, `fiber_handle.await` waits for a fiber
//! (`Err(JoinError)` if it panicked); inside a fiber,
//! [`block_on_future`] runs an eddy future, parking only that fiber. The
//! fibers run in batches between the runtime's other tasks, so neither side
//! starves the other; dropping the eddy runtime cancels the fibers left.
//!
//! ```
//! let rt = eddy::runtime::Builder::new_current_thread().build()?;
//! rt.block_on(async {
//!     let handle = eddy::runtime::Handle::current();
//!     let fiber = eddy_fiber::spawn_on(&handle, || {
//!         // Blocking style in the fiber, awaiting an eddy timer.
//!         eddy_fiber::block_on_future(eddy::time::sleep(std::time::Duration::from_millis(1)));
//!         std::thread::current().id()
//!     });
//!     assert_eq!(fiber.await.unwrap(), std::thread::current().id());
//! });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Guarantees
//!
//! * Each fiber starts with the default floating-point environment and
//!   keeps its own (the switch saves MXCSR / the x87 control word, or FPCR),
//!   unless the runtime was built with
//!   [`RuntimeBuilder::preserve_fp_control`]`(false)`.
//! * A stack overflow hits a guard page and is reported on stderr as
//!   `fiber stack overflow` with the fiber's name, then the process aborts.
//! * A panic in a fiber is caught at its base and returned by
//!   [`JoinHandle::join`]; it never unwinds through the context switch.
//! * Fibers never move between threads (`Runtime` and `JoinHandle` are not
//!   `Send`).
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

#[macro_use]
mod sys;

mod arch;
mod driver;
mod eddy_integration;
mod fiber;
mod future;
pub mod net;
mod overflow;
#[doc(hidden)]
pub mod raw_switch;
mod runtime;
mod scheduler;
mod slab;
pub mod stack;
pub mod sync;
mod timer;

pub use eddy_integration::{spawn_on, try_spawn_on};
pub use fiber::{Fiber, FiberId, JoinError, JoinHandle};
pub use future::block_on_future;
pub use runtime::{
    Builder, Runtime, RuntimeBuilder, current, sleep, spawn, try_current, yield_now,
};
