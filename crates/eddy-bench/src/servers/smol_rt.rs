//! smol: a `LocalExecutor` on async-io's reactor, one task per connection
//! running [`async_handler!`](crate::async_handler!).

use std::io;
use std::net::{TcpListener, TcpStream};

use async_executor::LocalExecutor;
use async_io::Async;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use crate::protocol::Protocol;

/// Serves until the process exits.
pub fn serve(listener: TcpListener, protocol: Protocol) -> io::Result<()> {
    let executor = LocalExecutor::new();
    let listener = Async::new(listener)?;
    async_io::block_on(executor.run(async {
        loop {
            let (stream, _) = listener.accept().await?;
            stream.get_ref().set_nodelay(true)?;
            executor.spawn(handle(stream, protocol)).detach();
        }
    }))
}

async fn handle(stream: Async<TcpStream>, protocol: Protocol) {
    crate::async_handler!(stream, protocol)
}
