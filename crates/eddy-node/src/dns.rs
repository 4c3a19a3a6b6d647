//! Name resolution on the thread pool (Node's `dns.lookup`, which also
//! uses the pool and the system resolver).

use std::net::{IpAddr, ToSocketAddrs};

use crate::Error;
use crate::work::queue_work;

/// Resolves `host` to its addresses with the system resolver.
///
/// ```
/// eddy_node::run(|| {
///     eddy_node::dns::lookup("localhost", |addrs| assert!(!addrs.unwrap().is_empty()));
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn lookup(host: &str, cb: impl FnOnce(Result<Vec<IpAddr>, Error>) + 'static) {
    let host = host.to_owned();
    queue_work(
        move || {
            let addrs = (host.as_str(), 0)
                .to_socket_addrs()
                .map_err(|_| Error::new("ENOTFOUND", format!("getaddrinfo ENOTFOUND {host}")))?;
            let mut ips: Vec<IpAddr> = Vec::new();
            for addr in addrs {
                if !ips.contains(&addr.ip()) {
                    ips.push(addr.ip());
                }
            }
            if ips.is_empty() {
                return Err(Error::new(
                    "ENOTFOUND",
                    format!("getaddrinfo ENOTFOUND {host}"),
                ));
            }
            Ok(ips)
        },
        cb,
    );
}
