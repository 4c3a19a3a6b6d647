//! TCP with Node's `net` API: [`create_server`] and [`connect`], whose
//! [`Socket`]s emit `data`, `end`, `drain`, `error` and `close`.
//!
//! ```
//! use eddy_node::net;
//! eddy_node::run(|| {
//!     let server = net::create_server(|socket| {
//!         let s = socket.clone();
//!         socket.on_data(move |chunk| { s.end(chunk); }); // echo once, then end
//!     });
//!     let srv = server.clone();
//!     server.listen("127.0.0.1:0", move |addr| {
//!         let client = net::connect(&addr.unwrap().to_string());
//!         client.on_connect({ let c = client.clone(); move || { c.write("hi"); } });
//!         client.on_data(|chunk| assert_eq!(chunk, b"hi"));
//!         client.on_close(move |_| srv.close(|| {}));
//!     });
//! })?;
//! # Ok::<(), eddy_node::Error>(())
//! ```

use std::net::{SocketAddr, ToSocketAddrs};
use std::panic::Location;

use eddy_poll::net::TcpStream;

use crate::Error;
use crate::callback::Callback;
use crate::r#loop::with_current;

mod server;
mod socket;

pub use server::Server;
pub use socket::{DEFAULT_HIGH_WATER_MARK, Socket};

/// Resolves `host:port` (numeric addresses directly, names through the
/// system resolver; call [`crate::dns::lookup`] first to keep name
/// resolution off the loop thread).
pub(crate) fn resolve(addr: &str, syscall: &'static str) -> Result<SocketAddr, Error> {
    if let Ok(parsed) = addr.parse() {
        return Ok(parsed);
    }
    addr.to_socket_addrs()
        .map_err(|e| Error::from_io_addr(e, syscall, addr.to_owned()))?
        .next()
        .ok_or_else(|| Error::new("ENOTFOUND", format!("getaddrinfo ENOTFOUND {addr}")))
}

/// A TCP server calling `on_connection` for each accepted socket (Node's
/// `net.createServer`). Start it with [`Server::listen`].
#[track_caller]
pub fn create_server(on_connection: impl FnMut(Socket) + 'static) -> Server {
    Server::new(on_connection, Location::caller())
}

/// Connects to `addr` (`"host:port"`). The socket emits `connect` when
/// established, or `error` then `close` if that fails (never synchronously).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn connect(addr: &str) -> Socket {
    let site = Location::caller();
    with_current(|lp| {
        let connected = resolve(addr, "connect").and_then(|target| {
            let stream = TcpStream::connect(target)
                .map_err(|e| Error::from_io_addr(e, "connect", target.to_string()))?;
            let socket = Socket::open(lp, stream, true, None)?;
            socket.set_peer(target);
            Ok(socket)
        });
        match connected {
            Ok(socket) => socket,
            Err(error) => {
                // A socket that reports the error on the next loop turn.
                let socket = Socket::detached();
                let s = socket.clone();
                lp.pending
                    .borrow_mut()
                    .push_back(Callback::new(site, move || s.fail_detached(error)));
                socket
            }
        }
    })
}
