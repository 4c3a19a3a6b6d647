//! The context switch preserves what the ABI says it must: callee-saved
//! registers, values the compiler keeps in registers across calls, and each
//! fiber's floating-point rounding mode.

use std::cell::Cell;
use std::hint::black_box;

use eddy_fiber::{Runtime, spawn, yield_now};

/// Many live integer and float values across yields: the compiler keeps
/// them in callee-saved registers (and spills the rest) around each call.
fn mixed_work(seed: u64) -> (u64, f64) {
    let (mut a, mut b, mut c, mut d) = (seed, seed ^ 0x55, seed.rotate_left(7), seed * 3);
    let (mut e, mut f, mut g, mut h) = (seed + 1, seed + 2, seed + 3, seed + 4);
    let (mut x, mut y, mut z, mut w) = (seed as f64, 1.5, -2.25, 0.125);
    for i in 0..50u64 {
        a = a.wrapping_mul(6364136223846793005).wrapping_add(i);
        b ^= a.rotate_right(11);
        c = c.wrapping_add(b);
        d = d.wrapping_sub(c ^ i);
        e = e.wrapping_mul(d | 1);
        f ^= e;
        g = g.wrapping_add(f.rotate_left(3));
        h = h.wrapping_mul(g | 1);
        x = x * 1.000001 + y;
        y = y * 0.5 + z;
        z -= w * 0.25;
        w += x * 1e-9;
        if black_box(YIELD_INSIDE.with(Cell::get)) {
            yield_now();
        }
    }
    (a ^ b ^ c ^ d ^ e ^ f ^ g ^ h, x + y + z + w)
}

thread_local! {
    /// Whether `mixed_work` yields (off for the reference run).
    static YIELD_INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Both switches: the default one and the one without FP control words.
fn runtimes() -> [Runtime; 2] {
    [true, false].map(|preserve| {
        Runtime::builder()
            .preserve_fp_control(preserve)
            .build()
            .unwrap()
    })
}

#[test]
fn values_in_registers_survive_yields() {
    // Reference values without any switching.
    let expected: Vec<_> = (0..8).map(mixed_work).collect();
    for rt in runtimes() {
        let got = rt.block_on(|| {
            YIELD_INSIDE.with(|y| y.set(true));
            let handles: Vec<_> = (0..8).map(|seed| spawn(move || mixed_work(seed))).collect();
            let got: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            YIELD_INSIDE.with(|y| y.set(false));
            got
        });
        assert_eq!(got, expected);
    }
}

extern "C" fn yield_from_asm() {
    yield_now();
}

/// Runs `regs_after_yield(base)` 20 times in each of 4 fibers per runtime
/// and checks every value against `expected(base)`.
fn check_registers_in_fibers<const N: usize>(
    regs_after_yield: fn(u64) -> [u64; N],
    expected: fn(u64) -> [u64; N],
) {
    for rt in runtimes() {
        rt.block_on(move || {
            let handles: Vec<_> = (1..=4u64)
                .map(|i| {
                    spawn(move || {
                        (0..20)
                            .map(|_| regs_after_yield(i << 40))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for (i, h) in (1..=4u64).zip(handles) {
                for regs in h.join().unwrap() {
                    assert_eq!(regs, expected(i << 40));
                }
            }
        });
    }
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use super::*;
    use std::arch::asm;

    /// Loads known values into rbx, rbp-free r12..r15, yields from inside
    /// the asm block (so nothing but the switch can preserve them), and
    /// reads them back.
    fn callee_saved_after_yield(base: u64) -> [u64; 5] {
        let (mut r12, mut r13, mut r14, mut r15, rbx): (u64, u64, u64, u64, u64);
        // `base` goes in rdi, not in a register of the compiler's choosing:
        // that could be rbx, which the asm overwrites first.
        // SAFETY: the asm saves and restores rbx itself (LLVM reserves it),
        // keeps the stack 16-byte aligned around the call, declares every
        // caller-saved register clobbered, and calls an extern "C" fn.
        unsafe {
            asm!(
                "push rbx",
                "sub rsp, 8",
                "mov rbx, rdi",
                "add rbx, 5",
                "mov r12, rdi",
                "add r12, 1",
                "mov r13, rdi",
                "add r13, 2",
                "mov r14, rdi",
                "add r14, 3",
                "mov r15, rdi",
                "add r15, 4",
                "call {f}",
                "mov rax, rbx",
                "add rsp, 8",
                "pop rbx",
                in("rdi") base,
                f = sym yield_from_asm,
                out("rax") rbx,
                out("r12") r12, out("r13") r13, out("r14") r14, out("r15") r15,
                clobber_abi("C"),
            );
        }
        [r12, r13, r14, r15, rbx]
    }

    fn mxcsr() -> u32 {
        let mut v = 0u32;
        // SAFETY: stmxcsr writes 4 bytes to the given address.
        unsafe { asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
        v
    }

    fn set_mxcsr(v: u32) {
        // SAFETY: ldmxcsr reads 4 bytes; the value only changes rounding
        // and exception masks (all exceptions stay masked).
        unsafe { asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
    }

    #[test]
    fn callee_saved_registers_survive_switches() {
        check_registers_in_fibers(callee_saved_after_yield, |base| {
            [base + 1, base + 2, base + 3, base + 4, base + 5]
        });
    }

    #[test]
    fn rounding_mode_is_per_fiber() {
        const ROUND_UP: u32 = 0x5F80; // MXCSR default with RC = 10 (toward +inf)
        let nearest = black_box(1.0f64) / black_box(3.0f64);
        let rt = Runtime::new().unwrap();
        rt.block_on(move || {
            let up = spawn(move || {
                set_mxcsr(ROUND_UP);
                let mut seen = Vec::new();
                for _ in 0..5 {
                    yield_now();
                    seen.push((mxcsr(), black_box(1.0f64) / black_box(3.0f64)));
                }
                seen
            });
            let default = spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..5 {
                    yield_now();
                    seen.push((mxcsr(), black_box(1.0f64) / black_box(3.0f64)));
                }
                seen
            });
            for (csr, third) in up.join().unwrap() {
                assert_eq!(csr & 0x6000, 0x4000, "round-up mode kept");
                assert_eq!(third.to_bits(), nearest.to_bits() + 1);
            }
            for (csr, third) in default.join().unwrap() {
                assert_eq!(
                    csr & !0x3F,
                    0x1F80,
                    "new fibers start with the default MXCSR controls"
                );
                assert_eq!(third, nearest);
            }
            assert_eq!(mxcsr() & 0x6000, 0, "the main fiber is unaffected");
        });
    }
}

#[cfg(target_arch = "aarch64")]
mod aarch64 {
    use super::*;
    use std::arch::asm;

    /// Loads known values into x19-x28 and d8-d15, yields from inside the
    /// asm block (so nothing but the switch can preserve them), and reads
    /// them back (the d registers as their bit patterns).
    fn callee_saved_after_yield(base: u64) -> [u64; 18] {
        let mut x = [0u64; 10];
        let mut d = [0u64; 8];
        // SAFETY: the asm saves and restores x19 itself (LLVM reserves it)
        // in a 16-byte stack slot, keeps sp aligned, declares x20-x28,
        // v8-v15 and every caller-saved register clobbered, and calls an
        // extern "C" fn; `x` and `d` are valid for the stores at the end.
        unsafe {
            asm!(
                "str x19, [sp, #-16]!",
                "mov x19, x0",
                "add x20, x0, #1", "add x21, x0, #2", "add x22, x0, #3",
                "add x23, x0, #4", "add x24, x0, #5", "add x25, x0, #6",
                "add x26, x0, #7", "add x27, x0, #8", "add x28, x0, #9",
                "add x9, x0, #10", "fmov d8, x9",
                "add x9, x0, #11", "fmov d9, x9",
                "add x9, x0, #12", "fmov d10, x9",
                "add x9, x0, #13", "fmov d11, x9",
                "add x9, x0, #14", "fmov d12, x9",
                "add x9, x0, #15", "fmov d13, x9",
                "add x9, x0, #16", "fmov d14, x9",
                "add x9, x0, #17", "fmov d15, x9",
                "stp x10, x11, [sp, #-16]!", // the output arrays, kept across the call
                "bl {f}",
                "ldp x0, x1, [sp], #16",
                "stp x19, x20, [x0, #0]",
                "stp x21, x22, [x0, #16]",
                "stp x23, x24, [x0, #32]",
                "stp x25, x26, [x0, #48]",
                "stp x27, x28, [x0, #64]",
                "stp d8, d9, [x1, #0]",
                "stp d10, d11, [x1, #16]",
                "stp d12, d13, [x1, #32]",
                "stp d14, d15, [x1, #48]",
                "ldr x19, [sp], #16",
                in("x10") x.as_mut_ptr(),
                in("x11") d.as_mut_ptr(),
                f = sym yield_from_asm,
                in("x0") base,
                out("x20") _, out("x21") _, out("x22") _, out("x23") _, out("x24") _,
                out("x25") _, out("x26") _, out("x27") _, out("x28") _,
                out("v8") _, out("v9") _, out("v10") _, out("v11") _,
                out("v12") _, out("v13") _, out("v14") _, out("v15") _,
                clobber_abi("C"),
            );
        }
        let mut all = [0u64; 18];
        all[..10].copy_from_slice(&x);
        all[10..].copy_from_slice(&d);
        all
    }

    fn fpcr() -> u64 {
        let v: u64;
        // SAFETY: reading FPCR has no side effects.
        unsafe { asm!("mrs {}, fpcr", out(reg) v, options(nomem, nostack)) };
        v
    }

    fn set_fpcr(v: u64) {
        // SAFETY: FPCR only changes rounding and FP trap/flush behaviour;
        // the values used here keep traps disabled.
        unsafe { asm!("msr fpcr, {}", in(reg) v, options(nomem, nostack)) };
    }

    #[test]
    fn callee_saved_registers_survive_switches() {
        check_registers_in_fibers(callee_saved_after_yield, |base| {
            std::array::from_fn(|i| base + i as u64)
        });
    }

    #[test]
    fn rounding_mode_is_per_fiber() {
        const ROUND_UP: u64 = 1 << 22; // FPCR.RMode = 01: toward +infinity
        let nearest = black_box(1.0f64) / black_box(3.0f64);
        let rt = Runtime::new().unwrap();
        rt.block_on(move || {
            let up = spawn(move || {
                set_fpcr(ROUND_UP);
                let mut seen = Vec::new();
                for _ in 0..5 {
                    yield_now();
                    seen.push((fpcr(), black_box(1.0f64) / black_box(3.0f64)));
                }
                set_fpcr(0);
                seen
            });
            let default = spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..5 {
                    yield_now();
                    seen.push((fpcr(), black_box(1.0f64) / black_box(3.0f64)));
                }
                seen
            });
            for (csr, third) in up.join().unwrap() {
                assert_eq!(csr & (3 << 22), ROUND_UP, "round-up mode kept");
                assert_eq!(third.to_bits(), nearest.to_bits() + 1);
            }
            for (csr, third) in default.join().unwrap() {
                assert_eq!(csr & (3 << 22), 0, "new fibers start rounding to nearest");
                assert_eq!(third, nearest);
            }
            assert_eq!(fpcr() & (3 << 22), 0, "the main fiber is unaffected");
        });
    }
}
