//! Hidden: the bare context switch, timed without the scheduler, so the
//! benchmarks can compare it with corosensei's `resume` + `suspend`.

use std::io;
use std::time::{Duration, Instant};

use crate::arch;
use crate::stack::{FiberStack, MIN_STACK_SIZE, Stack};

/// The two saved stack pointers of a ping-pong between the caller and a
/// fiber that switches straight back (`slots[0]` the caller's, `slots[1]`
/// the fiber's), and how many switches each side has left to make.
/// 16-byte aligned, so the two slots differ only in bit 3 of their address.
#[repr(C, align(16))]
struct PingPong {
    slots: [*mut u8; 2],
    left: [u64; 2],
}

/// Switches from the side whose slot is `save` to the other until that
/// side's count of switches left is zero. Both sides run this same loop, so
/// every switch is made from one call site (as in the scheduler) and its
/// `ret` is predicted (see `arch::x86_64`). Only two registers survive a
/// switch; they hold `save` and the other side's slot, and the count lives
/// in memory, so loading the stack pointer to resume takes one load.
///
/// # Safety
///
/// `save` points to a slot of a live `PingPong` whose other slot holds the
/// stack pointer of the suspended side.
#[inline(never)]
unsafe fn pump<const FP_CONTROL: bool>(save: *mut *mut u8) {
    let other = save.map_addr(|a| a ^ 8);
    // SAFETY: `left[i]` is 16 bytes after `slots[i]` in the same `PingPong`.
    let left = unsafe { save.byte_add(16) }.cast::<u64>();
    // SAFETY: see the function's contract; the other side is suspended at
    // the pointer in its slot, on a stack that is still mapped.
    unsafe {
        while *left != 0 {
            *left -= 1;
            if FP_CONTROL {
                arch::switch(save, *other);
            } else {
                arch::switch_without_fp_control(save, *other);
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
        unsafe { pump::<FP_CONTROL>(&raw mut (*arg.cast::<PingPong>()).slots[1]) };
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
    // One raw pointer for both sides (no borrow of the box while the fiber
    // holds its copy); freed below.
    let pp: *mut PingPong = Box::into_raw(Box::new(PingPong {
        slots: [std::ptr::null_mut(); 2],
        left: [0, u64::MAX],
    }));
    // SAFETY: `pp` is the live allocation made just above; the top of a
    // fresh stack we own; `bounce` gets `pp`, which outlives every switch
    // below.
    let (caller, fiber) = unsafe { (&raw mut (*pp).slots[0], &raw mut (*pp).slots[1]) };
    // SAFETY: as above.
    unsafe { *fiber = arch::init_stack(stack.top().as_ptr(), bounce::<FP_CONTROL>, pp.cast()) };
    // The first switch starts the fiber (off the clock).
    // SAFETY: the fiber is at its initial frame; `pp` is live.
    unsafe {
        (*pp).left[0] = 1;
        pump::<FP_CONTROL>(caller);
    }
    let start = Instant::now();
    // SAFETY: the fiber is suspended in `pump`; `pp` is live.
    unsafe {
        (*pp).left[0] = iters;
        pump::<FP_CONTROL>(caller);
    }
    let elapsed = start.elapsed();
    // The fiber stays suspended in `pump`, which owns nothing: dropping its
    // stack loses no destructor.
    drop(stack);
    // SAFETY: made by `Box::into_raw` above; the fiber that used it is gone.
    drop(unsafe { Box::from_raw(pp) });
    Ok(elapsed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_switches_round_trip() {
        assert!(super::switch_round_trips(1000).is_ok());
        assert!(super::switch_round_trips_without_fp_control(1000).is_ok());
    }
}
