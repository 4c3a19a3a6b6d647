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

/// Switches `iters` times from `*save`'s side to the other. Both sides run
/// this same loop, so every switch is made from one call site (as in the
/// scheduler) and its `ret` is predicted (see `arch::x86_64`).
///
/// # Safety
///
/// `pp` is a live `PingPong` whose other slot holds the stack pointer of
/// the suspended side; `caller_side` says which slot is ours.
#[inline(never)]
unsafe fn pump(pp: *mut PingPong, caller_side: bool, iters: u64) {
    for _ in 0..iters {
        // SAFETY: see the function's contract; the other side is suspended
        // at the pointer in its slot, on a stack that is still mapped.
        unsafe {
            let (save, resume) = if caller_side {
                (&raw mut (*pp).caller, (*pp).fiber)
            } else {
                (&raw mut (*pp).fiber, (*pp).caller)
            };
            arch::switch(save, resume);
        }
    }
}

/// The fiber's body: switch back to the caller, forever.
///
/// # Safety
///
/// `arg` is the `PingPong` that `switch_round_trips` keeps alive (and
/// pinned in a box) for as long as this fiber can run.
unsafe extern "C" fn bounce(arg: *mut u8) -> ! {
    loop {
        // SAFETY: see the function's contract; the caller is suspended.
        unsafe { pump(arg.cast(), false, u64::MAX) };
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
    // The first switch starts the fiber (off the clock).
    // SAFETY: the fiber is at its initial frame; `pp` is live.
    unsafe { pump(&raw mut *pp, true, 1) };
    let start = Instant::now();
    // SAFETY: the fiber is suspended in `pump`; `pp` is live.
    unsafe { pump(&raw mut *pp, true, iters) };
    let elapsed = start.elapsed();
    // The fiber stays suspended in `pump`, which owns nothing: dropping its
    // stack loses no destructor.
    drop(stack);
    Ok(elapsed)
}
