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

#[test]
fn values_in_registers_survive_yields() {
    // Reference values without any switching.
    let expected: Vec<_> = (0..8).map(mixed_work).collect();
    let rt = Runtime::new().unwrap();
    let got = rt.block_on(|| {
        YIELD_INSIDE.with(|y| y.set(true));
        let handles: Vec<_> = (0..8).map(|seed| spawn(move || mixed_work(seed))).collect();
        let got: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        YIELD_INSIDE.with(|y| y.set(false));
        got
    });
    assert_eq!(got, expected);
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use super::*;
    use std::arch::asm;

    extern "C" fn yield_from_asm() {
        yield_now();
    }

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
        let rt = Runtime::new().unwrap();
        rt.block_on(|| {
            let handles: Vec<_> = (1..=4u64)
                .map(|i| {
                    spawn(move || {
                        (0..20)
                            .map(|_| callee_saved_after_yield(i << 40))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for (i, h) in (1..=4u64).zip(handles) {
                let base = i << 40;
                for regs in h.join().unwrap() {
                    assert_eq!(regs, [base + 1, base + 2, base + 3, base + 4, base + 5]);
                }
            }
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
