//! The x86_64 (System V) context switch.
//!
//! Callee-saved state under the System V ABI: `rsp`, `rbx`, `rbp`,
//! `r12`–`r15`, the control bits of `MXCSR` (SSE rounding mode, exception
//! masks) and the x87 control word. `switch` saves exactly these on the
//! suspended context's own stack; everything else is caller-saved, so the
//! Rust code calling `switch` has already spilled whatever it needs.
//!
//! Stack layout of a **fresh** stack, as written by `init_stack` (addresses
//! grow upwards, `top` is 16-byte aligned):
//!
//! ```text
//!  top        +---------------------------+
//!             | 0 (end of frame chain)    |  16 bytes, so the trampoline
//!             | 0                         |  starts with rsp % 16 == 0
//!  sp + 64    +---------------------------+
//!             | return address:           |  `switch` returns here
//!             |   trampoline              |
//!             | rbp = 0                   |  no caller frame
//!             | rbx = 0                   |
//!             | r12 = arg                 |  trampoline: rdi = r12
//!             | r13 = entry               |  trampoline: call r13
//!             | r14 = 0                   |
//!             | r15 = 0                   |
//!             | MXCSR 0x1F80 | x87 0x037F |  the default FP environment
//!  sp         +---------------------------+
//! ```
//!
//! A **running** context uses its stack freely below whatever it had; the
//! `switch` call pushes its return address like any call.
//!
//! A **suspended** context (after `switch` saved it) looks the same as a
//! fresh one, with real values:
//!
//! ```text
//!             | ... frames of the fiber   |
//!             +---------------------------+
//!             | return address into the  |  the instruction after the
//!             |   caller of `switch`      |  `call switch`
//!             | rbp rbx r12 r13 r14 r15   |  6 x 8 bytes
//!             | MXCSR | x87 CW | padding  |  8 bytes
//!  saved sp   +---------------------------+  (16-byte aligned)
//! ```

//! # Return prediction
//!
//! `switch` is entered by a `call` in one context and leaves by a `ret` in
//! another, to the return address *that* context pushed. The CPU predicts
//! the `ret` from its return-address stack, i.e. the address pushed by the
//! `call` that entered: the prediction is right exactly when both contexts
//! called `switch` from the same call site. The scheduler makes every
//! switch from one place (`Scheduler::switch_to_next`), so its switches are
//! predicted. (Measured in alternating runs of `cargo bench -p eddy-fiber
//! --bench fibers`: yield between two fibers 40-53 ns with `ret`, 82-89 ns
//! with `pop` + `jmp`, which breaks the pairing of later returns.)

use super::Entry;

/// Bytes below `top` used by the frame `init_stack` writes.
pub(crate) const INITIAL_FRAME_SIZE: usize = 80;

/// MXCSR at process start: round to nearest, all exceptions masked.
const DEFAULT_MXCSR: u32 = 0x1F80;
/// x87 control word at process start: 64-bit precision, round to nearest,
/// all exceptions masked.
const DEFAULT_X87_CW: u16 = 0x037F;

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
    // SAFETY: the System V ABI passes `save` in rdi and `resume` in rsi;
    // no other register is touched except those saved here. On entry rsp % 16 == 8 (the call
    // pushed the return address); after six pushes and `sub rsp, 8` it is
    // 16-byte aligned, as the frame layout above requires. Every register
    // the ABI makes callee-saved is restored from the resumed frame before
    // `ret`. MXCSR and the x87 control word are loaded unconditionally from
    // the resumed frame: `ldmxcsr`/`fldcw` cost ~0.5 ns each in a throughput loop
    // on this machine's AMD EPYC, while comparing
    // first means reading back the value `stmxcsr` just stored, a slow
    // store-to-load forward (13.1 -> 10.5 ns per round trip, see the README).
    // Loading MXCSR also loads the resumed side's status flags; those are
    // caller-saved, so that is allowed. The direction flag is clear on both
    // sides (ABI invariant at every call).
    core::arch::naked_asm!(
        "push rbp",         // save the frame pointer of the caller
        "push rbx",         // save callee-saved rbx
        "push r12",         // save callee-saved r12
        "push r13",         // save callee-saved r13
        "push r14",         // save callee-saved r14
        "push r15",         // save callee-saved r15
        "sub rsp, 8",       // room for the FP control words
        "stmxcsr [rsp]",    // save MXCSR (SSE rounding mode, masks)
        "fnstcw [rsp + 4]", // save the x87 control word
        "mov [rdi], rsp",   // publish our stack pointer: we are suspended
        "mov rsp, rsi",     // switch to the stack of the resumed context
        "ldmxcsr [rsp]",    // restore its MXCSR (cheap, unlike stmxcsr)
        "fldcw [rsp + 4]",  // restore its x87 control word
        "add rsp, 8",       // drop the FP control word slot
        "pop r15",          // restore r15
        "pop r14",          // restore r14
        "pop r13",          // restore r13
        "pop r12",          // restore r12
        "pop rbx",          // restore rbx
        "pop rbp",          // restore its frame pointer
        "ret",              // to the return address of its `call switch` (or the trampoline)
    )
}

/// The first code a fresh stack runs: calls `entry(arg)` with the values
/// `init_stack` placed in r13 and r12. `entry` never returns.
#[unsafe(naked)]
unsafe extern "C" fn trampoline() -> ! {
    // SAFETY: only ever reached through the `ret` of `switch` on a frame
    // written by `init_stack`, so r12 = arg, r13 = entry and rsp % 16 == 0,
    // which makes the `call` below ABI-conformant.
    core::arch::naked_asm!(
        "mov rdi, r12", // first argument: arg
        "call r13",     // entry(arg); it never returns
        "ud2",          // unreachable: trap if it ever did
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
    let fp_words = u64::from(DEFAULT_MXCSR) | (u64::from(DEFAULT_X87_CW) << 32);
    let frame: [u64; 10] = [
        fp_words,                                // sp + 0: MXCSR | x87 control word
        0,                                       // sp + 8: r15
        0,                                       // sp + 16: r14
        entry as usize as u64,                   // sp + 24: r13
        arg as usize as u64,                     // sp + 32: r12
        0,                                       // sp + 40: rbx
        0,                                       // sp + 48: rbp
        trampoline as *const () as usize as u64, // sp + 56: return address
        0,                                       // sp + 64: end of the frame chain
        0,                                       // sp + 72: padding
    ];
    // SAFETY: the caller guarantees the 80 bytes below `top` are writable
    // and unused; `sp` is 16-byte aligned because `top` is.
    unsafe { sp.cast::<[u64; 10]>().write(frame) };
    sp.cast()
}
