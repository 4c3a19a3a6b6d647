//! The workload shared by the poll benchmarks: N registered descriptors of
//! which K are ready, set up identically for eddy-poll and mio.
//!
//! N - K descriptors are idle UDP sockets; K are ready. Registration is
//! edge-triggered in both libraries, so a ready descriptor is reported once
//! per edge: to measure the same poll again and again, each iteration
//! re-arms all K with one system call ([`Workload::rearm`]), outside the
//! measured region. For that the K ready descriptors are duplicates of one
//! `eventfd`: one 8-byte write wakes every registration on it, and
//! `epoll_wait` then returns K events, doing the same per-event kernel work
//! as for K distinct sockets. Both libraries poll with the same capacity and
//! register the very same descriptors.

// Each bench target uses a different subset.
#![allow(dead_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The (N, K) pairs measured.
pub const SHAPES: [(usize, usize); 5] = [(1, 1), (100, 1), (100, 100), (10_000, 1), (10_000, 100)];

/// How many events one poll can return, for both libraries.
pub const CAPACITY: usize = 1024;

/// N descriptors: K duplicates of one eventfd (ready after each `rearm`),
/// and N - K idle UDP sockets.
pub struct Workload {
    eventfd: OwnedFd,
    ready: Vec<OwnedFd>,
    idle: Vec<std::net::UdpSocket>,
}

impl Workload {
    pub fn new(n: usize, k: usize) -> io::Result<Workload> {
        // SAFETY: eventfd takes an initial value and flags only.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by the kernel and is ours alone.
        let eventfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let ready = (0..k)
            .map(|_| eventfd.try_clone())
            .collect::<io::Result<Vec<_>>>()?;
        let idle = (0..n - k)
            .map(|_| std::net::UdpSocket::bind("127.0.0.1:0"))
            .collect::<io::Result<Vec<_>>>()?;
        for socket in &idle {
            socket.set_nonblocking(true)?;
        }
        Ok(Workload {
            eventfd,
            ready,
            idle,
        })
    }

    /// Every descriptor with its token: ready ones first.
    pub fn descriptors(&self) -> impl Iterator<Item = (usize, RawFd)> + '_ {
        self.ready
            .iter()
            .map(|fd| fd.as_raw_fd())
            .chain(self.idle.iter().map(|s| s.as_raw_fd()))
            .enumerate()
    }

    /// Makes the K ready registrations fire again (one new edge each).
    pub fn rearm(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to an eventfd we own.
        let n = unsafe {
            libc::write(
                self.eventfd.as_raw_fd(),
                (&one as *const u64).cast(),
                std::mem::size_of::<u64>(),
            )
        };
        assert_eq!(n, 8, "eventfd write: {}", io::Error::last_os_error());
    }
}

/// Raises the soft open-files limit so the largest shape fits.
pub fn raise_open_files_limit(needed: libc::rlim_t) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read or write one live rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < needed {
            limit.rlim_cur = needed.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

pub fn eddy_setup(workload: &Workload) -> (eddy_poll::Poll, eddy_poll::Events) {
    let poll = eddy_poll::Poll::new().expect("eddy Poll::new");
    for (token, fd) in workload.descriptors() {
        poll.registry()
            .register(
                &mut eddy_poll::unix::SourceFd(&fd),
                eddy_poll::Token(token),
                eddy_poll::Interest::READABLE,
            )
            .expect("eddy register");
    }
    (poll, eddy_poll::Events::with_capacity(CAPACITY))
}

pub fn mio_setup(workload: &Workload) -> (mio::Poll, mio::Events) {
    let poll = mio::Poll::new().expect("mio Poll::new");
    for (token, fd) in workload.descriptors() {
        poll.registry()
            .register(
                &mut mio::unix::SourceFd(&fd),
                mio::Token(token),
                mio::Interest::READABLE,
            )
            .expect("mio register");
    }
    (poll, mio::Events::with_capacity(CAPACITY))
}
