//! `fiber_echo --clients N`: N client fibers against the fiber echo server
//! in one process, every byte checked; the program ends by itself.

mod util;

#[test]
fn self_test_echoes_every_byte() {
    let (out, _) = util::run_example("fiber_echo", &["--clients", "300", "--rounds", "5"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // "client {id} round {r}\n" for id < 300, r < 5.
    let expected: usize = (0..300usize)
        .map(|id| {
            (0..5)
                .map(|r| format!("client {id} round {r}\n").len())
                .sum::<usize>()
        })
        .sum();
    assert!(
        stdout.contains(&format!(
            "300 clients x 5 rounds: {expected} bytes echoed and checked"
        )),
        "{stdout}"
    );
}

#[test]
fn serves_a_plain_std_client() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};

    let bin = util::example_bin("fiber_echo");
    let mut server = Command::new(bin)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first.trim().rsplit(' ').next().unwrap().to_string();
    let result = (|| -> std::io::Result<Vec<u8>> {
        let mut conn = std::net::TcpStream::connect(&addr)?;
        conn.write_all(b"ping over a blocking std socket")?;
        conn.shutdown(std::net::Shutdown::Write)?;
        let mut back = Vec::new();
        conn.read_to_end(&mut back)?;
        Ok(back)
    })();
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(result.unwrap(), b"ping over a blocking std socket");
}
