//! The floor: a hand-written readiness loop on mio, one thread, edge-
//! triggered, one [`LoopConn`] per connection.

use std::io::{self, ErrorKind};
use std::net::TcpListener as StdListener;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::LoopConn;
use crate::protocol::Protocol;

const LISTENER: Token = Token(usize::MAX);

/// Serves until the process exits.
pub fn serve(listener: StdListener, protocol: Protocol) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = TcpListener::from_std(listener);
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns: Vec<Option<LoopConn<TcpStream>>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            // mio passes EINTR up (valgrind's callgrind_control signals us).
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            stream.set_nodelay(true)?;
                            let slot = free.pop().unwrap_or_else(|| {
                                conns.push(None);
                                conns.len() - 1
                            });
                            poll.registry().register(
                                &mut stream,
                                Token(slot),
                                Interest::READABLE.add(Interest::WRITABLE),
                            )?;
                            conns[slot] = Some(LoopConn::new(stream));
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let slot = event.token().0;
            let Some(Some(conn)) = conns.get_mut(slot) else {
                continue;
            };
            if !conn.on_ready(protocol) {
                if let Some(mut conn) = conns[slot].take() {
                    let _ = poll.registry().deregister(&mut conn.stream);
                }
                free.push(slot);
            }
        }
    }
}
