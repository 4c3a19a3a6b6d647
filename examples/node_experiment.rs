//! "The Node Experiment" (Carl Fredrik Samson): the book's `javascript()`
//! program, on eddy-node's real Node-style loop.
//!
//! File reads and an "encrypt" task go to the thread pool, timers of 0, 1000
//! and 3000 ms (and one nested 500 ms timer) to the timer heap, and a slow
//! HTTP GET to a delay server embedded on an ephemeral port (2000 ms delay).
//! `--scale 0.05` shrinks every delay (tests use it).
//!
//! Run: `cargo run --release --example node_experiment [-- --scale 0.1]`

use std::cell::Cell;
use std::path::PathBuf;

use clap::Parser;
use eddy_node::timers::set_timeout;
use eddy_node::{fs, http, work};

#[derive(Parser, Debug)]
#[command(about = "The Node Experiment's program on eddy-node")]
struct Args {
    /// Multiply every delay by this factor (timers and the web call).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
}

thread_local! {
    static SCALE: Cell<f64> = const { Cell::new(1.0) };
}

fn ms(delay: u64) -> u64 {
    (delay as f64 * SCALE.with(Cell::get)).round() as u64
}

fn print(text: impl std::fmt::Display) {
    println!(
        "Thread: {}\t {text}",
        std::thread::current().name().unwrap_or("?")
    );
}

fn print_content(text: impl std::fmt::Display, descr: &str) {
    println!(
        "\n===== THREAD {} START CONTENT - {} =====",
        std::thread::current().name().unwrap_or("?"),
        descr.to_uppercase()
    );
    println!("{text}");
    println!("===== END CONTENT =====\n");
}

/// The book's "magic number": the n-th Fibonacci number, computed slowly
/// on purpose (it stands for CPU-heavy work on the pool).
fn fibonacci(n: usize) -> usize {
    if n < 2 {
        n
    } else {
        fibonacci(n - 1) + fibonacci(n - 2)
    }
}

/// The book's program, with `web` the delay server's address.
fn javascript(text_file: PathBuf, web: String) {
    print("First call to read test.txt");
    fs::read_file(text_file.clone(), |result| {
        let text = String::from_utf8_lossy(&result.expect("read test.txt")).into_owned();
        let len = text.len();
        print(format!("First count: {len} characters."));

        print(r#"I want to create a "magic" number based on the text."#);
        work::queue_work(
            move || Ok(fibonacci(len)),
            |result| {
                print(format!(
                    r#""Encrypted" number is: {}"#,
                    result.expect("encrypt")
                ))
            },
        );
    });

    print("Registering immediate timeout 1");
    set_timeout(0, || print("Immediate1 timed out"));
    print("Registering immediate timeout 2");
    set_timeout(0, || print("Immediate2 timed out"));

    print("Second call to read test.txt");
    fs::read_file(text_file.clone(), move |result| {
        let len = result.expect("read test.txt").len();
        print(format!("Second count: {len} characters."));

        print("Third call to read test.txt");
        fs::read_file(text_file, |result| {
            let text = String::from_utf8_lossy(&result.expect("read test.txt")).into_owned();
            print_content(text.trim_end(), "file read");
        });
    });

    print("Registering a 3000 and a 500 ms timeout");
    set_timeout(ms(3000), || {
        print("3000ms timer timed out");
        set_timeout(ms(500), || print("500ms timer(nested) timed out"));
    });

    print("Registering a 1000 ms timeout");
    set_timeout(ms(1000), || print("SETTIMEOUT"));

    print("Registering http get request to google.com");
    let url = format!("http://{web}/{}/HelloWorld", ms(2000));
    http::get(&url, |result| {
        let response = result.expect("the delay server answers");
        print_content(
            format!("HTTP/1.1 {}\n{}", response.status, response.text()),
            "web call",
        );
    });
}

fn main() {
    let args = Args::parse();
    if !(args.scale.is_finite() && args.scale >= 0.0) {
        eprintln!("--scale must be a non-negative number");
        std::process::exit(2);
    }
    SCALE.with(|s| s.set(args.scale));

    let server = delayserver::Server::bind("127.0.0.1:0".parse().expect("a valid address"))
        .expect("bind the delay server")
        .quiet(true)
        .spawn();
    let web = server.local_addr().to_string();

    let text_file =
        std::env::temp_dir().join(format!("eddy-node-experiment-{}.txt", std::process::id()));
    std::fs::write(&text_file, "Hello world! This is a text to encrypt!").expect("write test.txt");

    // The loop runs on a thread named "main" as in the book's output.
    let path = text_file.clone();
    let result = std::thread::Builder::new()
        .name("main".into())
        .spawn(move || eddy_node::run(move || javascript(path, web)))
        .expect("start the loop thread")
        .join()
        .expect("the loop thread does not panic");
    let _ = std::fs::remove_file(&text_file);
    let _ = server.shutdown();
    if let Err(err) = result {
        eprintln!("{err}");
        std::process::exit(1);
    }
    print("FINISHED");
}
