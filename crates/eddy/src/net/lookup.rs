//! [`lookup_host`]: name resolution on the blocking pool.
//!
//! The system resolver (`getaddrinfo`, behind `std::net::ToSocketAddrs`)
//! blocks for as long as DNS takes, so a name is resolved on the runtime's
//! blocking pool; literal IP addresses are parsed on the spot with no pool
//! trip. `TcpStream::connect`, `TcpListener::bind` and `UdpSocket` resolve
//! through the same path.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs as _};

use super::ToSocketAddrs;
use super::addr::resolve;
use crate::runtime::Handle;

/// Resolves `host` (`"name:port"`, `(name, port)`, or a literal address) to
/// its socket addresses.
///
/// A name is looked up on the blocking pool (the system resolver, as
/// `std::net::ToSocketAddrs`); a literal IP address is returned at once.
/// Malformed input (no port, a bad port, an empty host) is an
/// [`InvalidInput`](io::ErrorKind::InvalidInput) error naming the input; a
/// name that does not resolve is an error naming it.
///
/// ```
/// use eddy::runtime::Runtime;
///
/// let rt = Runtime::new()?;
/// rt.block_on(async {
///     let addrs: Vec<_> = eddy::net::lookup_host("localhost:8080").await?.collect();
///     assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
///
///     let literal: Vec<_> = eddy::net::lookup_host("[::1]:53").await?.collect();
///     assert_eq!(literal, ["[::1]:53".parse().unwrap()]);
///
///     let err = eddy::net::lookup_host("localhost").await.err().unwrap();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn lookup_host<T: ToSocketAddrs>(
    host: T,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(resolve(&host).await?.into_iter())
}

/// What a `"host:port"` string needs: nothing (a literal address) or a
/// lookup of `host`.
/// (Public only inside a private module: the sealed trait names it.)
#[derive(Debug)]
pub enum Resolution {
    /// Addresses known without a lookup.
    Literal(Vec<SocketAddr>),
    /// A host name and port for the resolver.
    Lookup(String, u16),
}

/// Splits and checks `"host:port"` (`input` is how to name it in errors).
pub(crate) fn parse_host_port(input: &str) -> io::Result<Resolution> {
    if let Ok(addr) = input.parse::<SocketAddr>() {
        return Ok(Resolution::Literal(vec![addr]));
    }
    let Some((host, port)) = input.rsplit_once(':') else {
        return Err(invalid(input, "missing port (expected host:port)"));
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid(input, &format!("invalid port {port:?}")))?;
    classify_host(input, host, port)
}

/// Checks a `(host, port)` pair.
pub(crate) fn classify_host(input: &str, host: &str, port: u16) -> io::Result<Resolution> {
    if host.is_empty() {
        return Err(invalid(input, "empty host"));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(Resolution::Literal(vec![SocketAddr::new(ip, port)]));
    }
    Ok(Resolution::Lookup(host.to_string(), port))
}

fn invalid(input: &str, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("resolve {input:?}: {why}"),
    )
}

/// Looks `host` up with the system resolver: on the blocking pool inside a
/// runtime, on this thread outside one.
pub(crate) async fn lookup(host: String, port: u16) -> io::Result<Vec<SocketAddr>> {
    let blocking = move || -> io::Result<Vec<SocketAddr>> {
        Ok((host.as_str(), port).to_socket_addrs()?.collect())
    };
    match Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(blocking)
            .await
            .unwrap_or_else(|e| Err(io::Error::other(format!("lookup task failed: {e}")))),
        Err(_) => blocking(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(input: &str) -> Vec<SocketAddr> {
        match parse_host_port(input).unwrap() {
            Resolution::Literal(addrs) => addrs,
            Resolution::Lookup(..) => panic!("{input} should be literal"),
        }
    }

    #[test]
    fn literals_need_no_lookup() {
        assert_eq!(literal("10.0.0.1:80"), ["10.0.0.1:80".parse().unwrap()]);
        assert_eq!(literal("[::1]:443"), ["[::1]:443".parse().unwrap()]);
    }

    #[test]
    fn names_need_a_lookup() {
        assert!(matches!(
            parse_host_port("example.com:80").unwrap(),
            Resolution::Lookup(h, 80) if h == "example.com"
        ));
    }

    #[test]
    fn malformed_input_names_itself() {
        for (input, why) in [
            ("example.com", "missing port"),
            ("example.com:http", "invalid port"),
            ("example.com:70000", "invalid port"),
            (":80", "empty host"),
        ] {
            let err = parse_host_port(input).err().unwrap();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            let message = err.to_string();
            assert!(
                message.contains(input) && message.contains(why),
                "{message}"
            );
        }
    }
}
