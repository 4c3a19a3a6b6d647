//! eddy-node against real Node, in the same run, whole processes.
//!
//! `cargo bench -p eddy-node --bench loop_micro [-- CASE]` re-runs this
//! binary (`EDDY_NODE_BENCH=<case>`) for the eddy side and `node -e` for
//! Node, interleaved (A B A B A B), and prints medians of what each child
//! reports about itself:
//!
//! * `timers`: 1 000 000 `set_timeout`s, delays spread over 0–999 ms: the
//!   registration cost per timer, and how long after the last deadline
//!   the last timer fired (all of them fired by then).
//! * `immediates`: a 1 000 000-long `set_immediate` chain: ns per callback.
//! * `files`: 10 000 reads of a small file, pool size 4: total ms.
//! * `http`: a hello-world server under `wrk -t1 -c64 -d3s` (keep-alive):
//!   requests/s (wrk must be installed; the case is skipped otherwise).

use std::cell::Cell;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::Instant;

const N: u64 = 1_000_000;
const FILES: u64 = 10_000;

fn timers() {
    let start = Instant::now();
    eddy_node::run(move || {
        let fired = Rc::new(Cell::new(0u64));
        for i in 0..N {
            let fired = fired.clone();
            eddy_node::timers::set_timeout(i % 1000, move || {
                fired.set(fired.get() + 1);
                if fired.get() == N {
                    let late = start.elapsed().as_secs_f64() * 1e3 - 999.0;
                    println!("{late:.1}");
                }
            });
        }
        println!("{:.1}", start.elapsed().as_nanos() as f64 / N as f64);
    })
    .expect("loop");
}

fn immediates() {
    fn next(left: u64, start: Instant) {
        if left == 0 {
            println!("{:.1}", start.elapsed().as_nanos() as f64 / N as f64);
        } else {
            eddy_node::timers::set_immediate(move || next(left - 1, start));
        }
    }
    eddy_node::run(|| next(N, Instant::now())).expect("loop");
}

fn files(path: String) {
    let start = Instant::now();
    eddy_node::run(move || {
        let done = Rc::new(Cell::new(0u64));
        for _ in 0..FILES {
            let done = done.clone();
            eddy_node::fs::read_file(path.clone(), move |r| {
                r.expect("read");
                done.set(done.get() + 1);
                if done.get() == FILES {
                    println!("{:.1}", start.elapsed().as_secs_f64() * 1e3);
                }
            });
        }
    })
    .expect("loop");
}

fn http_server() {
    eddy_node::run(|| {
        let server = eddy_node::http::create_server(|_req, res| {
            res.set_header("Content-Type", "text/plain");
            res.end("Hello, World!");
        });
        server.listen("127.0.0.1:0", |addr| {
            println!("{}", addr.expect("bind").port())
        });
    })
    .expect("loop");
}

const NODE_TIMERS: &str = "const s=process.hrtime.bigint(); let f=0; \
    for (let i=0;i<1e6;i++) setTimeout(()=>{ if(++f===1e6) console.log((Number(process.hrtime.bigint()-s)/1e6-999).toFixed(1)); }, i%1000); \
    console.log((Number(process.hrtime.bigint()-s)/1e6).toFixed(1));";
const NODE_IMMEDIATES: &str = "const s=process.hrtime.bigint(); \
    function next(l){ if(l===0) console.log((Number(process.hrtime.bigint()-s)/1e6).toFixed(1)); else setImmediate(()=>next(l-1)); } next(1e6);";
const NODE_FILES: &str = "const fs=require('fs'); const s=process.hrtime.bigint(); let d=0; \
    for (let i=0;i<1e4;i++) fs.readFile(process.argv[1], ()=>{ if(++d===1e4) console.log((Number(process.hrtime.bigint()-s)/1e6).toFixed(1)); });";
const NODE_HTTP: &str = "require('http').createServer((q,r)=>{ r.setHeader('Content-Type','text/plain'); r.end('Hello, World!'); })\
    .listen(0,'127.0.0.1',function(){ console.log(this.address().port); });";

/// Runs a child to completion; its stdout lines as numbers.
fn figures(cmd: &mut Command) -> Vec<f64> {
    let out = cmd.output().expect("spawn a bench child");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// utime + stime of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) close with ')'.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// Starts a server child, loads it with wrk, kills it: requests/s and the
/// server's CPU µs per request.
fn http_rate(cmd: &mut Command) -> (f64, f64) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawn a server");
    let mut port = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut port)
        .expect("the server prints its port");
    let url = format!("http://127.0.0.1:{}/", port.trim());
    let before = cpu_ticks(child.id());
    let out = Command::new("wrk")
        .args(["-t1", "-c64", "-d3s", &url])
        .output()
        .expect("run wrk");
    let cpu_seconds = (cpu_ticks(child.id()) - before) as f64 / 100.0;
    let _ = child.kill();
    let _ = child.wait();
    let rate: f64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("Requests/sec:")
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0.0);
    let requests = rate * 3.0;
    (rate, cpu_seconds * 1e6 / requests.max(1.0))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let file = std::env::temp_dir().join("eddy-node-bench-small.txt");
    let file = file.to_string_lossy().into_owned();
    match std::env::var("EDDY_NODE_BENCH").as_deref() {
        Ok("timers") => return timers(),
        Ok("immediates") => return immediates(),
        Ok("files") => return files(file),
        Ok("http") => return http_server(),
        _ => {}
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    std::fs::write(&file, "Hello world! This is a text to encrypt!\n").expect("write the file");
    let me = std::env::current_exe().expect("own path");
    let eddy = |case: &str| {
        let mut cmd = Command::new(&me);
        cmd.env("EDDY_NODE_BENCH", case)
            .env("EDDY_THREADPOOL_SIZE", "4");
        cmd
    };
    let node = |js: &str| {
        let mut cmd = Command::new("node");
        cmd.args(["-e", js, &file]).env("UV_THREADPOOL_SIZE", "4");
        cmd
    };
    assert!(
        Command::new("node").arg("--version").output().is_ok(),
        "the Node comparison needs `node` on PATH"
    );
    let wanted = |case: &str| args.is_empty() || args.iter().any(|a| case.contains(a.as_str()));
    let rounds = 3;

    if wanted("timers") {
        let (mut reg, mut late, mut nreg, mut nlate) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            // Each child prints registration (ns per timer, which for 1M
            // timers is also the total in ms) and when the last timer fired
            // minus 999 ms; the last deadline is 999 ms after registration
            // ended, so lateness past it is the second minus the first.
            let f = figures(&mut eddy("timers"));
            reg.push(f[0]);
            late.push(f[1] - f[0]);
            let f = figures(&mut node(NODE_TIMERS));
            nreg.push(f[0]);
            nlate.push(f[1] - f[0]);
        }
        let (reg, late, nreg, nlate) = (median(reg), median(late), median(nreg), median(nlate));
        println!(
            "timers: register {reg:.0} ns/timer (node {nreg:.0}, {:.1}x); last fired {late:.0} ms late (node {nlate:.0} ms)",
            nreg / reg
        );
    }
    if wanted("immediates") {
        let (mut ours, mut theirs) = (vec![], vec![]);
        for _ in 0..rounds {
            ours.push(figures(&mut eddy("immediates"))[0]);
            theirs.push(figures(&mut node(NODE_IMMEDIATES))[0] * 1e6 / N as f64);
        }
        let (ours, theirs) = (median(ours), median(theirs));
        println!(
            "immediates: {ours:.0} ns/callback (node {theirs:.0}, {:.1}x)",
            theirs / ours
        );
    }
    if wanted("files") {
        let (mut ours, mut theirs) = (vec![], vec![]);
        for _ in 0..rounds {
            ours.push(figures(&mut eddy("files"))[0]);
            theirs.push(figures(&mut node(NODE_FILES))[0]);
        }
        let (ours, theirs) = (median(ours), median(theirs));
        println!(
            "files: 10k reads in {ours:.0} ms (node {theirs:.0} ms, {:.1}x)",
            theirs / ours
        );
    }
    if wanted("http") {
        if Command::new("wrk").arg("--version").output().is_err() {
            println!("http: skipped (wrk not installed: apt-get install -y wrk)");
            return;
        }
        let (mut ours, mut theirs, mut our_cpu, mut their_cpu) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            let (rate, cpu) = http_rate(&mut eddy("http"));
            ours.push(rate);
            our_cpu.push(cpu);
            let (rate, cpu) = http_rate(&mut node(NODE_HTTP));
            theirs.push(rate);
            their_cpu.push(cpu);
        }
        let (ours, theirs) = (median(ours), median(theirs));
        let (our_cpu, their_cpu) = (median(our_cpu), median(their_cpu));
        println!(
            "http: {ours:.0} req/s (node {theirs:.0} req/s, {:.1}x); server CPU {our_cpu:.1} us/request (node {their_cpu:.1}, {:.1}x less)",
            ours / theirs,
            their_cpu / our_cpu
        );
    }
}
