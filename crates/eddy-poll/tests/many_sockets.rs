//! Ten thousand sockets registered with one poll at once: every one of
//! them is reported, exactly once, when it becomes readable.

mod util;

use std::collections::HashSet;
use std::io::ErrorKind;

use eddy_poll::net::UdpSocket;
use eddy_poll::{Events, Interest, Token};
use util::{any_local_address, expect_no_events, new_poll, raise_open_files_limit};

const SOCKETS: usize = 10_000;

#[test]
fn ten_thousand_registered_sockets_are_each_reported_once() {
    // The sockets, the sender, the poll and the harness's own descriptors.
    if let Err(why) = raise_open_files_limit(SOCKETS as u64 + 256) {
        println!("skipping ten_thousand_registered_sockets_are_each_reported_once: {why}");
        return;
    }
    let (mut poll, _) = new_poll();
    let mut events = Events::with_capacity(1024);
    let mut sockets: Vec<UdpSocket> = (0..SOCKETS)
        .map(|_| UdpSocket::bind(any_local_address()).unwrap())
        .collect();
    for (i, socket) in sockets.iter_mut().enumerate() {
        poll.registry()
            .register(socket, Token(i), Interest::READABLE)
            .unwrap();
    }

    let sender = UdpSocket::bind(any_local_address()).unwrap();
    for (i, socket) in sockets.iter().enumerate() {
        let to = socket.local_addr().unwrap();
        let payload = (i as u32).to_le_bytes();
        util::retry_would_block(|| sender.send_to(&payload, to));
    }

    let mut seen = HashSet::with_capacity(SOCKETS);
    while seen.len() < SOCKETS {
        poll.poll(&mut events, Some(util::PATIENCE)).unwrap();
        assert!(
            !events.is_empty(),
            "timed out with {} of {SOCKETS}",
            seen.len()
        );
        for event in &events {
            assert!(event.is_readable());
            let i = event.token().0;
            assert!(seen.insert(i), "socket {i} reported twice");
            // Drain it, checking the datagram went where the token says.
            let mut buf = [0u8; 4];
            assert_eq!(sockets[i].recv(&mut buf).unwrap(), 4);
            assert_eq!(u32::from_le_bytes(buf) as usize, i);
            assert_eq!(
                sockets[i].recv(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
        }
    }
    expect_no_events(&mut poll, &mut events);
}
