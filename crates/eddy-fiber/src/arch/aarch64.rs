//! The aarch64 (AAPCS64) context switch.
//!
//! Callee-saved state under AAPCS64: `x19`–`x28`, the frame pointer `x29`,
//! the link register `x30` (where `switch` returns to), `sp`, the low halves
//! `d8`–`d15` of `v8`–`v15`, and the floating-point control register `FPCR`
//! (rounding mode, flush-to-zero). `switch` saves exactly these on the
//! suspended context's own stack.
//!
//! Stack layout of a **fresh** stack, as written by `init_stack` (addresses
//! grow upwards, `top` is 16-byte aligned):
//!
//! ```text
//!  top        +---------------------------+
//!             | 0, 0                      |  16 bytes: end of frame chain
//!  sp + 176   +---------------------------+
//!             | padding                   |  sp + 168
//!             | FPCR = 0 (defaults)       |  sp + 160
//!             | d8 .. d15 = 0             |  sp + 96 .. sp + 152
//!             | x29 = 0, x30 = trampoline |  sp + 80: `ret` jumps to x30
//!             | x27, x28 = 0              |  sp + 64
//!             | x25, x26 = 0              |  sp + 48
//!             | x23, x24 = 0              |  sp + 32
//!             | x21, x22 = 0              |  sp + 16
//!             | x19 = arg, x20 = entry    |  sp + 0: the trampoline's inputs
//!  sp         +---------------------------+
//! ```
//!
//! A **running** context uses its stack freely; `switch` is an ordinary
//! call (`bl`), so the return address is in `x30`, not on the stack.
//!
//! A **suspended** context has the same 176-byte frame at its saved stack
//! pointer, holding its real register values, with `x30` the address after
//! its `bl switch`.

use super::Entry;

/// Bytes below `top` used by the frame `init_stack` writes.
pub(crate) const INITIAL_FRAME_SIZE: usize = 192;

/// Saves the running context on its stack, stores its stack pointer in
/// `*save`, and resumes the context suspended at `resume`.
///
/// # Safety
///
/// `save` must be valid for a pointer-sized write. `resume` must be a stack
/// pointer produced by `init_stack` or stored by an earlier `switch`, whose
/// context has not been resumed since, on a stack that is still mapped. The
/// caller must not unwind through this function (nothing here can panic).
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn switch(save: *mut *mut u8, resume: *mut u8) {
    // SAFETY: AAPCS64 passes `save` in x0 and `resume` in x1; x9 is a
    // caller-saved scratch register. sp is 16-byte aligned at every call and
    // the frame is 176 bytes, so it stays aligned. Every callee-saved
    // register is reloaded from the resumed frame before `ret`.
    core::arch::naked_asm!(
        "sub sp, sp, #176",         // reserve the frame
        "stp x19, x20, [sp, #0]",   // save x19, x20
        "stp x21, x22, [sp, #16]",  // save x21, x22
        "stp x23, x24, [sp, #32]",  // save x23, x24
        "stp x25, x26, [sp, #48]",  // save x25, x26
        "stp x27, x28, [sp, #64]",  // save x27, x28
        "stp x29, x30, [sp, #80]",  // save frame pointer and return address
        "stp d8, d9, [sp, #96]",    // save d8, d9
        "stp d10, d11, [sp, #112]", // save d10, d11
        "stp d12, d13, [sp, #128]", // save d12, d13
        "stp d14, d15, [sp, #144]", // save d14, d15
        "mrs x9, fpcr",             // read the FP control register
        "str x9, [sp, #160]",       // save it
        "mov x9, sp",               // sp cannot be stored directly
        "str x9, [x0]",             // publish our stack pointer: suspended
        "mov sp, x1",               // switch to the resumed context's stack
        "ldr x9, [sp, #160]",       // its FPCR
        "msr fpcr, x9",             // restore it
        "ldp d14, d15, [sp, #144]", // restore d14, d15
        "ldp d12, d13, [sp, #128]", // restore d12, d13
        "ldp d10, d11, [sp, #112]", // restore d10, d11
        "ldp d8, d9, [sp, #96]",    // restore d8, d9
        "ldp x29, x30, [sp, #80]",  // restore frame pointer and return address
        "ldp x27, x28, [sp, #64]",  // restore x27, x28
        "ldp x25, x26, [sp, #48]",  // restore x25, x26
        "ldp x23, x24, [sp, #32]",  // restore x23, x24
        "ldp x21, x22, [sp, #16]",  // restore x21, x22
        "ldp x19, x20, [sp, #0]",   // restore x19, x20
        "add sp, sp, #176",         // pop the frame
        "ret",                      // jump to x30: after its `bl switch`, or the trampoline
    )
}

/// [`switch`] without `FPCR`: saves and restores the same callee-saved
/// registers (x19-x30, d8-d15) in the same frame layout (the FPCR slot is
/// reserved but neither written nor read), so `init_stack` serves both.
/// FPCR stays whatever the thread has. Used by runtimes built with
/// `preserve_fp_control(false)`, whose fibers promise not to change it.
///
/// # Safety
///
/// As for [`switch`]; in addition, neither context may rely on its FPCR
/// surviving the switch.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn switch_without_fp_control(save: *mut *mut u8, resume: *mut u8) {
    // SAFETY: as in `switch`: `save` in x0, `resume` in x1, x9 is scratch,
    // the 176-byte frame keeps sp 16-byte aligned, and every callee-saved
    // register is reloaded from the resumed frame before `ret`. FPCR is
    // deliberately left alone (the caller's contract above).
    core::arch::naked_asm!(
        "sub sp, sp, #176",         // reserve the frame
        "stp x19, x20, [sp, #0]",   // save x19, x20
        "stp x21, x22, [sp, #16]",  // save x21, x22
        "stp x23, x24, [sp, #32]",  // save x23, x24
        "stp x25, x26, [sp, #48]",  // save x25, x26
        "stp x27, x28, [sp, #64]",  // save x27, x28
        "stp x29, x30, [sp, #80]",  // save frame pointer and return address
        "stp d8, d9, [sp, #96]",    // save d8, d9
        "stp d10, d11, [sp, #112]", // save d10, d11
        "stp d12, d13, [sp, #128]", // save d12, d13
        "stp d14, d15, [sp, #144]", // save d14, d15
        "mov x9, sp",               // sp cannot be stored directly
        "str x9, [x0]",             // publish our stack pointer: suspended
        "mov sp, x1",               // switch to the resumed context's stack
        "ldp d14, d15, [sp, #144]", // restore d14, d15
        "ldp d12, d13, [sp, #128]", // restore d12, d13
        "ldp d10, d11, [sp, #112]", // restore d10, d11
        "ldp d8, d9, [sp, #96]",    // restore d8, d9
        "ldp x29, x30, [sp, #80]",  // restore frame pointer and return address
        "ldp x27, x28, [sp, #64]",  // restore x27, x28
        "ldp x25, x26, [sp, #48]",  // restore x25, x26
        "ldp x23, x24, [sp, #32]",  // restore x23, x24
        "ldp x21, x22, [sp, #16]",  // restore x21, x22
        "ldp x19, x20, [sp, #0]",   // restore x19, x20
        "add sp, sp, #176",         // pop the frame
        "ret",                      // jump to x30: after its `bl`, or the trampoline
    )
}

/// The first code a fresh stack runs: calls `entry(arg)` with the values
/// `init_stack` placed in x20 and x19. `entry` never returns.
#[unsafe(naked)]
unsafe extern "C" fn trampoline() -> ! {
    // SAFETY: only ever reached through the `ret` of `switch` on a frame
    // written by `init_stack`, so x19 = arg, x20 = entry, x29 = 0 and sp is
    // 16-byte aligned.
    core::arch::naked_asm!(
        "mov x0, x19", // first argument: arg
        "blr x20",     // entry(arg); it never returns
        "brk #1",      // unreachable: trap if it ever did
    )
}

/// Writes the initial frame below `top` so that the first `switch` to the
/// returned stack pointer runs `entry(arg)`.
///
/// # Safety
///
/// `top` must be 16-byte aligned, and the `INITIAL_FRAME_SIZE` bytes below
/// it must be writable memory of a stack no other context is using.
pub(crate) unsafe fn init_stack(top: *mut u8, entry: Entry, arg: *mut u8) -> *mut u8 {
    debug_assert_eq!(top as usize % 16, 0, "stack top must be 16-byte aligned");
    let sp = top.wrapping_sub(INITIAL_FRAME_SIZE) as *mut u64;
    let mut frame = [0u64; INITIAL_FRAME_SIZE / 8];
    frame[0] = arg as usize as u64; // x19
    frame[1] = entry as usize as u64; // x20
    frame[11] = trampoline as *const () as usize as u64; // x30 (x29 at [10] stays 0)
    // SAFETY: the caller guarantees the 192 bytes below `top` are writable
    // and unused; `sp` is 16-byte aligned because `top` is.
    unsafe { sp.cast::<[u64; INITIAL_FRAME_SIZE / 8]>().write(frame) };
    sp.cast()
}
