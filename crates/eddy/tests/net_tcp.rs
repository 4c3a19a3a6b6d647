//! TCP scenarios: echo, halves used concurrently, readiness and `try_*`,
//! conversions to and from `std`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::net::{TcpListener, TcpStream};

fn run<F: Future>(f: F) -> F::Output {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime")
        .block_on(f)
}

/// A server that echoes every connection until EOF, one task per connection.
async fn echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    eddy::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            eddy::spawn(async move {
                let (mut r, mut w) = conn.into_split();
                eddy::io::copy(&mut r, &mut w).await
            });
        }
    });
    Ok(addr)
}

#[test]
fn echo_round_trips_and_sees_eof_after_close() {
    run(async {
        let addr = echo_server().await?;
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        assert!(stream.nodelay()?);
        assert_eq!(stream.peer_addr()?, addr);
        let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        // Write and read concurrently: the payload is bigger than the socket buffers.
        let (mut r, mut w) = stream.split();
        let writer = async {
            w.write_all(&payload).await?;
            w.close().await
        };
        let mut back = Vec::new();
        let reader = r.read_to_end(&mut back);
        let (wrote, read) = futures_lite::future::zip(writer, reader).await;
        wrote?;
        assert_eq!(read?, payload.len());
        assert_eq!(back, payload);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn many_clients_are_served_concurrently() {
    run(async {
        let addr = echo_server().await?;
        let mut clients = Vec::new();
        for i in 0..50u32 {
            clients.push(eddy::spawn(async move {
                let mut s = TcpStream::connect(addr).await?;
                let msg = format!("client {i}");
                s.write_all(msg.as_bytes()).await?;
                let mut buf = vec![0u8; msg.len()];
                s.read_exact(&mut buf).await?;
                assert_eq!(buf, msg.as_bytes());
                Ok::<(), io::Error>(())
            }));
        }
        for c in clients {
            c.await.expect("client task")?;
        }
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn owned_halves_work_from_two_tasks_and_reunite() {
    run(async {
        let addr = echo_server().await?;
        let stream = TcpStream::connect(addr).await?;
        let local = stream.local_addr()?;
        let (mut r, mut w) = stream.into_split();
        let reader = eddy::spawn(async move {
            let mut buf = [0u8; 10];
            r.read_exact(&mut buf).await?;
            Ok::<_, io::Error>((r, buf))
        });
        let writer = eddy::spawn(async move {
            for chunk in [&b"01234"[..], b"56789"] {
                w.write_all(chunk).await?;
                eddy::task::yield_now().await;
            }
            Ok::<_, io::Error>(w)
        });
        let w = writer.await.expect("writer task")?;
        let (r, buf) = reader.await.expect("reader task")?;
        assert_eq!(&buf, b"0123456789");
        assert_eq!(r.as_ref().local_addr()?, local);
        let stream = r.reunite(w).expect("same stream");
        assert_eq!(stream.local_addr()?, local);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn reuniting_halves_of_different_streams_fails() {
    run(async {
        let addr = echo_server().await?;
        let (r1, _w1) = TcpStream::connect(addr).await?.into_split();
        let (_r2, w2) = TcpStream::connect(addr).await?.into_split();
        let err = r1.reunite(w2).unwrap_err();
        assert!(err.to_string().contains("not from the same stream"));
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn dropping_the_owned_write_half_sends_eof() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        let (_r, w) = client.into_split();
        drop(w);
        let mut rest = Vec::new();
        assert_eq!(server.read_to_end(&mut rest).await?, 0);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn readable_writable_and_try_io() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        let mut buf = [0u8; 64];
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

        client.writable().await?;
        assert_eq!(client.try_write(b"hello")?, 5);
        let bufs = [io::IoSlice::new(b" "), io::IoSlice::new(b"world")];
        assert_eq!(client.try_write_vectored(&bufs)?, 6);

        let mut got = Vec::new();
        while got.len() < 11 {
            server.readable().await?;
            match server.try_read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
        assert_eq!(got, b"hello world");

        // peek waits for data and leaves it queued.
        client.try_write(b"xy")?;
        assert_eq!(server.peek(&mut buf).await?, 2);
        let (mut a, mut b) = ([0u8; 1], [0u8; 1]);
        let mut slices = [io::IoSliceMut::new(&mut a), io::IoSliceMut::new(&mut b)];
        assert_eq!(server.try_read_vectored(&mut slices)?, 2);
        assert_eq!((a, b), ([b'x'], [b'y']));
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn one_stream_read_and_written_from_two_tasks_by_reference() {
    run(async {
        let addr = echo_server().await?;
        let stream = Arc::new(TcpStream::connect(addr).await?);
        let reader = {
            let stream = stream.clone();
            eddy::spawn(async move {
                let mut buf = vec![0u8; 3000];
                (&*stream).read_exact(&mut buf).await?;
                Ok::<_, io::Error>(buf)
            })
        };
        for _ in 0..3 {
            (&*stream).write_all(&[7u8; 1000]).await?;
        }
        let buf = reader.await.expect("reader task")?;
        assert!(buf.iter().all(|&b| b == 7));
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn std_conversions_keep_the_connection() {
    run(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let listener = TcpListener::from_std(std_listener)?;
        let addr = listener.local_addr()?;
        let std_client = std::net::TcpStream::connect(addr)?;
        let mut client = TcpStream::from_std(std_client)?;
        let (server, _) = listener.accept().await?;
        client.write_all(b"abc").await?;
        let mut std_server = server.into_std()?;
        std_server.set_nonblocking(false)?;
        let mut buf = [0u8; 3];
        io::Read::read_exact(&mut std_server, &mut buf)?;
        assert_eq!(&buf, b"abc");
        let std_listener = listener.into_std()?;
        assert_eq!(std_listener.local_addr()?, addr);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn bind_errors_name_the_address() {
    run(async {
        let first = TcpListener::bind("127.0.0.1:0").await?;
        let taken = first.local_addr()?;
        // A second listener on the same port (SO_REUSEADDR does not allow two listeners).
        let err = TcpListener::bind(taken).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert!(err.to_string().contains(&taken.to_string()), "{err}");
        let err = TcpListener::bind("not an address").await.unwrap_err();
        assert!(err.to_string().contains("not an address"), "{err}");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn bind_tries_each_address_until_one_works() {
    run(async {
        let first = TcpListener::bind("127.0.0.1:0").await?;
        let taken = first.local_addr()?;
        let free: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let second = TcpListener::bind(&[taken, free][..]).await?;
        assert_ne!(second.local_addr()?, taken);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}
