//! eddy, the futures runtime: one task per connection running
//! [`async_handler!`](crate::async_handler!), on the current-thread scheduler or the multi-thread
//! one with two workers.

use std::io;
use std::net::TcpListener as StdListener;

use eddy::net::{TcpListener, TcpStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use crate::protocol::Protocol;

/// Builds the runtime a row runs on.
pub fn runtime(multi_thread: bool) -> io::Result<eddy::runtime::Runtime> {
    if multi_thread {
        eddy::runtime::Builder::new_multi_thread()
            .worker_threads(super::mt_workers())
            .build()
    } else {
        eddy::runtime::Builder::new_current_thread().build()
    }
}

/// Serves until the process exits.
pub fn serve(listener: StdListener, protocol: Protocol, multi_thread: bool) -> io::Result<()> {
    let runtime = runtime(multi_thread)?;
    listener.set_nonblocking(true)?;
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener)?;
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            eddy::spawn(handle(stream, protocol));
        }
    })
}

async fn handle(stream: TcpStream, protocol: Protocol) {
    crate::async_handler!(stream, protocol)
}
