//! Hidden: the bare context switch, timed without the scheduler, so the
//! benchmarks can compare it with corosensei's `resume` + `suspend`.

use std::io;
use std::time::{Duration, Instant};

use crate::arch;
use crate::stack::{FiberStack, MIN_STACK_SIZE, Stack};

/// The two saved stack pointers of a ping-pong between the caller and a
/// fiber that switches straight back.
struct PingPong {
    caller: *mut u8,
    fiber: *mut u8,
}

/// The fiber's body: switch back to the caller, forever.
///
/// # Safety
///
/// `arg` is the `PingPong` that `switch_round_trips` keeps alive (and
/// pinned in a box) for as long as this fiber can run.
unsafe extern "C" fn bounce(arg: *mut u8) -> ! {
    let pp = arg.cast::<PingPong>();
    loop {
        // SAFETY: see the function's contract; `caller` was saved by the
        // switch that resumed us.
        unsafe { arch::switch(&raw mut (*pp).fiber, (*pp).caller) };
    }
}

/// Times `iters` round trips (switch into a fiber and back).
#[doc(hidden)]
pub fn switch_round_trips(iters: u64) -> io::Result<Duration> {
    let stack = FiberStack::new(MIN_STACK_SIZE)?;
    let mut pp = Box::new(PingPong {
        caller: std::ptr::null_mut(),
        fiber: std::ptr::null_mut(),
    });
    let arg = (&raw mut *pp).cast::<u8>();
    // SAFETY: the top of a fresh stack we own; `bounce` gets the boxed
    // PingPong, which outlives every switch below.
    pp.fiber = unsafe { arch::init_stack(stack.top().as_ptr(), bounce, arg) };
    let start = Instant::now();
    for _ in 0..iters {
        // SAFETY: `fiber` is the pointer the fiber saved (or its initial
        // frame); it is suspended, and its stack is alive.
        unsafe { arch::switch(&raw mut pp.caller, pp.fiber) };
    }
    let elapsed = start.elapsed();
    // The fiber stays suspended in `bounce`, which owns nothing: dropping
    // its stack loses no destructor.
    drop(stack);
    Ok(elapsed)
}
