//! One `poll` call with N registered descriptors of which K are ready,
//! eddy-poll against mio 1.x on the same descriptors in the same run.
//!
//! # The workload
//!
//! N - K descriptors are idle UDP sockets; K are ready. Registration is
//! edge-triggered in both libraries, so a ready descriptor is reported once
//! per edge: to measure the same poll again and again, each iteration
//! re-arms all K with one system call, outside the timed region. For that
//! the K ready descriptors are duplicates of one `eventfd`: one 8-byte
//! write wakes every registration on it, and `epoll_wait` then returns K
//! events, doing the same per-event kernel work as for K distinct sockets.
//! Both libraries poll with capacity 1024 and no timeout (K >= 1 events are
//! always there), and register the very same descriptors.
//!
//! Only the `poll` call is timed (`iter_custom`), so the figures include the
//! timer reads around it, the same for both.
//!
//! Run: `cargo bench -p eddy-poll --bench poll -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// The (N, K) pairs measured.
const SHAPES: [(usize, usize); 5] = [(1, 1), (100, 1), (100, 100), (10_000, 1), (10_000, 100)];

/// How many events one poll can return, for both libraries.
const CAPACITY: usize = 1024;

/// N descriptors: K duplicates of one eventfd (ready after each `rearm`),
/// and N - K idle UDP sockets.
struct Workload {
    eventfd: OwnedFd,
    ready: Vec<OwnedFd>,
    idle: Vec<std::net::UdpSocket>,
}

impl Workload {
    fn new(n: usize, k: usize) -> io::Result<Workload> {
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
    fn descriptors(&self) -> impl Iterator<Item = (usize, RawFd)> + '_ {
        self.ready
            .iter()
            .map(|fd| fd.as_raw_fd())
            .chain(self.idle.iter().map(|s| s.as_raw_fd()))
            .enumerate()
    }

    /// Makes the K ready registrations fire again (one new edge each).
    fn rearm(&self) {
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
fn raise_open_files_limit(needed: libc::rlim_t) {
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

fn eddy_setup(workload: &Workload) -> (eddy_poll::Poll, eddy_poll::Events) {
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

fn mio_setup(workload: &Workload) -> (mio::Poll, mio::Events) {
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

fn poll_n_ready_k(c: &mut Criterion) {
    raise_open_files_limit(10_000 + 512);
    let mut group = c.benchmark_group("poll");
    for (n, k) in SHAPES {
        let workload = match Workload::new(n, k) {
            Ok(workload) => workload,
            Err(e) => {
                eprintln!("skipping N={n}: cannot open {n} descriptors ({e}); raise ulimit -n");
                continue;
            }
        };
        let shape = format!("N={n}/K={k}");

        let (mut poll, mut events) = eddy_setup(&workload);
        group.bench_function(BenchmarkId::new("eddy", &shape), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    workload.rearm();
                    let start = Instant::now();
                    poll.poll(&mut events, None).expect("eddy poll");
                    timed += start.elapsed();
                    debug_assert_eq!(events.iter().count(), k);
                    black_box(events.iter().count());
                }
                timed
            })
        });
        assert_eq!(events.iter().count(), k, "eddy returned the wrong events");
        drop(poll);

        let (mut poll, mut events) = mio_setup(&workload);
        group.bench_function(BenchmarkId::new("mio", &shape), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    workload.rearm();
                    let start = Instant::now();
                    poll.poll(&mut events, None).expect("mio poll");
                    timed += start.elapsed();
                    black_box(events.iter().count());
                }
                timed
            })
        });
        assert_eq!(events.iter().count(), k, "mio returned the wrong events");
    }
    group.finish();
}

criterion_group!(benches, poll_n_ready_k);
criterion_main!(benches);
