//! Stack overflow reports: a registry of guard pages and a `SIGSEGV` /
//! `SIGBUS` handler that names the fiber whose stack overflowed.
//!
//! A fiber that recurses too deep touches the guard page below its stack.
//! The kernel raises `SIGSEGV` (or `SIGBUS`); the thread's own stack pointer
//! is then inside the guard, so the handler runs on an *alternate signal
//! stack* (one per thread that runs fibers, see [`ensure_alt_stack`]). It
//! looks the faulting address up in the guard registry; on a hit it reads
//! the [`StackRecord`] that `spawn` wrote at the top of that stack, prints
//! `fiber stack overflow: fiber 'NAME' (id N, stack S bytes)` with
//! `write(2)` only (async-signal-safe: no allocation, no locks) and aborts.
//! A fault anywhere else is handed to the handler that was installed before
//! ours (the Rust runtime's own stack-overflow check, or the default action).
//!
//! The registry is a list of fixed-size chunks of atomics that only grows,
//! so the handler can walk it without taking a lock. Each entry describes a
//! run of equal-sized slots `[guard | stack]` (one stack mapping, or a slab of
//! many).

use std::mem::MaybeUninit;
use std::ptr;
use std::sync::Once;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::sys;

/// Entries per registry chunk.
const CHUNK_LEN: usize = 64;

/// One registered run of slots. `start == 0`: free; `start == CLAIMED`:
/// being written.
struct GuardEntry {
    start: AtomicUsize,
    end: AtomicUsize,
    stride: AtomicUsize,
    guard: AtomicUsize,
}

const CLAIMED: usize = usize::MAX;

struct Chunk {
    entries: [GuardEntry; CHUNK_LEN],
    next: AtomicPtr<Chunk>,
}

impl Chunk {
    const fn new() -> Chunk {
        Chunk {
            entries: [const {
                GuardEntry {
                    start: AtomicUsize::new(0),
                    end: AtomicUsize::new(0),
                    stride: AtomicUsize::new(0),
                    guard: AtomicUsize::new(0),
                }
            }; CHUNK_LEN],
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

static REGISTRY: Chunk = Chunk::new();

/// Iterates over every chunk of the registry.
fn chunks() -> impl Iterator<Item = &'static Chunk> {
    let mut next: Option<&'static Chunk> = Some(&REGISTRY);
    std::iter::from_fn(move || {
        let chunk = next?;
        let ptr = chunk.next.load(Ordering::Acquire);
        // SAFETY: chunks are leaked boxes, never freed: a non-null pointer
        // stays valid for the whole program.
        next = unsafe { ptr.as_ref() };
        Some(chunk)
    })
}

/// A registered run of guarded slots; unregisters on drop.
#[derive(Debug)]
pub(crate) struct GuardRegistration {
    entry: &'static GuardEntry,
}

impl std::fmt::Debug for GuardEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardEntry")
            .field("start", &self.start.load(Ordering::Relaxed))
            .field("end", &self.end.load(Ordering::Relaxed))
            .finish()
    }
}

/// Registers `[start, end)`, made of slots of `stride` bytes, each starting
/// with `guard` bytes of guard page.
pub(crate) fn register_guards(
    start: usize,
    end: usize,
    stride: usize,
    guard: usize,
) -> GuardRegistration {
    debug_assert!(start != 0 && start < end && guard <= stride);
    loop {
        for chunk in chunks() {
            for entry in &chunk.entries {
                if entry
                    .start
                    .compare_exchange(0, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    entry.end.store(end, Ordering::Relaxed);
                    entry.stride.store(stride, Ordering::Relaxed);
                    entry.guard.store(guard, Ordering::Relaxed);
                    entry.start.store(start, Ordering::Release);
                    return GuardRegistration { entry };
                }
            }
        }
        // Every entry is taken: append a chunk to the last one.
        let fresh = Box::into_raw(Box::new(Chunk::new()));
        let last = chunks()
            .last()
            .expect("the registry has at least one chunk");
        if last
            .next
            .compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Another thread appended one first; ours was never shared.
            // SAFETY: `fresh` came from Box::into_raw just above.
            drop(unsafe { Box::from_raw(fresh) });
        }
    }
}

impl Drop for GuardRegistration {
    fn drop(&mut self) {
        self.entry.start.store(0, Ordering::Release);
    }
}

/// Where a faulting address hit a guard page: the top of the stack above it.
fn find_guard_hit(addr: usize) -> Option<usize> {
    for chunk in chunks() {
        for entry in &chunk.entries {
            let start = entry.start.load(Ordering::Acquire);
            if start == 0 || start == CLAIMED || addr < start {
                continue;
            }
            if addr >= entry.end.load(Ordering::Relaxed) {
                continue;
            }
            let stride = entry.stride.load(Ordering::Relaxed);
            let offset = (addr - start) % stride;
            if offset < entry.guard.load(Ordering::Relaxed) {
                let slot = (addr - start) / stride;
                return Some(start + (slot + 1) * stride);
            }
        }
    }
    None
}

/// What `spawn` writes at the very top of a fiber's stack, for the overflow
/// report: read by the signal handler, so it holds copies, not pointers.
#[repr(C)]
pub(crate) struct StackRecord {
    magic: u64,
    id: u64,
    stack_size: u64,
    name_len: u64,
    name: [u8; NAME_BYTES],
}

/// How many bytes of a fiber's name the overflow report can show.
const NAME_BYTES: usize = 32;
const RECORD_MAGIC: u64 = 0x6564_6479_6669_6272; // "eddyfibr"

/// Bytes the record takes at the top of a stack (a multiple of 16).
pub(crate) const RECORD_SIZE: usize = std::mem::size_of::<StackRecord>();
const _: () = assert!(RECORD_SIZE.is_multiple_of(16));

/// Writes the record for fiber `id` below `top`.
///
/// # Safety
///
/// `top` must be 16-byte aligned and the `RECORD_SIZE` bytes below it
/// writable memory of a stack no running context uses.
pub(crate) unsafe fn write_record(top: *mut u8, id: u64, stack_size: usize, name: Option<&str>) {
    let name = name.unwrap_or("").as_bytes();
    let len = name.len().min(NAME_BYTES);
    let mut record = StackRecord {
        magic: RECORD_MAGIC,
        id,
        stack_size: stack_size as u64,
        name_len: name.len() as u64,
        name: [0; NAME_BYTES],
    };
    record.name[..len].copy_from_slice(&name[..len]);
    // SAFETY: the caller guarantees the bytes below `top` are ours to write;
    // `top - RECORD_SIZE` is 8-byte aligned as `top` is 16-byte aligned.
    unsafe { top.sub(RECORD_SIZE).cast::<StackRecord>().write(record) };
}

/// The handlers that were installed before ours, as raw `sa_sigaction`
/// values and flags, for chaining: `[SIGSEGV, SIGBUS]`.
static PREVIOUS: [(AtomicUsize, AtomicUsize); 2] = [
    (AtomicUsize::new(0), AtomicUsize::new(0)),
    (AtomicUsize::new(0), AtomicUsize::new(0)),
];

fn previous_slot(signal: libc::c_int) -> &'static (AtomicUsize, AtomicUsize) {
    if signal == libc::SIGBUS {
        &PREVIOUS[1]
    } else {
        &PREVIOUS[0]
    }
}

/// Installs the process-wide `SIGSEGV`/`SIGBUS` handler (once).
pub(crate) fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for signal in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: an all-zero sigaction is a valid value to fill in.
            let mut action: libc::sigaction = unsafe { MaybeUninit::zeroed().assume_init() };
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: `action.sa_mask` is a valid sigset_t to initialize.
            unsafe { libc::sigemptyset(&mut action.sa_mask) };
            // SAFETY: as above, zeroed is valid; the kernel fills it in.
            let mut old: libc::sigaction = unsafe { MaybeUninit::zeroed().assume_init() };
            // SAFETY: both pointers are valid sigaction structs; the handler
            // is an `extern "C"` fn with the SA_SIGINFO signature.
            if unsafe { libc::sigaction(signal, &action, &mut old) } == 0 {
                let slot = previous_slot(signal);
                slot.0.store(old.sa_sigaction, Ordering::Release);
                slot.1.store(old.sa_flags as usize, Ordering::Release);
            }
        }
    });
}

extern "C" fn on_fault(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers;
    // si_addr is the faulting address for SIGSEGV/SIGBUS.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some(top) = find_guard_hit(addr) {
        report_overflow(top);
        // SAFETY: abort is async-signal-safe and ends the process.
        unsafe { libc::abort() };
    }
    let (handler, flags) = {
        let slot = previous_slot(signal);
        (
            slot.0.load(Ordering::Acquire),
            slot.1.load(Ordering::Acquire),
        )
    };
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction
        // runs again and the kernel applies it (a core dump).
        // SAFETY: resetting a signal to SIG_DFL is async-signal-safe.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    } else if flags as libc::c_int & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it
        // has this signature; we pass the kernel's own arguments through.
        let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(handler) };
        handler(signal, info, context);
    } else {
        // SAFETY: a handler without SA_SIGINFO takes just the signal number.
        let handler: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        handler(signal);
    }
}

/// Prints the report for the stack whose top is `top` (async-signal-safe).
fn report_overflow(top: usize) {
    let record = (top - RECORD_SIZE) as *const StackRecord;
    // SAFETY: `top` is the end of a registered, mapped stack slot; its top
    // page holds the record written at spawn (or zeroes, caught by magic).
    let record = unsafe { &*record };
    let mut out = Buffer::new();
    out.push(b"\nfiber stack overflow: fiber ");
    if record.magic == RECORD_MAGIC {
        let len = (record.name_len as usize).min(NAME_BYTES);
        if len > 0 {
            out.push(b"'");
            out.push(&record.name[..len]);
            if record.name_len as usize > NAME_BYTES {
                out.push(b"...");
            }
            out.push(b"' ");
        }
        out.push(b"(id ");
        out.push_number(record.id);
        out.push(b", stack of ");
        out.push_number(record.stack_size);
        out.push(b" bytes)");
    } else {
        out.push(b"(unknown)");
    }
    out.push(b" overflowed its stack; aborting\n");
    sys::write_stderr(out.as_bytes());
}

/// A fixed buffer for building the report without allocating.
struct Buffer {
    bytes: [u8; 256],
    len: usize,
}

impl Buffer {
    fn new() -> Buffer {
        Buffer {
            bytes: [0; 256],
            len: 0,
        }
    }

    fn push(&mut self, data: &[u8]) {
        let n = data.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&data[..n]);
        self.len += n;
    }

    fn push_number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Size of the alternate signal stack we install on threads without one.
const ALT_STACK_SIZE: usize = 64 * 1024;

/// An alternate signal stack this crate installed; removed at thread exit.
struct AltStack {
    base: *mut u8,
    len: usize,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: an all-zero stack_t is valid; SS_DISABLE turns the
        // alternate stack off before we unmap it. We are not in a handler.
        unsafe {
            let mut disable: libc::stack_t = MaybeUninit::zeroed().assume_init();
            disable.ss_flags = libc::SS_DISABLE;
            libc::sigaltstack(&disable, ptr::null_mut());
            sys::unmap(self.base, self.len);
        }
    }
}

thread_local! {
    static ALT_STACK: std::cell::RefCell<Option<AltStack>> = const { std::cell::RefCell::new(None) };
}

/// Makes sure the calling thread has an alternate signal stack, so the
/// overflow handler can run when the fiber stack is exhausted. Keeps the
/// one the Rust runtime installed, if any.
pub(crate) fn ensure_alt_stack() {
    // SAFETY: an all-zero stack_t is valid to receive the current setting.
    let mut current: libc::stack_t = unsafe { MaybeUninit::zeroed().assume_init() };
    // SAFETY: querying (null new stack) only writes `current`.
    if unsafe { libc::sigaltstack(ptr::null(), &mut current) } != 0 {
        return;
    }
    if current.ss_flags & libc::SS_DISABLE == 0 {
        return; // the thread already has one
    }
    let page = sys::page_size();
    let Ok(base) = sys::map_stack_memory(ALT_STACK_SIZE + page) else {
        return; // no report on overflow, but fibers still work
    };
    // SAFETY: the lowest page of our fresh mapping becomes its guard.
    if unsafe { sys::protect_none(base, page) }.is_err() {
        // SAFETY: the mapping is ours and unused.
        unsafe { sys::unmap(base, ALT_STACK_SIZE + page) };
        return;
    }
    let stack = libc::stack_t {
        ss_sp: base.wrapping_add(page).cast(),
        ss_flags: 0,
        ss_size: ALT_STACK_SIZE,
    };
    // SAFETY: `stack` describes mapped, writable memory we keep alive in the
    // thread-local below until the thread exits.
    if unsafe { libc::sigaltstack(&stack, ptr::null_mut()) } == 0 {
        ALT_STACK.with(|slot| {
            *slot.borrow_mut() = Some(AltStack {
                base,
                len: ALT_STACK_SIZE + page,
            })
        });
    } else {
        // SAFETY: the mapping is ours and was never installed.
        unsafe { sys::unmap(base, ALT_STACK_SIZE + page) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_hits_name_the_slot_above() {
        let start = 0x1000_0000;
        let _reg = register_guards(start, start + 4 * 0x11000, 0x11000, 0x1000);
        assert_eq!(find_guard_hit(start + 10), Some(start + 0x11000));
        assert_eq!(
            find_guard_hit(start + 0x11000 + 0xfff),
            Some(start + 0x22000)
        );
        assert_eq!(find_guard_hit(start + 0x1000), None, "inside a stack");
        assert_eq!(find_guard_hit(start + 4 * 0x11000), None, "past the end");
    }

    #[test]
    fn registry_grows_past_one_chunk() {
        let base = 0x2000_0000;
        let regs: Vec<_> = (0..CHUNK_LEN * 2 + 3)
            .map(|i| register_guards(base + i * 0x2000, base + (i + 1) * 0x2000, 0x2000, 0x1000))
            .collect();
        assert_eq!(
            find_guard_hit(base + (CHUNK_LEN * 2 + 2) * 0x2000),
            Some(base + (CHUNK_LEN * 2 + 3) * 0x2000)
        );
        drop(regs);
        assert_eq!(find_guard_hit(base), None);
    }

    #[test]
    fn numbers_print_in_decimal() {
        let mut b = Buffer::new();
        b.push_number(0);
        b.push(b" ");
        b.push_number(262144);
        assert_eq!(b.as_bytes(), b"0 262144");
    }
}
