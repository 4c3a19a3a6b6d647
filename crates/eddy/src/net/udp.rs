//! [`UdpSocket`]: async UDP on the runtime's reactor.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use eddy_poll::net as poll_net;

use crate::net::addr::{ToSocketAddrs, each_addr, resolve};
use crate::runtime::io::{Direction, PollEvented};

/// A UDP socket.
///
/// Every method takes `&self`, so one task may send while another receives
/// (share it with an `Arc`).
///
/// ```
/// use eddy::net::UdpSocket;
///
/// # eddy::runtime::Runtime::new()?.block_on(async {
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"ping", b.local_addr()?).await?;
/// let mut buf = [0u8; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    io: PollEvented<poll_net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr`, trying each address it resolves to in turn.
    ///
    /// Panics if called outside a runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(&addr, |one| async move {
            // eddy-poll names the address in its bind errors.
            let socket = poll_net::UdpSocket::bind(one)?;
            Ok(UdpSocket {
                io: PollEvented::new(socket)?,
            })
        })
        .await
    }

    /// Sets the default peer for [`send`](UdpSocket::send) and
    /// [`recv`](UdpSocket::recv); datagrams from other addresses are then
    /// dropped by the kernel. Tries each resolved address in turn.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(&addr, |one| async move {
            self.io
                .connect(one)
                .map_err(|e| io::Error::new(e.kind(), format!("connect {one}: {e}")))
        })
        .await
    }

    /// Sends one datagram to `target` (its first resolved address).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = resolve(&target).await?[0];
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Write, || self.io.send_to(buf, target))
        })
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("send_to {target}: {e}")))
    }

    /// Waits for one datagram; returns its length and sender. A datagram
    /// longer than `buf` is truncated.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.recv_from(buf))
        })
        .await
    }

    /// Like [`recv_from`](UdpSocket::recv_from), leaving the datagram queued.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.peek_from(buf))
        })
        .await
    }

    /// Sends one datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Write, || self.io.send(buf))
        })
        .await
    }

    /// Waits for one datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .registration()
                .poll_io(cx, Direction::Read, || self.io.recv(buf))
        })
        .await
    }

    /// Sends without waiting; `WouldBlock` when the send buffer is full.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.send_to(buf, target))
    }

    /// Receives without waiting; `WouldBlock` when no datagram is queued.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.recv_from(buf))
    }

    /// Sends to the connected peer without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Write, || self.io.send(buf))
    }

    /// Receives from the connected peer without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .try_io(Direction::Read, || self.io.recv(buf))
    }

    /// Waits until a datagram is (probably) queued; follow with a `try_recv*`.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Read).await?;
        Ok(())
    }

    /// Waits until the socket is (probably) writable; follow with a `try_send*`.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registration().readiness(Direction::Write).await?;
        Ok(())
    }

    /// Wraps a bound `std` socket (switching it to non-blocking mode) and
    /// registers it with the current runtime.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: PollEvented::new(poll_net::UdpSocket::from_std(socket))?,
        })
    }

    /// Deregisters the socket and returns it as a `std` socket, still in
    /// non-blocking mode.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let socket = self.io.into_inner()?;
        Ok(std::net::UdpSocket::from(OwnedFd::from(socket)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.broadcast()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }

    /// Reads and clears the pending socket error (`SO_ERROR`), e.g. an ICMP
    /// "port unreachable" reported for a connected socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.io.as_raw_fd())
            .field("local", &self.io.local_addr().ok())
            .finish()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}
