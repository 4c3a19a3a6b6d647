//! The loop's clock: the one place in the crate with platform `cfg`s (and,
//! besides `small_fn`, with `unsafe`).
//!
//! Node reads the clock on every `setTimeout` (a delay counts from the
//! call), and so does `timers::set_timeout`: a million timers are a million
//! clock reads. `Instant::elapsed` spends about 90 instructions on each
//! (checked `timespec` arithmetic on top of the vDSO call); [`monotonic_ns`]
//! asks `clock_gettime(CLOCK_MONOTONIC)` directly, as libuv's `uv__hrtime`
//! does, and turns it into nanoseconds in a few.

#![allow(unsafe_code)]

/// Nanoseconds of the monotonic clock (libuv's fine clock: the coarse one
/// is only used by libuv where its resolution is 1 ms or better, and is
/// 4 ms on common kernels).
#[cfg(unix)]
pub(crate) fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_MONOTONIC exists on
    // every Unix this crate builds for, and the call only writes `now`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    if rc != 0 {
        return fallback_ns();
    }
    let secs = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// Nanoseconds of the monotonic clock (`Instant` where there is no
/// `clock_gettime`).
#[cfg(not(unix))]
pub(crate) fn monotonic_ns() -> u64 {
    fallback_ns()
}

/// Nanoseconds since the first call, from `Instant`.
fn fallback_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_forward() {
        let a = monotonic_ns();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = monotonic_ns();
        assert!(b >= a + 5_000_000, "{a} -> {b}");
        assert!(b < a + 5_000_000_000, "{a} -> {b}");
    }
}
