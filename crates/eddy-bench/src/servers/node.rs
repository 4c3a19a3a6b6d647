//! Node.js, the real one: the scripts the harness writes into its output
//! directory and runs with `node` (servers, timers, immediates).
//!
//! Servers print `listening ADDR` and exit when their stdin closes, like
//! our own `serve` children; workloads print one `result key=value ...`
//! line, like our `micro` children.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Whether `node` runs here (checked once).
pub fn installed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

/// `node --version`, for the report.
pub fn version() -> Option<String> {
    let out = Command::new("node").arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Exits when the parent closes our stdin, so no server outlives a run.
const EXIT_WITH_PARENT: &str = r#"
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
"#;

/// `http.createServer`: the Node row users compare with.
const HTTP_SERVER: &str = r#"
const http = require('http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Length': 13, 'Content-Type': 'text/plain' });
  res.end('Hello, World!');
});
server.listen(0, '127.0.0.1', () => {
  console.log('listening 127.0.0.1:' + server.address().port);
});
"#;

/// `net.createServer` with the same handler as every Rust server.
const NET_SERVER: &str = r#"
const net = require('net');
const echo = process.argv[2] === 'echo';
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!');
const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  let pending = null;
  sock.on('data', (chunk) => {
    if (echo) { sock.write(chunk); return; }
    pending = pending ? Buffer.concat([pending, chunk]) : chunk;
    let idx;
    while ((idx = pending.indexOf('\r\n\r\n')) >= 0) {
      sock.write(RESPONSE);
      pending = pending.subarray(idx + 4);
    }
    if (pending.length >= 2048) { sock.destroy(); return; }
    if (pending.length === 0) pending = null;
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log('listening 127.0.0.1:' + server.address().port);
});
"#;

/// n timers with deadlines spread evenly over 0..1 s (same steps as
/// `micro::eddy_node_rt`).
const TIMERS: &str = r#"
const n = Number(process.argv[2]);
if (global.gc) global.gc();
const rss0 = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
let fired = 0;
let rss1 = 0;
let t1 = t0;
const cb = () => {
  if (++fired === n) {
    // A delay counts from its setTimeout call, so the last deadline is the
    // last timer's delay after registering ended (t1), not after t0.
    const late = Number(process.hrtime.bigint() - t1) / 1e6 - Math.floor(((n - 1) * 1000) / n);
    console.log(`result register_ns=${registerNs} bytes_per_timer=${(rss1 - rss0) / n} late_ms=${late}`);
  }
};
for (let i = 0; i < n; i++) setTimeout(cb, (i * 1000) / n);
t1 = process.hrtime.bigint();
const registerNs = Number(t1 - t0) / n;
rss1 = process.memoryUsage().rss;
"#;

/// A chain of n `setImmediate` callbacks, each scheduling the next.
const IMMEDIATES: &str = r#"
const n = Number(process.argv[2]);
let k = 0;
const t0 = process.hrtime.bigint();
const step = () => {
  if (++k < n) { setImmediate(step); return; }
  console.log(`result ns_per_callback=${Number(process.hrtime.bigint() - t0) / n}`);
};
setImmediate(step);
"#;

/// A Node.js script the harness can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// `http.createServer` hello world.
    HttpServer,
    /// `net.createServer` with our handler (argv: `http` or `echo`).
    NetServer,
    /// 1M timers (argv: count).
    Timers,
    /// setImmediate chain (argv: count).
    Immediates,
}

impl Script {
    fn file_name(self) -> &'static str {
        match self {
            Script::HttpServer => "node-http-server.js",
            Script::NetServer => "node-net-server.js",
            Script::Timers => "node-timers.js",
            Script::Immediates => "node-immediates.js",
        }
    }

    fn source(self) -> String {
        match self {
            Script::HttpServer => format!("{HTTP_SERVER}{EXIT_WITH_PARENT}"),
            Script::NetServer => format!("{NET_SERVER}{EXIT_WITH_PARENT}"),
            Script::Timers => TIMERS.to_string(),
            Script::Immediates => IMMEDIATES.to_string(),
        }
    }

    /// Writes the script into `<out>/node/` and returns its path.
    pub fn write(self, out: &Path) -> io::Result<PathBuf> {
        let dir = out.join("node");
        std::fs::create_dir_all(&dir)
            .map_err(|e| io::Error::new(e.kind(), format!("create {}: {e}", dir.display())))?;
        let path = dir.join(self.file_name());
        std::fs::write(&path, self.source())
            .map_err(|e| io::Error::new(e.kind(), format!("write {}: {e}", path.display())))?;
        Ok(path)
    }
}
