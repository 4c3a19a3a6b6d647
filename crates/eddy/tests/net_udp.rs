//! UDP scenarios: datagrams both ways, connected sockets, readiness and
//! `try_*`.

use std::io;

use eddy::net::UdpSocket;

fn run<F: Future>(f: F) -> F::Output {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime")
        .block_on(f)
}

#[test]
fn datagrams_flow_both_ways() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind(("127.0.0.1", 0)).await?;
        let mut buf = [0u8; 32];
        a.send_to(b"ping", b.local_addr()?).await?;
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
        b.send_to(b"pong", from).await?;
        let (n, from) = a.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"pong"[..], b.local_addr()?));
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn a_receiver_task_wakes_when_a_datagram_arrives() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let b_addr = b.local_addr()?;
        let receiver = eddy::spawn(async move {
            let mut buf = [0u8; 8];
            let n = b.recv(&mut buf).await?;
            Ok::<_, io::Error>(buf[..n].to_vec())
        });
        // Let the receiver park before anything is sent.
        eddy::task::yield_now().await;
        a.send_to(b"late", b_addr).await?;
        assert_eq!(receiver.await.expect("receiver task")?, b"late");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn connected_sockets_send_and_recv() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        a.connect(b.local_addr()?).await?;
        b.connect(a.local_addr()?).await?;
        assert_eq!(a.peer_addr()?, b.local_addr()?);
        a.send(b"one").await?;
        let mut buf = [0u8; 8];
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"one");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn try_recv_would_block_until_readable() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let mut buf = [0u8; 8];
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        a.writable().await?;
        a.try_send_to(b"x", b.local_addr()?)?;
        loop {
            b.readable().await?;
            match b.try_recv_from(&mut buf) {
                Ok((n, from)) => {
                    assert_eq!((n, from), (1, a.local_addr()?));
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
        a.connect(b.local_addr()?).await?;
        a.try_send(b"y")?;
        b.readable().await?;
        let (n, _) = b.peek_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"y");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn std_conversions_and_bad_targets() {
    run(async {
        let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
        let addr = socket.local_addr()?;
        let err = socket.send_to(b"x", "no-port").await.unwrap_err();
        assert!(err.to_string().contains("no-port"), "{err}");
        let back = socket.into_std()?;
        assert_eq!(back.local_addr()?, addr);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}
