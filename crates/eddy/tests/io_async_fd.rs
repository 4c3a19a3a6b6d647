//! `eddy::io::unix::AsyncFd`: readiness of raw descriptors (pipes, socket
//! pairs) in the reactor, `try_io` clearing readiness on `WouldBlock`,
//! deregistration on drop and `into_inner`, on both runtime flavors.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

use eddy::io::Interest;
use eddy::io::unix::AsyncFd;
use eddy::runtime::{Builder, Runtime};
use futures_lite::future::poll_once;

fn runtimes() -> Vec<(&'static str, Runtime)> {
    let mut rts = vec![(
        "current_thread",
        Builder::new_current_thread().build().unwrap(),
    )];
    if let Ok(rt) = Builder::new_multi_thread().worker_threads(2).build() {
        rts.push(("multi_thread", rt));
    }
    rts
}

/// A descriptor number without ownership, so the test keeps the socket.
#[derive(Debug)]
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor this test owns; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0);
    // SAFETY: as above.
    assert_eq!(
        unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) },
        0
    );
}

/// Reads once `fd` is readable, retrying on `WouldBlock`.
async fn read_some<T: AsRawFd>(fd: &AsyncFd<T>, buf: &mut [u8]) -> io::Result<usize>
where
    for<'a> &'a T: Read,
{
    loop {
        let mut guard = fd.readable().await?;
        if let Ok(result) = guard.try_io(|fd| fd.get_ref().read(buf)) {
            return result;
        }
    }
}

#[test]
fn pipe_becomes_readable_when_written_from_another_task() {
    for (flavor, rt) in runtimes() {
        let got = rt.block_on(async {
            let (reader, mut writer) = io::pipe().unwrap();
            set_nonblocking(reader.as_raw_fd());
            let reader = AsyncFd::with_interest(reader, Interest::READABLE).unwrap();
            let writer_task = eddy::spawn(async move {
                eddy::task::yield_now().await;
                writer.write_all(b"through the pipe").unwrap();
            });
            let mut buf = [0u8; 64];
            let mut got = Vec::new();
            while got.len() < 16 {
                let n = poll_fn(|cx| reader.poll_read_ready(cx))
                    .await
                    .map(|mut g| g.try_io(|fd| fd.get_ref().read(&mut buf)));
                match n.unwrap() {
                    Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                    Ok(Err(e)) => panic!("{flavor}: read failed: {e}"),
                    Err(_would_block) => {}
                }
            }
            writer_task.await.unwrap();
            got
        });
        assert_eq!(got, b"through the pipe", "{flavor}");
    }
}

#[test]
fn try_io_clears_readiness_only_on_would_block() {
    for (flavor, rt) in runtimes() {
        rt.block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            b.set_nonblocking(true).unwrap();
            let b = AsyncFd::new(b).unwrap();
            a.write_all(b"x").unwrap();

            let mut buf = [0u8; 8];
            assert_eq!(read_some(&b, &mut buf).await.unwrap(), 1);
            // The successful read did not clear: the next wait is immediate,
            // and the read then reports WouldBlock, which clears.
            let mut guard = poll_once(b.readable())
                .await
                .expect("readiness is kept after a successful read")
                .unwrap();
            assert!(guard.is_readable());
            assert!(
                guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err(),
                "{flavor}"
            );
            assert!(
                poll_once(b.readable()).await.is_none(),
                "{flavor}: readiness was cleared by WouldBlock"
            );
            // New data makes it ready again.
            a.write_all(b"yz").unwrap();
            assert_eq!(read_some(&b, &mut buf).await.unwrap(), 2);
            assert_eq!(&buf[..2], b"yz");
        });
    }
}

#[test]
fn clear_ready_makes_the_next_wait_sleep() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let b = AsyncFd::new(b).unwrap();
        a.write_all(b"x").unwrap();
        let mut guard = b.readable().await.unwrap();
        guard.clear_ready();
        assert!(poll_once(b.readable()).await.is_none());
        a.write_all(b"y").unwrap();
        let guard = b.readable().await.unwrap();
        assert!(guard.is_readable());
    });
}

#[test]
fn writable_and_read_closed_are_reported() {
    for (flavor, rt) in runtimes() {
        rt.block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            b.set_nonblocking(true).unwrap();
            let b = AsyncFd::new(b).unwrap();
            let guard = b.writable().await.unwrap();
            assert!(guard.is_writable(), "{flavor}");
            drop(a);
            let guard = b.readable().await.unwrap();
            assert!(guard.is_read_closed(), "{flavor}");
            let mut buf = [0u8; 4];
            assert_eq!(b.get_ref().read(&mut buf).unwrap(), 0);
        });
    }
}

#[test]
fn drop_and_into_inner_deregister_the_descriptor() {
    for (flavor, rt) in runtimes() {
        rt.block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            b.set_nonblocking(true).unwrap();
            let fd = b.as_raw_fd();
            // Registering the same descriptor twice is an error, so each
            // success below proves the previous registration was removed.
            let first = AsyncFd::new(Borrowed(fd)).unwrap();
            let err = AsyncFd::new(Borrowed(fd)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{flavor}: {err}");
            assert!(err.to_string().contains(&format!("fd {fd}")), "{err}");
            drop(first);

            let second = AsyncFd::new(Borrowed(fd)).unwrap();
            let inner = second.into_inner();
            assert_eq!(inner.as_raw_fd(), fd);

            let third = AsyncFd::new(b).unwrap();
            a.write_all(b"!").unwrap();
            let mut buf = [0u8; 1];
            assert_eq!(read_some(&third, &mut buf).await.unwrap(), 1);
            let b = third.into_inner();
            assert_eq!(b.as_raw_fd(), fd, "into_inner returns the same socket");
        });
    }
}

#[test]
fn new_outside_a_runtime_is_a_clear_error() {
    let (a, _b) = UnixStream::pair().unwrap();
    let err = AsyncFd::new(a).unwrap_err();
    assert!(err.to_string().contains("no eddy runtime"), "{err}");
}
