//! eddy-node: `net::create_server` on the Node-style loop, with the same
//! handler as every other server (the counterpart of the Node.js `net`
//! row).

use std::io;

use eddy_node::net;

use crate::protocol::{Protocol, RESPONSE, RequestBuffer};

/// Listens on an ephemeral port, announces it and serves until the
/// process exits.
pub fn serve(protocol: Protocol) -> io::Result<()> {
    eddy_node::run(move || {
        let server = net::create_server(move |socket| {
            let _ = socket.set_no_delay(true);
            let out = socket.clone();
            let mut requests = RequestBuffer::new();
            socket.on_data(move |mut chunk: &[u8]| {
                if protocol == Protocol::Echo {
                    out.write(chunk);
                    return;
                }
                while !chunk.is_empty() {
                    let spare = requests.spare();
                    let n = spare.len().min(chunk.len());
                    spare[..n].copy_from_slice(&chunk[..n]);
                    chunk = &chunk[n..];
                    match requests.filled(n) {
                        Ok(complete) => {
                            for _ in 0..complete {
                                out.write(RESPONSE);
                            }
                        }
                        Err(_) => {
                            out.destroy();
                            return;
                        }
                    }
                }
            });
        });
        server.listen("127.0.0.1:0", |addr| match addr {
            Ok(addr) => {
                if let Err(e) = super::announce(addr) {
                    eprintln!("eddy-node server: announce {addr}: {e}");
                    std::process::exit(1);
                }
            }
            Err(e) => {
                eprintln!("eddy-node server: listen on 127.0.0.1:0: {e}");
                std::process::exit(1);
            }
        });
    })
    .map_err(|e| io::Error::other(format!("eddy-node loop: {e}")))
}
