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
unsafe fn pump<const FP_CONTROL: bool>(pp: *mut PingPong, caller_side: bool, iters: u64) {
    for _ in 0..iters {
        // SAFETY: see the function's contract; the other side is suspended
        // at the pointer in its slot, on a stack that is still mapped.
        unsafe {
            let (save, resume) = if caller_side {
                (&raw mut (*pp).caller, (*pp).fiber)
            } else {
                (&raw mut (*pp).fiber, (*pp).caller)
            };
            if FP_CONTROL {
                arch::switch(save, resume);
            } else {
                arch::switch_without_fp_control(save, resume);
            }
        }
    }
}

/// The fiber's body: switch back to the caller, forever.
///
/// # Safety
///
/// `arg` is the `PingPong` that `switch_round_trips` keeps alive (and
/// pinned in a box) for as long as this fiber can run.
unsafe extern "C" fn bounce<const FP_CONTROL: bool>(arg: *mut u8) -> ! {
    loop {
        // SAFETY: see the function's contract; the caller is suspended.
        unsafe { pump::<FP_CONTROL>(arg.cast(), false, u64::MAX) };
    }
}

/// Times `iters` round trips (switch into a fiber and back) with the
/// default switch, which saves the FP control words.
#[doc(hidden)]
pub fn switch_round_trips(iters: u64) -> io::Result<Duration> {
    round_trips::<true>(iters)
}

/// Times `iters` round trips with the switch of runtimes built with
/// `preserve_fp_control(false)`.
#[doc(hidden)]
pub fn switch_round_trips_without_fp_control(iters: u64) -> io::Result<Duration> {
    round_trips::<false>(iters)
}

fn round_trips<const FP_CONTROL: bool>(iters: u64) -> io::Result<Duration> {
    let stack = FiberStack::new(MIN_STACK_SIZE)?;
    let mut pp = Box::new(PingPong {
        caller: std::ptr::null_mut(),
        fiber: std::ptr::null_mut(),
    });
    let arg = (&raw mut *pp).cast::<u8>();
    // SAFETY: the top of a fresh stack we own; `bounce` gets the boxed
    // PingPong, which outlives every switch below.
    pp.fiber = unsafe { arch::init_stack(stack.top().as_ptr(), bounce::<FP_CONTROL>, arg) };
    // The first switch starts the fiber (off the clock).
    // SAFETY: the fiber is at its initial frame; `pp` is live.
    unsafe { pump::<FP_CONTROL>(&raw mut *pp, true, 1) };
    let start = Instant::now();
    // SAFETY: the fiber is suspended in `pump`; `pp` is live.
    unsafe { pump::<FP_CONTROL>(&raw mut *pp, true, iters) };
    let elapsed = start.elapsed();
    // The fiber stays suspended in `pump`, which owns nothing: dropping its
    // stack loses no destructor.
    drop(stack);
    Ok(elapsed)
}
