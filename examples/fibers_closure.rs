//! The book's second fiber program ("d-fibers-closure"): fibers are
//! closures that capture their environment, and a fiber can spawn more.
//!
//! The first fiber prints, yields, and prints again; the second spawns a
//! nested fiber and waits for it. Every fiber returns a value through its
//! join handle, which the book's version could not do, and reports when it
//! finishes.
//!
//! Run: `cargo run --release --example fibers_closure`

use eddy_fiber::{current, yield_now};

/// Runs `body` in a named fiber that announces its end, like the book's
/// `guard` function printing "THREAD n FINISHED."
fn fiber<T: 'static>(name: &str, body: impl FnOnce() -> T + 'static) -> eddy_fiber::JoinHandle<T> {
    eddy_fiber::Builder::new()
        .name(name)
        .spawn(move || {
            let value = body();
            println!("FIBER {} FINISHED.", current().name().unwrap_or("?"));
            value
        })
        .expect("map a fiber stack")
}

fn main() -> std::io::Result<()> {
    let runtime = eddy_fiber::Runtime::new()?;
    let greeting = String::from("I haven't implemented a timer in this example.");
    let total = runtime.block_on(move || {
        let first = fiber("1", move || {
            println!("{greeting}");
            yield_now();
            println!("Finally, notice how the tasks are executed concurrently.");
            1
        });
        let second = fiber("2", || {
            println!("But we can still nest tasks...");
            let nested = fiber("3", || {
                println!("...like this!");
                40
            });
            nested.join().expect("fiber 3 panicked") + 1
        });
        first.join().expect("fiber 1 panicked") + second.join().expect("fiber 2 panicked")
    });
    println!("The fibers returned {total} in all.");
    Ok(())
}
