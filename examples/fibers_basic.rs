//! The book's first fiber program ("c-fibers"): two fibers count, yielding
//! to each other after every step.
//!
//! Fiber 1 counts 0..=9, fiber 2 counts 0..=14; each prints and yields, so
//! their lines interleave until fiber 1 finishes at 9 and fiber 2 goes on
//! alone to 14. Unlike the book's version (a fixed array of four stacks, a
//! hand-written switch and a global runtime pointer), this runs on
//! eddy-fiber: guarded, pooled stacks and a scheduler with timers and I/O.
//!
//! Run: `cargo run --release --example fibers_basic`

fn count(id: u32, to: u32) {
    println!("THREAD {id} STARTING");
    for i in 0..to {
        println!("thread: {id} counter: {i}");
        eddy_fiber::yield_now();
    }
    println!("THREAD {id} FINISHED");
}

fn main() -> std::io::Result<()> {
    let runtime = eddy_fiber::Runtime::new()?;
    runtime.block_on(|| {
        let first = eddy_fiber::spawn(|| count(1, 10));
        let second = eddy_fiber::spawn(|| count(2, 15));
        first.join().expect("fiber 1 panicked");
        second.join().expect("fiber 2 panicked");
    });
    Ok(())
}
