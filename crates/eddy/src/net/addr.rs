//! [`ToSocketAddrs`]: what `bind`, `connect` and `send_to` accept as an
//! address, and the resolver behind it.
//!
//! Literal addresses (`SocketAddr`, `"127.0.0.1:8080"`, `(IpAddr, u16)`)
//! never touch the resolver. Host names (`"localhost:80"`) are resolved with
//! the system resolver on the runtime's blocking pool (see
//! [`lookup_host`](super::lookup_host)), so a slow DNS server never blocks
//! a runtime thread.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::lookup::{Resolution, classify_host, lookup, parse_host_port};

/// Something that names one or more socket addresses: a [`SocketAddr`],
/// `"host:port"` as `&str`/`String`, `(host, port)`, `(IpAddr, u16)` or a
/// slice of `SocketAddr`s.
///
/// Operations that take it try each resolved address in turn and report the
/// last error, naming the address that failed.
///
/// This trait is sealed: it cannot be implemented outside Eddy.
///
/// ```
/// # eddy::runtime::Runtime::new()?.block_on(async {
/// use eddy::net::TcpListener;
/// let a = TcpListener::bind("127.0.0.1:0").await?;
/// let b = TcpListener::bind(("127.0.0.1", 0)).await?;
/// let c = TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await?;
/// # drop((a, b, c));
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use std::io;
    use std::net::SocketAddr;

    /// The resolving half of [`ToSocketAddrs`](super::ToSocketAddrs), kept
    /// private so the public trait has no callable methods to stabilise.
    pub trait Sealed {
        /// The addresses this value names, in the order to try them.
        fn to_addrs(&self) -> io::Result<Vec<SocketAddr>>;
        /// How to show the value in an error message.
        fn describe(&self) -> String;
        /// Literal addresses, or the name to look up (host names only).
        fn resolution(&self) -> io::Result<crate::net::lookup::Resolution> {
            self.to_addrs().map(crate::net::lookup::Resolution::Literal)
        }
    }
}

/// Resolves `addr`, failing with a clear error when it names nothing.
pub(crate) async fn resolve<A: ToSocketAddrs>(addr: &A) -> io::Result<Vec<SocketAddr>> {
    let resolved = match addr.resolution()? {
        Resolution::Literal(addrs) => Ok(addrs),
        Resolution::Lookup(host, port) => lookup(host, port).await,
    };
    let addrs = resolved
        .map_err(|e| io::Error::new(e.kind(), format!("resolve {}: {e}", addr.describe())))?;
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("resolve {}: no addresses", addr.describe()),
        ));
    }
    Ok(addrs)
}

/// Runs `op` on each address `addr` resolves to until one succeeds; returns
/// the last error otherwise (ops put the address in their own messages).
pub(crate) async fn each_addr<A, T, F, Fut>(addr: &A, mut op: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for one in resolve(addr).await? {
        match op(one).await {
            Ok(value) => return Ok(value),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.expect("resolve returns at least one address"))
}

/// Implements the traits by delegating to `std::net::ToSocketAddrs`.
macro_rules! via_std {
    ($($ty: ty),* $(,)?) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::Sealed for $ty {
            fn to_addrs(&self) -> io::Result<Vec<SocketAddr>> {
                std::net::ToSocketAddrs::to_socket_addrs(self).map(Iterator::collect)
            }
            fn describe(&self) -> String {
                format!("{self:?}")
            }
        }
    )*};
}

via_std!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
);

/// Host names: checked here, looked up on the blocking pool by `resolve`.
macro_rules! host_port {
    ($($ty: ty => |$me: ident| $resolution: expr),* $(,)?) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::Sealed for $ty {
            fn to_addrs(&self) -> io::Result<Vec<SocketAddr>> {
                std::net::ToSocketAddrs::to_socket_addrs(self).map(Iterator::collect)
            }
            fn describe(&self) -> String {
                format!("{self:?}")
            }
            fn resolution(&self) -> io::Result<Resolution> {
                let $me = self;
                $resolution
            }
        }
    )*};
}

host_port!(
    str => |me| parse_host_port(me),
    String => |me| parse_host_port(me),
    (&str, u16) => |me| classify_host(&format!("{}:{}", me.0, me.1), me.0, me.1),
    (String, u16) => |me| classify_host(&format!("{}:{}", me.0, me.1), &me.0, me.1),
);

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Sealed for [SocketAddr] {
    fn to_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(self.to_vec())
    }
    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn to_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        (**self).to_addrs()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn resolution(&self) -> io::Result<Resolution> {
        (**self).resolution()
    }
}

#[cfg(test)]
mod tests {
    use super::sealed::Sealed;
    use super::*;

    #[test]
    fn literals_resolve_without_lookup() {
        let addr: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(addr.to_addrs().unwrap(), vec![addr]);
        assert_eq!("127.0.0.1:80".to_addrs().unwrap(), vec![addr]);
        assert_eq!(("127.0.0.1", 80).to_addrs().unwrap(), vec![addr]);
        assert_eq!([addr, addr][..].to_addrs().unwrap(), vec![addr, addr]);
    }

    #[test]
    fn bad_input_is_an_error_naming_it() {
        let err = futures_lite::future::block_on(resolve(&"no port here")).unwrap_err();
        assert!(err.to_string().contains("no port here"), "{err}");
        let empty: &[SocketAddr] = &[];
        let err = futures_lite::future::block_on(resolve(&empty)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
