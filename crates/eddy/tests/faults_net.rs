//! Network faults: refused connects, resets, writes to closed peers (and no
//! `SIGPIPE`), aborting a task in the middle of a read.

use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::net::{TcpListener, TcpStream, UnixStream};

fn run<F: Future>(f: F) -> F::Output {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime")
        .block_on(f)
}

/// A connected TCP pair (client, server side).
async fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    Ok((client, server))
}

/// Makes closing `fd` send a RST instead of a FIN (`SO_LINGER` with 0 s).
fn set_linger_zero(fd: &impl AsRawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `linger` lives for the call and the length is its size.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "setsockopt(SO_LINGER): {}",
        io::Error::last_os_error()
    );
}

#[test]
fn connecting_to_a_closed_port_fails_fast() {
    // Find a port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let start = Instant::now();
    let err = run(TcpStream::connect(("127.0.0.1", port))).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    assert!(err.to_string().contains(&port.to_string()), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn reading_after_the_peer_resets_is_an_error() {
    run(async {
        let (mut client, server) = tcp_pair().await?;
        set_linger_zero(&server);
        drop(server);
        let mut buf = [0u8; 16];
        let err = client.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

/// Writes until the kernel reports the closed peer.
async fn write_until_error(mut w: impl eddy::io::AsyncWrite + Unpin) -> io::Error {
    let chunk = [0u8; 16 * 1024];
    for _ in 0..10_000 {
        if let Err(e) = w.write_all(&chunk).await {
            return e;
        }
    }
    panic!("writing to a closed peer never failed");
}

#[test]
fn writing_to_a_closed_tcp_peer_is_broken_pipe() {
    run(async {
        let (client, server) = tcp_pair().await?;
        drop(server);
        let err = write_until_error(client).await;
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{err}"
        );
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn writing_to_a_closed_unix_peer_is_broken_pipe() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        drop(b);
        let err = write_until_error(a).await;
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

/// Rust's start-up code ignores `SIGPIPE`, which hides writes that would
/// raise it. This test re-runs itself in a child process that restores the
/// default action (terminate) and writes to closed TCP and Unix peers there.
#[test]
fn closed_peer_writes_never_raise_sigpipe() {
    const CHILD: &str = "EDDY_SIGPIPE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        // SAFETY: restoring the default disposition of SIGPIPE in this
        // single-purpose child process.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
        run(async {
            let (a, b) = UnixStream::pair()?;
            drop(b);
            let unix = write_until_error(a).await;
            let (client, server) = tcp_pair().await?;
            drop(server);
            let tcp = write_until_error(client).await;
            println!(
                "child survived: unix={:?} tcp={:?}",
                unix.kind(),
                tcp.kind()
            );
            Ok::<(), io::Error>(())
        })
        .unwrap();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "closed_peer_writes_never_raise_sigpipe",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("child survived"),
        "child died: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn aborting_a_task_mid_read_closes_its_socket() {
    run(async {
        let (mut client, server) = tcp_pair().await?;
        let reader = eddy::spawn(async move {
            let mut server = server;
            let mut buf = [0u8; 16];
            server.read(&mut buf).await
        });
        // Let the reader park in its read.
        for _ in 0..3 {
            eddy::task::yield_now().await;
        }
        assert!(!reader.is_finished());
        reader.abort();
        let err = reader.await.unwrap_err();
        assert!(err.is_cancelled());
        // The aborted task's socket was dropped (deregistered and closed):
        // the peer sees end-of-file instead of waiting forever.
        let mut buf = [0u8; 16];
        let n = eddy::time::timeout(Duration::from_secs(10), client.read(&mut buf))
            .await
            .expect("peer should see EOF, not hang")?;
        assert_eq!(n, 0);
        client.write_all(b"x").await.ok();
        Ok::<(), io::Error>(())
    })
    .unwrap();
}
