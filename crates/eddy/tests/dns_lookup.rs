//! `lookup_host` and name resolution in `TcpStream::connect`: localhost
//! resolves, literals need no lookup, malformed input is `InvalidInput`
//! naming it, and an unresolvable name fails (without hanging the runtime).

use std::io::ErrorKind;
use std::time::Duration;

use eddy::io::{AsyncReadExt, AsyncWriteExt};
use eddy::net::{TcpListener, TcpStream, lookup_host};

#[eddy::test]
async fn localhost_resolves_to_loopback() {
    let addrs: Vec<_> = lookup_host("localhost:4242").await.unwrap().collect();
    assert!(!addrs.is_empty());
    assert!(
        addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 4242),
        "{addrs:?}"
    );
    let pair: Vec<_> = lookup_host(("localhost", 7)).await.unwrap().collect();
    assert!(pair.iter().all(|a| a.port() == 7));
}

#[eddy::test]
async fn literal_addresses_come_back_as_given() {
    let v4: Vec<_> = lookup_host("192.0.2.1:80").await.unwrap().collect();
    assert_eq!(v4, ["192.0.2.1:80".parse().unwrap()]);
    let v6: Vec<_> = lookup_host("[2001:db8::1]:443").await.unwrap().collect();
    assert_eq!(v6, ["[2001:db8::1]:443".parse().unwrap()]);
    let pair: Vec<_> = lookup_host(("::1", 9)).await.unwrap().collect();
    assert_eq!(pair, ["[::1]:9".parse().unwrap()]);
}

#[eddy::test]
async fn malformed_input_is_invalid_input_naming_it() {
    for input in [
        "localhost",
        "localhost:",
        "localhost:99999",
        "localhost:http",
        ":80",
    ] {
        let err = lookup_host(input).await.err().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input}: {err}");
        assert!(err.to_string().contains(input), "{input}: {err}");
    }
}

#[eddy::test]
async fn an_unresolvable_name_is_an_error_naming_it() {
    // `.invalid` is reserved (RFC 6761): it never resolves. The resolver may
    // be slow on a machine without DNS; allow it plenty of time.
    let lookup = lookup_host("no-such-host.invalid:80");
    let result = eddy::time::timeout(Duration::from_secs(60), lookup)
        .await
        .expect("the lookup finished within 60 s");
    let err = result.err().unwrap();
    assert!(err.to_string().contains("no-such-host.invalid"), "{err}");
}

#[eddy::test]
async fn the_runtime_keeps_running_while_a_name_resolves() {
    // The lookup runs on the blocking pool: a timer on the runtime thread
    // fires meanwhile (it would not if the lookup blocked this thread).
    let lookup = eddy::spawn(async { lookup_host("localhost:1").await.map(|a| a.count()) });
    eddy::time::sleep(Duration::from_millis(1)).await;
    assert!(lookup.await.unwrap().unwrap() >= 1);
}

#[eddy::test]
async fn connect_resolves_a_host_name() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = eddy::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        conn.write_all(b"hi").await.unwrap();
    });
    // localhost may resolve to ::1 first; connect tries each address.
    let mut stream = TcpStream::connect(format!("localhost:{port}"))
        .await
        .unwrap();
    let mut buf = [0; 2];
    stream.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hi");
    server.await.unwrap();
}
