//! tokio: one task per connection running [`async_handler!`](crate::async_handler!), on the
//! current_thread scheduler or the multi_thread one with two workers.

use std::io;
use std::net::TcpListener as StdListener;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::protocol::Protocol;

/// Serves until the process exits.
pub fn serve(listener: StdListener, protocol: Protocol, multi_thread: bool) -> io::Result<()> {
    let runtime = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(super::mt_workers())
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    listener.set_nonblocking(true)?;
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener)?;
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(handle(stream, protocol));
        }
    })
}

async fn handle(stream: TcpStream, protocol: Protocol) {
    crate::async_handler!(stream, protocol)
}
