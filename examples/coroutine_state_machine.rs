//! A coroutine written by hand: what `async fn` compiles to.
//!
//! `async_main` below would be, with async/await:
//!
//! ```ignore
//! async fn async_main(addr: SocketAddr) -> io::Result<()> {
//!     println!("Program starting");
//!     let txt = http_get(addr, "/600/HelloWorld1").await?;
//!     println!("{txt}");
//!     let txt = http_get(addr, "/400/HelloWorld2").await?;
//!     println!("{txt}");
//!     Ok(())
//! }
//! ```
//!
//! Here it is instead a `Future` state machine, [`Coroutine`], with one
//! state per `.await` point; its leaf future, [`HttpGet`], is a state
//! machine too (connect, write the request, read the response). Nothing in
//! this file uses `async` or `.await`: the runtime only ever calls `poll`.
//!
//! The two requests run one after the other, so the program takes about
//! 600 + 400 = 1000 ms. It starts its own delay server unless `--addr` is
//! given; `--scale 0.2` shortens every delay (for tests).
//!
//! Run: `cargo run --release --example coroutine_state_machine`

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use clap::Parser;
use eddy::io::{AsyncRead, AsyncWrite};
use eddy::net::TcpStream;
use eddy_examples::response_complete;

#[derive(Parser, Debug)]
#[command(about = "Two HTTP GETs from a hand-written Future state machine")]
struct Args {
    /// Use a delay server already running here instead of starting one.
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Multiply every delay by this factor (1.0 = the book's 600 and 400 ms).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
}

/// The two `.await` points of `async_main` become four states.
enum State {
    /// Not started: print the banner and start the first request.
    Start,
    /// Waiting for the first response.
    Wait1(HttpGet),
    /// Waiting for the second response.
    Wait2(HttpGet),
    /// Done; polling again is a bug.
    Resolved,
}

/// `async_main` as a state machine.
struct Coroutine {
    addr: SocketAddr,
    delays_ms: [u64; 2],
    state: State,
}

impl Future for Coroutine {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // `Coroutine` is `Unpin` (all its fields are), so we may use it by `&mut`.
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Start => {
                    println!("Program starting");
                    let path = format!("/{}/HelloWorld1", this.delays_ms[0]);
                    this.state = State::Wait1(HttpGet::new(this.addr, path));
                }
                State::Wait1(get) => match Pin::new(get).poll(cx) {
                    Poll::Ready(Ok(txt)) => {
                        println!("{txt}");
                        let path = format!("/{}/HelloWorld2", this.delays_ms[1]);
                        this.state = State::Wait2(HttpGet::new(this.addr, path));
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                State::Wait2(get) => match Pin::new(get).poll(cx) {
                    Poll::Ready(Ok(txt)) => {
                        println!("{txt}");
                        this.state = State::Resolved;
                        return Poll::Ready(Ok(()));
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                State::Resolved => panic!("Coroutine polled after it completed"),
            }
        }
    }
}

/// A future connecting to the server, sending a GET and reading the whole
/// response (its headers and `Content-Length` bytes of body, or up to
/// end-of-file).
struct HttpGet {
    request: Vec<u8>,
    step: Step,
}

enum Step {
    /// Connecting: the runtime's connect future is itself a leaf we poll.
    Connecting(Pin<Box<dyn Future<Output = io::Result<TcpStream>>>>),
    /// Sending the request; `written` bytes are out.
    Writing { stream: TcpStream, written: usize },
    /// Reading the response until it is complete.
    Reading {
        stream: TcpStream,
        response: Vec<u8>,
    },
    /// Finished.
    Done,
}

impl HttpGet {
    fn new(addr: SocketAddr, path: String) -> HttpGet {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .into_bytes();
        HttpGet {
            request,
            step: Step::Connecting(Box::pin(TcpStream::connect(addr))),
        }
    }
}

impl Future for HttpGet {
    type Output = io::Result<String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<String>> {
        let this = &mut *self;
        loop {
            match &mut this.step {
                Step::Connecting(connect) => match connect.as_mut().poll(cx) {
                    Poll::Ready(Ok(stream)) => {
                        this.step = Step::Writing { stream, written: 0 };
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                Step::Writing { stream, written } => {
                    if *written == this.request.len() {
                        let Step::Writing { stream, .. } =
                            std::mem::replace(&mut this.step, Step::Done)
                        else {
                            unreachable!("matched Writing above")
                        };
                        this.step = Step::Reading {
                            stream,
                            response: Vec::new(),
                        };
                        continue;
                    }
                    match Pin::new(stream).poll_write(cx, &this.request[*written..]) {
                        Poll::Ready(Ok(0)) => {
                            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                        }
                        Poll::Ready(Ok(n)) => *written += n,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Step::Reading { stream, response } => {
                    let mut buf = [0u8; 4096];
                    match Pin::new(stream).poll_read(cx, &mut buf) {
                        Poll::Ready(Ok(0)) => {
                            let text = String::from_utf8_lossy(response).into_owned();
                            this.step = Step::Done;
                            return Poll::Ready(Ok(text));
                        }
                        Poll::Ready(Ok(n)) => {
                            response.extend_from_slice(&buf[..n]);
                            match response_complete(response) {
                                Ok(true) => {
                                    let text = String::from_utf8_lossy(response).into_owned();
                                    this.step = Step::Done;
                                    return Poll::Ready(Ok(text));
                                }
                                Ok(false) => {}
                                Err(e) => {
                                    this.step = Step::Done;
                                    return Poll::Ready(Err(e));
                                }
                            }
                        }
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Step::Done => panic!("HttpGet polled after it completed"),
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // Keep the server handle alive for the whole run.
    let (addr, _server) = match args.addr {
        Some(addr) => (addr, None),
        None => {
            let server = delayserver::Server::bind("127.0.0.1:0".parse()?)?
                .quiet(true)
                .spawn();
            (server.local_addr(), Some(server))
        }
    };
    let scaled = |ms: f64| (ms * args.scale).round() as u64;
    let coroutine = Coroutine {
        addr,
        delays_ms: [scaled(600.0), scaled(400.0)],
        state: State::Start,
    };
    let rt = eddy::runtime::Builder::new_current_thread().build()?;
    let start = Instant::now();
    rt.block_on(coroutine)?;
    println!("Elapsed: {} ms", start.elapsed().as_millis());
    Ok(())
}
