//! eddy-node: its `http::create_server` module on the Node-style loop (the
//! counterpart of the Node.js `http` row). The handler sets the headers
//! so the bytes on the wire are exactly [`RESPONSE`], as every other row's.

use std::io;

use eddy_node::http;

use crate::protocol::{BODY, Protocol, RESPONSE};

/// Listens on an ephemeral port, announces it and serves HTTP until the
/// process exits (echo is not an HTTP server's job: an error).
pub fn serve(protocol: Protocol) -> io::Result<()> {
    if protocol != Protocol::Http {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "eddy-node http serves HTTP only",
        ));
    }
    debug_assert!(RESPONSE.ends_with(BODY));
    eddy_node::run(move || {
        let server = http::create_server(|_req, res| {
            res.set_header("Content-Length", "13");
            res.set_header("Content-Type", "text/plain");
            res.end(BODY);
        });
        server.listen("127.0.0.1:0", |addr| match addr {
            Ok(addr) => {
                if let Err(e) = super::announce(addr) {
                    eprintln!("eddy-node http server: announce {addr}: {e}");
                    std::process::exit(1);
                }
            }
            Err(e) => {
                eprintln!("eddy-node http server: listen on 127.0.0.1:0: {e}");
                std::process::exit(1);
            }
        });
    })
    .map_err(|e| io::Error::other(format!("eddy-node loop: {e}")))
}
