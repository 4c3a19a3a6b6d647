//! [`PollEvented`]: an `eddy_poll` source together with its
//! [`Registration`]; the building block of every `eddy::net` type.

use std::io::{self, IoSlice, Read, Write};
use std::ops::Deref;
use std::task::{Context, Poll};

use eddy_poll::Interest;
use eddy_poll::event::Source;

use super::{Direction, Registration};

/// A source registered with the current runtime's reactor; deregisters on
/// drop, before the source (and its descriptor) is closed.
#[derive(Debug)]
pub(crate) struct PollEvented<E: Source> {
    io: Option<E>,
    registration: Registration,
}

#[allow(dead_code)]
impl<E: Source> PollEvented<E> {
    /// Registers `io` for reading and writing with the current runtime.
    pub(crate) fn new(io: E) -> io::Result<Self> {
        PollEvented::new_with_interest(io, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `io` for `interest` with the current runtime.
    pub(crate) fn new_with_interest(mut io: E, interest: Interest) -> io::Result<Self> {
        let registration = Registration::new(&mut io, interest)?;
        Ok(PollEvented {
            io: Some(io),
            registration,
        })
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    pub(crate) fn get_ref(&self) -> &E {
        self.io
            .as_ref()
            .expect("the source is only taken by into_inner")
    }

    /// Deregisters the source and returns it.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self
            .io
            .take()
            .expect("the source is only taken by into_inner");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    /// Reads into `buf`, waiting for readability.
    pub(crate) fn poll_read<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Read,
    {
        let io = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Read, || { io }.read(buf))
    }

    /// Writes from `buf`, waiting for writability.
    pub(crate) fn poll_write<'a>(
        &'a self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        let io = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Write, || { io }.write(buf))
    }

    /// Writes from `bufs`, waiting for writability.
    pub(crate) fn poll_write_vectored<'a>(
        &'a self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        &'a E: Write,
    {
        let io = self.get_ref();
        self.registration
            .poll_io(cx, Direction::Write, || { io }.write_vectored(bufs))
    }
}

impl<E: Source> Deref for PollEvented<E> {
    type Target = E;
    fn deref(&self) -> &E {
        self.get_ref()
    }
}

impl<E: Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Errors are ignored: the descriptor closes right after, which
            // removes it from epoll anyway.
            let _ = self.registration.deregister(&mut io);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::runtime::Runtime;
    use eddy_poll::net::UnixStream;
    use std::future::poll_fn;

    #[test]
    fn read_waits_for_the_peer_and_sees_eof() {
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let a = PollEvented::new(a).unwrap();
            let b = PollEvented::new(b).unwrap();
            let reader = crate::spawn(async move {
                let mut buf = [0u8; 16];
                let n = poll_fn(|cx| a.poll_read(cx, &mut buf)).await.unwrap();
                let eof = poll_fn(|cx| a.poll_read(cx, &mut buf[n..])).await.unwrap();
                (n, eof)
            });
            crate::task::yield_now().await;
            let n = poll_fn(|cx| b.poll_write(cx, b"hello")).await.unwrap();
            assert_eq!(n, 5);
            drop(b);
            assert_eq!(reader.await.unwrap(), (5, 0));
        });
    }

    #[test]
    fn two_tasks_wait_for_readiness_on_one_source() {
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let a = std::sync::Arc::new(PollEvented::new(a).unwrap());
            let b = PollEvented::new(b).unwrap();
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let a = a.clone();
                    crate::spawn(async move {
                        a.registration()
                            .readiness(Direction::Read)
                            .await
                            .unwrap()
                            .is_readable()
                    })
                })
                .collect();
            crate::task::yield_now().await;
            poll_fn(|cx| b.poll_write(cx, b"x")).await.unwrap();
            for w in waiters {
                assert!(w.await.unwrap());
            }
        });
    }

    #[test]
    fn registration_after_shutdown_fails_and_waits_error() {
        let rt = Runtime::new().unwrap();
        let (a, _b) = UnixStream::pair().unwrap();
        let a = {
            let _guard = rt.enter();
            PollEvented::new(a).unwrap()
        };
        let handle = rt.handle().clone();
        drop(rt);
        let err = futures_lite_block_on(poll_fn(|cx| {
            a.registration().poll_ready(cx, Direction::Read)
        }));
        assert!(err.unwrap_err().to_string().contains("shut down"));
        let (c, _d) = UnixStream::pair().unwrap();
        let mut c = c;
        assert!(Registration::new_with_handle(&mut c, Interest::READABLE, &handle).is_err());
    }

    #[test]
    fn registration_outside_a_runtime_is_an_error() {
        let (a, _b) = UnixStream::pair().unwrap();
        let err = PollEvented::new(a).unwrap_err();
        assert!(err.to_string().contains("no eddy runtime"), "{err}");
    }

    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod fairness_tests {
    use super::*;
    use crate::runtime::Builder;
    use eddy_poll::net::UnixStream;
    use std::future::poll_fn;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

    #[test]
    fn an_always_ready_task_cannot_starve_an_io_wake() {
        // The spinner keeps the run queue non-empty forever; the reader's
        // wake comes from epoll, which the scheduler must poll every
        // `event_interval` task polls.
        let rt = Builder::new_current_thread()
            .event_interval(8)
            .build()
            .unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        rt.block_on(async {
            let a = PollEvented::new(a).unwrap();
            let s = stop.clone();
            let spinner = crate::spawn(async move {
                while !s.load(SeqCst) {
                    crate::task::yield_now().await;
                }
            });
            let s = stop.clone();
            let reader = crate::spawn(async move {
                let mut buf = [0u8; 1];
                let n = poll_fn(|cx| a.poll_read(cx, &mut buf)).await.unwrap();
                s.store(true, SeqCst);
                n
            });
            // Let both run and the reader register its interest.
            crate::task::yield_now().await;
            let writer = std::thread::spawn(move || {
                use std::io::Write;
                b.write_all(b"x").unwrap();
                b
            });
            assert_eq!(reader.await.unwrap(), 1);
            spinner.await.unwrap();
            writer.join().unwrap();
        });
    }
}
