//! The crate's one helper for raw system calls: `syscall!` turns a libc
//! call's `-1` into the thread's `errno` as an `io::Error`.
//!
//! Declared first in `lib.rs` with `#[macro_use]`, so every platform module
//! (`signal/sys/`, `fs/sys.rs`) uses this one definition.

/// Evaluates a libc call; `-1` becomes `Err(io::Error::last_os_error())`,
/// any other value `Ok(value)`.
macro_rules! syscall {
    ($call: expr) => {{
        let result = $call;
        if result == -1 {
            Err(::std::io::Error::last_os_error())
        } else {
            Ok(result)
        }
    }};
}
