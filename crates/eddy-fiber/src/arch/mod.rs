//! The context switch, one file per CPU architecture.
//!
//! Every architecture module exports the same names, and the portable code
//! uses nothing else (it never contains `asm!`):
//!
//! * `switch(save, resume)`: a naked function (on x86_64, an inline `asm!`
//!   calling one, see there). Saves the callee-saved
//!   registers and the floating-point control word(s) of the running context
//!   on its own stack, stores that stack pointer in `*save`, loads `resume` as
//!   the new stack pointer and restores the context saved there. It "returns"
//!   into the context that was suspended at `resume`.
//! * `switch_without_fp_control(save, resume)`: the same, minus the
//!   floating-point control word(s), in the same frame layout (for runtimes
//!   built with `preserve_fp_control(false)`; a runtime uses one or the
//!   other for all its switches, so each `ret` returns to the call site its
//!   `call` came from).
//! * `init_stack(top, entry, arg)`: writes the frame that makes the first
//!   `switch` to a fresh stack call `entry(arg)` on it; returns the stack
//!   pointer to pass to `switch`. `entry` must never return.
//! * `INITIAL_FRAME_SIZE`: how many bytes below `top` that frame uses.
//!
//! Each file opens with drawings of the stack layout.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub(crate) use x86_64::*;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub(crate) use aarch64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!(
    "eddy-fiber has a context switch for x86_64 and aarch64 only: add src/arch/<arch>.rs \
     exporting `switch`, `init_stack` and `INITIAL_FRAME_SIZE` to port it"
);

/// What a fiber's first instructions call: `entry(arg)`, never returning.
pub(crate) type Entry = unsafe extern "C" fn(arg: *mut u8) -> !;
