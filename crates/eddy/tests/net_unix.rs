//! Unix domain socket scenarios: stream echo through a listener, pairs,
//! halves, datagrams.

use std::io;
use std::path::PathBuf;

use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::net::{UnixDatagram, UnixListener, UnixStream};

fn run<F: Future>(f: F) -> F::Output {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime")
        .block_on(f)
}

/// A fresh directory for this test's socket files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("eddy-net-unix-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn stream_echo_through_a_listener() {
    let dir = TempDir::new("echo");
    let path = dir.0.join("echo.sock");
    run(async {
        let listener = UnixListener::bind(&path)?;
        eddy::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                eddy::spawn(async move {
                    let (mut r, mut w) = conn.into_split();
                    eddy::io::copy(&mut r, &mut w).await
                });
            }
        });
        let mut stream = UnixStream::connect(&path).await?;
        stream.write_all(b"over a unix socket").await?;
        stream.close().await?;
        let mut back = String::new();
        stream.read_to_string(&mut back).await?;
        assert_eq!(back, "over a unix socket");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn connecting_to_a_missing_path_names_it() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("nobody-here.sock");
    let err = run(UnixStream::connect(&path)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("nobody-here.sock"), "{err}");
}

#[test]
fn pair_halves_from_two_tasks() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let (mut ar, mut aw) = a.into_split();
        let (mut br, mut bw) = b.into_split();
        let t1 = eddy::spawn(async move {
            aw.write_all(b"from a").await?;
            let mut buf = [0u8; 6];
            ar.read_exact(&mut buf).await?;
            Ok::<_, io::Error>(buf)
        });
        let t2 = eddy::spawn(async move {
            let mut buf = [0u8; 6];
            br.read_exact(&mut buf).await?;
            bw.write_all(b"from b").await?;
            Ok::<_, io::Error>(buf)
        });
        assert_eq!(&t1.await.expect("task a")?, b"from b");
        assert_eq!(&t2.await.expect("task b")?, b"from a");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn stream_try_io_and_readiness() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let mut buf = [0u8; 8];
        assert_eq!(
            b.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        a.writable().await?;
        a.try_write(b"abc")?;
        loop {
            b.readable().await?;
            match b.try_read(&mut buf) {
                Ok(n) => {
                    assert_eq!(&buf[..n], b"abc");
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn datagrams_between_bound_and_unbound_sockets() {
    let dir = TempDir::new("dgram");
    let server_path = dir.0.join("server.sock");
    let client_path = dir.0.join("client.sock");
    run(async {
        let server = UnixDatagram::bind(&server_path)?;
        let client = UnixDatagram::bind(&client_path)?;
        client.send_to(b"hello", &server_path).await?;
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        server.send_to(b"back", &client_path).await?;
        let n = client.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"back");

        let unbound = UnixDatagram::unbound()?;
        unbound.connect(&server_path)?;
        unbound.send(b"anon").await?;
        let (n, from) = server.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"anon");
        assert!(from.is_unnamed());

        let (p, q) = UnixDatagram::pair()?;
        p.send(b"pair").await?;
        let n = q.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"pair");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}
