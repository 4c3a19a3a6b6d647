//! One line of output through each of the three levels a Rust program can
//! talk to the OS from:
//!
//! 1. **the kernel directly**: the `write` system call issued with inline
//!    assembly (x86-64 and aarch64 Linux only);
//! 2. **the C library**: `write(2)` declared by hand in an `extern "C"`
//!    block and called through FFI, with `-1` turned into `io::Error`;
//! 3. **the standard library**: `io::stdout().write_all` and `println!`.
//!
//! Run: `cargo run --release --example syscall_levels`
#![warn(clippy::undocumented_unsafe_blocks)]

use std::io::{self, Write};

/// File descriptor 1: standard output.
const STDOUT: i32 = 1;

/// Level 1: the system call itself, no library in between.
///
/// Each supported target gets its own `write`; the rest get one that says
/// so. Nothing outside this module knows which one was compiled.
mod raw {
    use std::io;

    /// Linux/x86-64: the syscall number goes in `rax` (1 is `write`), the
    /// arguments in `rdi`, `rsi`, `rdx`; `syscall` returns in `rax` and
    /// clobbers `rcx` and `r11`.
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    pub fn write(fd: i32, buf: &[u8]) -> io::Result<usize> {
        let ret: isize;
        // SAFETY: `write` only reads `buf.len()` bytes from `buf`, which is
        // a live slice; the clobbered registers are declared, and the call
        // touches no Rust-visible memory or stack.
        unsafe {
            std::arch::asm!(
                "syscall",
                inlateout("rax") 1isize => ret,
                in("rdi") fd as isize,
                in("rsi") buf.as_ptr(),
                in("rdx") buf.len(),
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack, readonly, preserves_flags),
            );
        }
        result(ret)
    }

    /// Linux/aarch64: the syscall number goes in `x8` (64 is `write`), the
    /// arguments in `x0`, `x1`, `x2`; `svc #0` returns in `x0`.
    #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
    pub fn write(fd: i32, buf: &[u8]) -> io::Result<usize> {
        let ret: isize;
        // SAFETY: `write` only reads `buf.len()` bytes from `buf`, which is
        // a live slice; only `x0` is written, and it is declared.
        unsafe {
            std::arch::asm!(
                "svc #0",
                in("x8") 64isize,
                inlateout("x0") fd as isize => ret,
                in("x1") buf.as_ptr(),
                in("x2") buf.len(),
                options(nostack, readonly, preserves_flags),
            );
        }
        result(ret)
    }

    /// Every other target: no hand-written system call.
    #[cfg(not(any(
        all(target_os = "linux", target_arch = "x86_64"),
        all(target_os = "linux", target_arch = "aarch64")
    )))]
    pub fn write(_fd: i32, _buf: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "raw system calls are written for x86-64 and aarch64 Linux only",
        ))
    }

    /// The kernel returns `-errno` (from -4095 to -1) on failure.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    fn result(ret: isize) -> io::Result<usize> {
        if (-4095..0).contains(&ret) {
            Err(io::Error::from_raw_os_error(-ret as i32))
        } else {
            Ok(ret as usize)
        }
    }
}

/// Level 2: the C library's `write`, declared here by hand.
mod ffi {
    use std::io;

    unsafe extern "C" {
        /// `ssize_t write(int fd, const void *buf, size_t count);`
        #[link_name = "write"]
        fn c_write(fd: libc::c_int, buf: *const libc::c_void, count: libc::size_t) -> isize;
    }

    /// Calls libc's `write`; `-1` means "see errno", which
    /// `io::Error::last_os_error` reads.
    pub fn write(fd: i32, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: `buf` is a live slice of `buf.len()` bytes that `write`
        // only reads.
        let n = unsafe { c_write(fd, buf.as_ptr().cast(), buf.len()) };
        if n == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

/// Writes all of `buf` with `write`, which may write less than asked or be
/// interrupted by a signal.
fn write_all(mut buf: &[u8], write: impl Fn(i32, &[u8]) -> io::Result<usize>) -> io::Result<()> {
    while !buf.is_empty() {
        match write(STDOUT, buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    // Level 3 buffers stdout: flush our own buffer around the raw levels so
    // the lines come out in order.
    let mut stdout = io::stdout().lock();
    stdout.flush()?;

    match write_all(
        b"1. kernel: write(2) issued with inline assembly\n",
        raw::write,
    ) {
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            println!("1. kernel: unsupported on this target ({e})");
        }
        other => other?,
    }
    write_all(b"2. libc:   write(2) called through FFI\n", ffi::write)?;
    stdout.write_all(b"3. std:    io::stdout().write_all\n")?;
    drop(stdout);
    println!("3. std:    println!");
    Ok(())
}
