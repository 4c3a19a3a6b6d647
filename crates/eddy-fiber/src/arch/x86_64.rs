//! The x86_64 (System V) context switch.
//!
//! Callee-saved state under the System V ABI: `rsp`, `rbx`, `rbp`,
//! `r12`–`r15`, the control bits of `MXCSR` (SSE rounding mode, exception
//! masks) and the x87 control word.
//!
//! The work is split in two, as corosensei does, so that only registers
//! that hold live values are saved:
//!
//! * [`switch`] is an `#[inline(always)]` wrapper whose `asm!` block calls
//!   the naked function and tells the compiler that `r12`–`r15` and every
//!   caller-saved register (`clobber_abi("C")`) come back changed. The
//!   compiler then keeps across the switch only what the calling code
//!   still needs, spilled in the caller's own frame, instead of the naked
//!   function saving all six callee-saved registers on every switch.
//! * [`switch_fp`] (the naked function) saves what the compiler cannot be
//!   told about: `rbx` and `rbp` (LLVM reserves both, they cannot appear
//!   in an `asm!` clobber list) and the FP control words, swaps stack
//!   pointers, and restores the other side's.
//!
//! Stack layout of a **fresh** stack, as written by `init_stack` (addresses
//! grow upwards, `top` is 16-byte aligned):
//!
//! ```text
//!  top        +---------------------------+
//!             | 0 (padding)               |  sp + 40
//!             | entry                     |  sp + 32: the trampoline calls
//!             |                           |    [rsp] with rsp % 16 == 0
//!             | return address:           |  sp + 24: the naked function
//!             |   trampoline              |    `ret`s here
//!             | rbp = 0                   |  sp + 16: end of the frame chain
//!             | rbx = arg                 |  sp + 8: trampoline: rdi = rbx
//!             | MXCSR 0x1F80 | x87 0x037F |  sp + 0: the default FP environment
//!  sp         +---------------------------+
//! ```
//!
//! A **running** context uses its stack freely; the `call` in [`switch`]
//! pushes its return address like any call.
//!
//! A **suspended** context (after the naked function saved it):
//!
//! ```text
//!             | ... frames of the context |  (its live r12-r15 and other
//!             |                           |   values spilled by the compiler)
//!             +---------------------------+
//!             | return address: after the |  sp + 24
//!             |   `call` in `switch`      |
//!             | rbp                       |  sp + 16
//!             | rbx                       |  sp + 8
//!             | MXCSR | x87 CW | padding  |  sp + 0
//!  saved sp   +---------------------------+  (16-byte aligned)
//! ```
//!
//! # Return prediction
//!
//! The naked function is entered by a `call` in one context and leaves by a
//! `ret` in another, to the return address *that* context pushed. The CPU
//! predicts the `ret` from its return-address stack, i.e. the address pushed
//! by the `call` that entered: the prediction is right exactly when both
//! contexts switched from the same call site. The scheduler makes every
//! switch of a runtime from one place (`Scheduler::switch_to_next`), so its
//! switches are predicted. (Measured in alternating runs of `cargo bench -p
//! eddy-fiber --bench fibers`: yield between two fibers 40-53 ns with `ret`,
//! 82-89 ns with `pop` + `jmp`, which breaks the pairing of later returns.)

use core::arch::{asm, naked_asm};

use super::Entry;

/// Bytes below `top` used by the frame `init_stack` writes.
pub(crate) const INITIAL_FRAME_SIZE: usize = 48;

/// MXCSR at process start: round to nearest, all exceptions masked.
const DEFAULT_MXCSR: u32 = 0x1F80;
/// x87 control word at process start: 64-bit precision, round to nearest,
/// all exceptions masked.
const DEFAULT_X87_CW: u16 = 0x037F;

/// Saves the running context, stores its stack pointer in `*save`, and
/// resumes the context suspended at `resume`, with its FP control words.
///
/// # Safety
///
/// `save` must be valid for a pointer-sized write. `resume` must be a stack
/// pointer produced by `init_stack` or stored by an earlier switch of the
/// same kind, whose context has not been resumed since, on a stack that is
/// still mapped. The caller must not unwind through this function (nothing
/// here can panic).
#[inline(always)]
pub(crate) unsafe fn switch(save: *mut *mut u8, resume: *mut u8) {
    // `switch_fp` takes `save` in rdi and `resume` in rsi, saves and
    // restores rbx, rbp and the FP control words itself, and returns (in
    // the resumed context) with every other register holding that
    // context's values: r12-r15 and all caller-saved registers are
    // declared clobbered, so the compiler keeps nothing live in them. The
    // stack is 16-byte aligned at the start of an `asm!` block that may
    // use the stack, as a `call` requires; `switch_fp` pushes no more than
    // it pops.
    // SAFETY: the register contract above holds; the caller's contract
    // covers `save` and `resume`.
    unsafe {
        asm!(
            "call {switch}",
            switch = sym switch_fp,
            in("rdi") save,
            in("rsi") resume,
            lateout("r12") _, lateout("r13") _, lateout("r14") _, lateout("r15") _,
            clobber_abi("C"),
        )
    }
}

/// [`switch`] without the FP control words: MXCSR and the x87 control
/// word stay whatever the thread has, so a context that changes them
/// changes them for every context resumed after it. The frame layout is
/// the same (the FP slot is reserved but neither written nor read), so
/// `init_stack` serves both. Used by runtimes built with
/// `preserve_fp_control(false)`, whose fibers promise not to change them.
///
/// # Safety
///
/// As for [`switch`]; in addition, neither context may rely on its MXCSR
/// control bits or x87 control word surviving the switch.
#[inline(always)]
pub(crate) unsafe fn switch_without_fp_control(save: *mut *mut u8, resume: *mut u8) {
    // SAFETY: as in `switch`, with `switch_no_fp`, which has the same
    // register contract minus the FP control words (the caller's
    // additional contract).
    unsafe {
        asm!(
            "call {switch}",
            switch = sym switch_no_fp,
            in("rdi") save,
            in("rsi") resume,
            lateout("r12") _, lateout("r13") _, lateout("r14") _, lateout("r15") _,
            clobber_abi("C"),
        )
    }
}

/// The naked half of [`switch`]. Custom convention: `save` in rdi,
/// `resume` in rsi; preserves rbx, rbp, rsp and the FP control words
/// across the switch and nothing else.
///
/// # Safety
///
/// Only called from the `asm!` in [`switch`], under its contract.
#[unsafe(naked)]
unsafe extern "C" fn switch_fp() {
    // SAFETY: on entry rsp % 16 == 8 (the call pushed the return address
    // onto a 16-byte aligned stack); after two pushes and `sub rsp, 8` it
    // is 16-byte aligned, matching the frames drawn above. rdi and rsi are
    // only read. MXCSR and the x87 control word are loaded unconditionally
    // from the resumed frame: `ldmxcsr`/`fldcw` are cheap (~0.5 ns in a
    // throughput loop on this machine's AMD EPYC) while comparing first
    // means reading back the value `stmxcsr` just stored, a slow
    // store-to-load forward (13.1 -> 10.5 ns per round trip, see the
    // README). Loading MXCSR also loads the resumed side's status flags;
    // those are caller-saved, so that is allowed. The direction flag is
    // clear on both sides (ABI invariant at every call).
    naked_asm!(
        "push rbp",         // save the frame pointer (LLVM-reserved)
        "push rbx",         // save rbx (LLVM-reserved)
        "sub rsp, 8",       // room for the FP control words
        "stmxcsr [rsp]",    // save MXCSR (SSE rounding mode, masks)
        "fnstcw [rsp + 4]", // save the x87 control word
        "mov [rdi], rsp",   // publish our stack pointer: we are suspended
        "mov rsp, rsi",     // switch to the stack of the resumed context
        "ldmxcsr [rsp]",    // restore its MXCSR (cheap, unlike stmxcsr)
        "fldcw [rsp + 4]",  // restore its x87 control word
        "add rsp, 8",       // drop the FP control word slot
        "pop rbx",          // restore rbx (on a fresh stack: arg)
        "pop rbp",          // restore its frame pointer
        "ret",              // after its `call`, or into the trampoline
    )
}

/// The naked half of [`switch_without_fp_control`]: as [`switch_fp`] but
/// leaves MXCSR and the x87 control word alone.
///
/// # Safety
///
/// Only called from the `asm!` in [`switch_without_fp_control`].
#[unsafe(naked)]
unsafe extern "C" fn switch_no_fp() {
    // SAFETY: as in `switch_fp`, minus the FP control words, which no
    // instruction here reads or writes.
    naked_asm!(
        "push rbp",       // save the frame pointer (LLVM-reserved)
        "push rbx",       // save rbx (LLVM-reserved)
        "sub rsp, 8",     // the (unused) FP control word slot: same layout
        "mov [rdi], rsp", // publish our stack pointer: we are suspended
        "mov rsp, rsi",   // switch to the stack of the resumed context
        "add rsp, 8",     // skip its FP control word slot
        "pop rbx",        // restore rbx (on a fresh stack: arg)
        "pop rbp",        // restore its frame pointer
        "ret",            // after its `call`, or into the trampoline
    )
}

/// The first code a fresh stack runs: calls `entry(arg)` with `arg` from
/// rbx and `entry` from the top of the stack. `entry` never returns.
#[unsafe(naked)]
unsafe extern "C" fn trampoline() -> ! {
    // SAFETY: only ever reached through the `ret` of a naked switch on a
    // frame written by `init_stack`, so rbx = arg, [rsp] = entry and
    // rsp % 16 == 0, which makes the `call` below ABI-conformant.
    naked_asm!(
        "mov rdi, rbx",         // first argument: arg
        "call qword ptr [rsp]", // entry(arg); it never returns
        "ud2",                  // unreachable: trap if it ever did
    )
}

/// Writes the initial frame below `top` so that the first switch to the
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
    let frame: [u64; INITIAL_FRAME_SIZE / 8] = [
        fp_words,                                // sp + 0: MXCSR | x87 control word
        arg as usize as u64,                     // sp + 8: rbx
        0,                                       // sp + 16: rbp, end of the frame chain
        trampoline as *const () as usize as u64, // sp + 24: return address
        entry as usize as u64,                   // sp + 32: called by the trampoline
        0,                                       // sp + 40: padding
    ];
    // SAFETY: the caller guarantees the 48 bytes below `top` are writable
    // and unused; `sp` is 16-byte aligned because `top` is.
    unsafe { sp.cast::<[u64; INITIAL_FRAME_SIZE / 8]>().write(frame) };
    sp.cast()
}
