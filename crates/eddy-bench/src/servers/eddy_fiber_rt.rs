//! eddy-fiber: one fiber per connection running
//! [`super::blocking_handler`], on one thread.

use std::io;
use std::net::TcpListener as StdListener;

use eddy_fiber::net::TcpListener;

use crate::protocol::Protocol;

/// Serves until the process exits.
pub fn serve(listener: StdListener, protocol: Protocol) -> io::Result<()> {
    let runtime = eddy_fiber::Runtime::new()?;
    runtime.block_on(move || -> io::Result<()> {
        let listener = TcpListener::from_std(listener)?;
        loop {
            let (stream, _) = listener.accept()?;
            stream.set_nodelay(true)?;
            eddy_fiber::spawn(move || super::blocking_handler(stream, protocol));
        }
    })
}
