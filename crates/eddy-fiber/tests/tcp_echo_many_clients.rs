//! 10 000 fiber TCP clients against a fiber echo server on the same
//! runtime, every byte checked; plus the blocking-style socket behaviours
//! (refused connect, peer close, UDP).

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use eddy_fiber::net::{TcpListener, TcpStream, UdpSocket};
use eddy_fiber::sync::channel;
use eddy_fiber::{Runtime, spawn};

const CLIENTS: usize = 10_000;
/// Clients connecting at once (the listen backlog is 1024).
const WAVE: usize = 500;
const BYTES_PER_CLIENT: usize = 3_000;

/// Raises the soft (and if needed hard) open-file limit to `want`.
fn raise_fd_limit(want: u64) -> Result<(), String> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error().to_string());
    }
    if lim.rlim_cur >= want {
        return Ok(());
    }
    let new = libc::rlimit {
        rlim_cur: want,
        rlim_max: lim.rlim_max.max(want),
    };
    // SAFETY: setrlimit reads the struct we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } != 0 {
        return Err(format!(
            "RLIMIT_NOFILE is {}/{} and raising it to {want} failed: {}",
            lim.rlim_cur,
            lim.rlim_max,
            io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn pattern(client: usize) -> Vec<u8> {
    (0..BYTES_PER_CLIENT)
        .map(|i| (client * 31 + i * 7) as u8)
        .collect()
}

/// The whole echo server per connection: plain blocking code.
fn echo(conn: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        let n = (&conn).read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        (&conn).write_all(&buf[..n])?;
    }
}

fn client(addr: SocketAddr, id: usize, connected: eddy_fiber::sync::Sender<()>) -> io::Result<()> {
    let stream = TcpStream::connect(addr)?;
    let _ = connected.send(());
    drop(connected);
    let data = pattern(id);
    // Send in two pieces, read it all back, compare every byte.
    (&stream).write_all(&data[..1000])?;
    (&stream).write_all(&data[1000..])?;
    let mut back = vec![0u8; data.len()];
    (&stream).read_exact(&mut back)?;
    assert!(back == data, "client {id}: echoed bytes differ");
    stream.shutdown(std::net::Shutdown::Write)?;
    assert_eq!(
        (&stream).read(&mut [0u8; 1])?,
        0,
        "client {id}: server closes after EOF"
    );
    Ok(())
}

/// Set in the child process that runs the echo server: 10 000 clients plus
/// 10 000 server-side connections exceed one process's default 20 000
/// descriptors, so the server gets a process (and descriptor table) of its own.
const SERVER_CHILD: &str = "EDDY_FIBER_ECHO_SERVER_CHILD";

/// The child: a fiber echo server that serves `CLIENTS` connections, each
/// on its own fiber, then exits.
fn run_echo_server() {
    let rt = Runtime::builder().stack_size(64 * 1024).build().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        println!("LISTENING {}", listener.local_addr().unwrap());
        io::stdout().flush().unwrap();
        let conns: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (conn, _) = listener.accept().unwrap();
                spawn(move || echo(conn))
            })
            .collect();
        for c in conns {
            c.join().unwrap().unwrap();
        }
    });
}

#[test]
fn ten_thousand_clients_every_byte_echoed() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    if std::env::var_os(SERVER_CHILD).is_some() {
        run_echo_server();
        return;
    }
    if let Err(why) = raise_fd_limit(CLIENTS as u64 + 256) {
        eprintln!(
            "SKIPPED ten_thousand_clients_every_byte_echoed: needs ~10 300 descriptors per process: {why}"
        );
        return;
    }
    let mut server = Command::new(std::env::current_exe().unwrap())
        .args([
            "ten_thousand_clients_every_byte_echoed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SERVER_CHILD, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = io::BufReader::new(server.stdout.take().unwrap()).lines();
    let addr: SocketAddr = lines
        .by_ref()
        // libtest may print the test's name on the same line first.
        .find_map(|l| l.ok()?.split("LISTENING ").nth(1)?.trim().parse().ok())
        .expect("the server child prints its address");

    let rt = Runtime::builder().stack_size(64 * 1024).build().unwrap();
    let echoed = rt.block_on(move || {
        let mut clients = Vec::with_capacity(CLIENTS);
        for wave in (0..CLIENTS).step_by(WAVE) {
            let (tx, rx) = channel();
            for id in wave..(wave + WAVE).min(CLIENTS) {
                let tx = tx.clone();
                clients.push(spawn(move || client(addr, id, tx)));
            }
            drop(tx);
            // Wait until this wave is connected before starting the next.
            while rx.recv().is_ok() {}
        }
        clients
            .into_iter()
            .map(|c| c.join().unwrap().map(|()| 1))
            .sum::<io::Result<usize>>()
    });
    assert_eq!(echoed.unwrap(), CLIENTS);
    let status = server.wait().unwrap();
    assert!(status.success(), "the echo server child failed: {status}");
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        assert!(
            err.to_string().contains("127.0.0.1"),
            "the address is named: {err}"
        );
    });
}

#[test]
fn peer_close_reads_as_end_of_stream() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.write_all(b"bye").unwrap();
        });
        let mut stream = TcpStream::connect(addr).unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"bye");
    });
}

#[test]
fn udp_recv_parks_until_a_datagram_arrives() {
    let rt = Runtime::new().unwrap();
    rt.block_on(|| {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let replier = spawn(move || {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(&buf[..n], from).unwrap();
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(addr).unwrap();
        client.send(b"datagram").unwrap();
        let mut buf = [0u8; 64];
        let n = client.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"datagram");
        replier.join().unwrap();
    });
}

#[test]
fn sockets_outside_a_runtime_are_an_error() {
    let err = TcpListener::bind("127.0.0.1:0").unwrap_err();
    assert!(err.to_string().contains("inside a fiber runtime"), "{err}");
}
