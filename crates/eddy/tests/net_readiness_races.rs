//! Lost-wakeup scenarios for the I/O readiness protocol on real sockets: a
//! read that drains the socket clears the readiness (the edge-triggered
//! shortcut), and the next byte can arrive at any moment around that clear,
//! the waker registration and the re-poll. Each round trip below depends on
//! the reader being woken for the next byte; a lost wakeup hangs a round,
//! which the timeout turns into a failure. The interleavings themselves are
//! model-checked in `tests/loom_io.rs`.

use std::io::{Read, Write};
use std::time::Duration;

use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::net::UnixStream;

/// Round trips per scenario: enough for the peer's write to land in every
/// phase of the reader's poll many times over, quick in a debug build.
const ROUNDS: usize = 3_000;

/// Far above the whole scenario's expected time (well under a second); only
/// a hang reaches it.
const HANG: Duration = Duration::from_secs(60);

fn run<F: Future>(f: F) -> F::Output {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime")
        .block_on(f)
}

/// The peer, on its own OS thread with a blocking socket: writes one byte,
/// waits for the echo, `ROUNDS` times.
fn blocking_peer(mut peer: std::os::unix::net::UnixStream) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut echo = [0u8; 1];
        for i in 0..ROUNDS {
            peer.write_all(&[i as u8]).expect("peer write");
            peer.read_exact(&mut echo).expect("peer read");
            assert_eq!(echo[0], i as u8, "echo of round {i}");
        }
    })
}

#[test]
fn short_reads_clear_readiness_without_losing_the_next_byte() {
    let (ours, peer) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let peer = blocking_peer(peer);
    run(async move {
        let mut stream = UnixStream::from_std(ours).expect("register");
        let echo_all = async {
            // A buffer larger than what arrives: every read is short, so
            // every read clears the readiness before the next byte comes.
            let mut buf = [0u8; 16];
            for i in 0..ROUNDS {
                let n = stream.read(&mut buf).await.expect("read");
                assert_eq!(n, 1, "one byte per round");
                assert_eq!(buf[0], i as u8);
                stream.write_all(&buf[..1]).await.expect("write");
            }
        };
        eddy::time::timeout(HANG, echo_all)
            .await
            .expect("a round hung: lost wakeup");
    });
    peer.join().expect("peer thread");
}

#[test]
fn readable_waits_see_every_byte_after_try_read_clears() {
    let (ours, peer) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let peer = blocking_peer(peer);
    run(async move {
        let stream = UnixStream::from_std(ours).expect("register");
        let echo_all = async {
            let mut buf = [0u8; 16];
            let mut round = 0;
            while round < ROUNDS {
                // `readable()` uses the multi-waiter list; `try_read` clears
                // the readiness on `WouldBlock`.
                stream.readable().await.expect("readable");
                match stream.try_read(&mut buf) {
                    Ok(n) => {
                        assert_eq!(n, 1, "one byte per round");
                        assert_eq!(buf[0], round as u8);
                        (&stream).write_all(&buf[..1]).await.expect("write");
                        round += 1;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("try_read: {e}"),
                }
            }
        };
        eddy::time::timeout(HANG, echo_all)
            .await
            .expect("a round hung: lost wakeup");
    });
    peer.join().expect("peer thread");
}

#[test]
fn a_reader_task_woken_by_the_reactor_while_another_task_runs() {
    // The reader and a busy task share the thread: the peer's byte lands
    // while the busy task runs, so the wake is delivered by the reactor
    // turn between task polls rather than while the reader is registering.
    let (ours, peer) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let peer = blocking_peer(peer);
    run(async move {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let spin_stop = stop.clone();
        let spinner = eddy::spawn(async move {
            while !spin_stop.load(std::sync::atomic::Ordering::Relaxed) {
                eddy::task::yield_now().await;
            }
        });
        let reader = eddy::spawn(async move {
            let mut stream = UnixStream::from_std(ours).expect("register");
            let mut buf = [0u8; 16];
            for i in 0..ROUNDS {
                let n = stream.read(&mut buf).await.expect("read");
                assert_eq!((n, buf[0]), (1, i as u8));
                stream.write_all(&buf[..1]).await.expect("write");
            }
        });
        eddy::time::timeout(HANG, reader)
            .await
            .expect("a round hung: lost wakeup")
            .expect("reader task");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        spinner.await.expect("spinner");
    });
    peer.join().expect("peer thread");
}
