//! Fiber stacks: guarded, lazily committed memory, and the pool that reuses
//! them.
//!
//! Every stack is `[guard | usable]`: the guard (one page by default) sits
//! below the usable part, so a fiber that recurses too deep faults on the
//! guard instead of overwriting its neighbour; [`crate`]'s overflow handler
//! turns that fault into a report. The kernel commits pages only when they
//! are first touched, so an idle fiber costs the few pages its frames use.
//!
//! The guard must not cost a memory mapping each: Linux allows 65 530
//! mappings per process by default (`vm.max_map_count`), and a guard made
//! with `mprotect` splits the mapping in two, so about 32 000 stacks is the
//! ceiling that way. On Linux 6.13+ we use *guard markers*
//! (`MADV_GUARD_INSTALL`) instead, which fault like a guard page without
//! splitting the mapping; stacks of the default size are then carved from
//! *slabs* of up to 64 slots, one mapping each, so 100 000 fibers take under
//! 2 000 mappings. Elsewhere each stack is its own mapping with an
//! `mprotect` guard, and running out of mappings is reported as an error
//! naming `vm.max_map_count`.
//!
//! Finished fibers give their stacks back to the runtime's pool: up to a bound
//! they stay *warm* (pages resident, reused at once); beyond it slab stacks
//! have their pages discarded and wait *cold* for reuse, and single-mapping
//! stacks are unmapped.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::overflow::{self, GuardRegistration};
use crate::sys;

/// Default usable size of a fiber stack: 256 KiB.
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// Smallest usable stack size accepted (smaller requests are rounded up).
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Most slots in one slab mapping.
const SLAB_SLOTS: usize = 64;

/// A region of memory a fiber runs on.
///
/// # Safety
///
/// Implementors guarantee that, for as long as the value lives:
/// * `[bottom(), top())` is readable and writable memory that nothing else
///   uses;
/// * `top()` is 16-byte aligned and `top() - bottom()` is at least
///   [`MIN_STACK_SIZE`];
/// * directly below `bottom()` lies at least one page that faults on any
///   access (a guard page), so an overflow can never silently write into
///   other memory.
pub unsafe trait Stack {
    /// One past the highest usable address (stacks grow down from here).
    fn top(&self) -> NonNull<u8>;
    /// The lowest usable address; the guard page lies just below it.
    fn bottom(&self) -> NonNull<u8>;
    /// Usable bytes.
    fn size(&self) -> usize {
        self.top().as_ptr() as usize - self.bottom().as_ptr() as usize
    }
}

/// A stack owned by this crate: `mmap`ed with a guard below it, either a
/// mapping of its own or a slot of a pool's slab.
///
/// ```
/// use eddy_fiber::stack::{FiberStack, Stack};
/// let stack = FiberStack::new(64 * 1024)?;
/// assert_eq!(stack.size(), 64 * 1024);
/// assert_eq!(stack.top().as_ptr() as usize % 16, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FiberStack {
    top: NonNull<u8>,
    bottom: NonNull<u8>,
    /// `Some` when this stack is a mapping of its own (unmapped on drop);
    /// `None` for a slab slot (the pool unmaps the slab).
    own: Option<Mapping>,
}

// SAFETY: `FiberStack::new` and the pool map `[bottom, top)` read-write with
// a guard (marker or PROT_NONE page) right below `bottom`, keep it mapped
// while the value lives, and round sizes to pages (so `top` is aligned).
unsafe impl Stack for FiberStack {
    fn top(&self) -> NonNull<u8> {
        self.top
    }
    fn bottom(&self) -> NonNull<u8> {
        self.bottom
    }
}

impl FiberStack {
    /// Maps a stack of at least `size` usable bytes (rounded up to pages and
    /// to [`MIN_STACK_SIZE`]) as a mapping of its own, with a guard page.
    pub fn new(size: usize) -> io::Result<FiberStack> {
        let page = sys::page_size();
        let size = round_size(size, page);
        let mapping = Mapping::new(size + page, page, 1)?;
        let bottom = mapping.base.wrapping_add(page);
        let top = mapping.base.wrapping_add(page + size);
        Ok(FiberStack {
            top: NonNull::new(top).expect("a mapping is never at address 0"),
            bottom: NonNull::new(bottom).expect("a mapping is never at address 0"),
            own: Some(mapping),
        })
    }
}

/// Rounds a requested stack size up to whole pages and the minimum.
fn round_size(size: usize, page: usize) -> usize {
    size.max(MIN_STACK_SIZE).div_ceil(page) * page
}

/// One `mmap`ed region of `slots` slots `[guard | stack]`, registered with
/// the overflow handler; unmapped on drop.
#[derive(Debug)]
struct Mapping {
    base: *mut u8,
    len: usize,
    _guards: GuardRegistration,
}

/// Whether this kernel supports guard markers: unknown, yes, no.
static GUARD_MARKERS: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = 0;
const SUPPORTED: u8 = 1;
const UNSUPPORTED: u8 = 2;

impl Mapping {
    /// Maps `len` bytes as `slots` equal slots, each opening with a guard of
    /// `guard` bytes. Uses guard markers when the kernel has them, else
    /// `mprotect` (only for a single slot: that splits the mapping).
    fn new(len: usize, guard: usize, slots: usize) -> io::Result<Mapping> {
        let base = sys::map_stack_memory(len).map_err(|e| map_error(e, len))?;
        sys::no_huge_pages(base, len);
        let stride = len / slots;
        let unmap_on_error = |e: io::Error| {
            // SAFETY: the mapping was made just above and is unused.
            unsafe { sys::unmap(base, len) };
            e
        };
        for slot in 0..slots {
            let at = base.wrapping_add(slot * stride);
            if !install_guard(at, guard, slots == 1).map_err(unmap_on_error)? {
                // SAFETY: the mapping was made just above and is unused.
                unsafe { sys::unmap(base, len) };
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "guard markers unsupported",
                ));
            }
        }
        let start = base as usize;
        Ok(Mapping {
            base,
            len,
            _guards: overflow::register_guards(start, start + len, stride, guard),
        })
    }
}

/// Makes `[at, at + len)` a guard: a marker if possible, else (when
/// `may_split`) a PROT_NONE page. `Ok(false)`: no markers and may not split.
fn install_guard(at: *mut u8, len: usize, may_split: bool) -> io::Result<bool> {
    if GUARD_MARKERS.load(Ordering::Relaxed) != UNSUPPORTED {
        // SAFETY: `at` lies in a fresh mapping of ours that nothing uses.
        if unsafe { sys::install_guard_marker(at, len) }? {
            GUARD_MARKERS.store(SUPPORTED, Ordering::Relaxed);
            return Ok(true);
        }
        GUARD_MARKERS.store(UNSUPPORTED, Ordering::Relaxed);
    }
    if !may_split {
        return Ok(false);
    }
    // SAFETY: as above.
    unsafe { sys::protect_none(at, len) }.map_err(|e| map_error(e, len))?;
    Ok(true)
}

/// Explains a failed stack mapping, naming the limit that is usually hit.
fn map_error(e: io::Error, len: usize) -> io::Error {
    if e.raw_os_error() == Some(libc::ENOMEM) {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!(
                "mapping a {len}-byte fiber stack failed: {e}; the process may have reached the \
                 kernel's limit of memory mappings (Linux: vm.max_map_count, 65530 by default; \
                 raise it with `sysctl -w vm.max_map_count=262144`) or of address space"
            ),
        )
    } else {
        io::Error::new(
            e.kind(),
            format!("mapping a {len}-byte fiber stack failed: {e}"),
        )
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we made this mapping; the pool and FiberStack drop it only
        // when no fiber runs on it any more.
        unsafe { sys::unmap(self.base, self.len) };
    }
}

/// Allocates and recycles stacks for one runtime.
#[derive(Debug)]
pub(crate) struct StackPool {
    /// Usable bytes of a default stack (a page multiple).
    default_size: usize,
    page: usize,
    /// Default-size stacks with their pages still resident.
    warm: Vec<FiberStack>,
    /// Most stacks kept in `warm`.
    warm_limit: usize,
    /// Default-size slab stacks whose pages were given back.
    cold: Vec<FiberStack>,
    /// The slab being carved and its next free slot.
    carving: Option<(usize, usize)>,
    /// Slab mappings; unmapped when the pool drops (after every fiber).
    slabs: Vec<Mapping>,
}

impl StackPool {
    pub(crate) fn new(default_size: usize, warm_limit: usize) -> StackPool {
        let page = sys::page_size();
        StackPool {
            default_size: round_size(default_size, page),
            page,
            warm: Vec::new(),
            warm_limit,
            cold: Vec::new(),
            carving: None,
            slabs: Vec::new(),
        }
    }

    /// A stack of at least `size` usable bytes (`None`: the default size).
    pub(crate) fn allocate(&mut self, size: Option<usize>) -> io::Result<FiberStack> {
        let size = size.map_or(self.default_size, |s| round_size(s, self.page));
        if size != self.default_size {
            return FiberStack::new(size);
        }
        if let Some(stack) = self.warm.pop().or_else(|| self.cold.pop()) {
            return Ok(stack);
        }
        if GUARD_MARKERS.load(Ordering::Relaxed) != UNSUPPORTED {
            match self.carve() {
                Ok(stack) => return Ok(stack),
                Err(e) if e.kind() == io::ErrorKind::Unsupported => {}
                Err(e) => return Err(e),
            }
        }
        FiberStack::new(size)
    }

    /// Takes the next slot of the current slab, mapping a new slab if needed.
    fn carve(&mut self) -> io::Result<FiberStack> {
        let stride = self.default_size + self.page;
        let slots = (16 * 1024 * 1024 / stride).clamp(1, SLAB_SLOTS);
        let (slab, slot) = match self.carving {
            Some((slab, slot)) if slot < slots => (slab, slot),
            _ => {
                self.slabs
                    .push(Mapping::new(stride * slots, self.page, slots)?);
                (self.slabs.len() - 1, 0)
            }
        };
        self.carving = Some((slab, slot + 1));
        let base = self.slabs[slab].base.wrapping_add(slot * stride);
        Ok(FiberStack {
            bottom: NonNull::new(base.wrapping_add(self.page)).expect("mapped memory is not at 0"),
            top: NonNull::new(base.wrapping_add(stride)).expect("mapped memory is not at 0"),
            own: None,
        })
    }

    /// Takes back the stack of a finished fiber.
    pub(crate) fn release(&mut self, stack: FiberStack) {
        if stack.size() != self.default_size {
            return; // a mapping of its own: unmapped by drop
        }
        if self.warm.len() < self.warm_limit {
            self.warm.push(stack);
        } else if stack.own.is_none() {
            // SAFETY: the fiber that used this slot has finished; nobody
            // needs its contents. Guard markers survive the discard.
            unsafe { sys::discard(stack.bottom.as_ptr(), stack.size()) };
            self.cold.push(stack);
        }
    }

    /// Number of stacks held for reuse (warm + cold).
    #[cfg(test)]
    pub(crate) fn pooled(&self) -> usize {
        self.warm.len() + self.cold.len()
    }
}

impl Drop for StackPool {
    fn drop(&mut self) {
        // Slab stacks must go before their slabs; `slabs` drops last anyway
        // (field order), this just makes it explicit.
        self.warm.clear();
        self.cold.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_to_pages_and_minimum() {
        assert_eq!(round_size(1, 4096), MIN_STACK_SIZE);
        assert_eq!(round_size(MIN_STACK_SIZE + 1, 4096), MIN_STACK_SIZE + 4096);
    }

    #[test]
    fn stacks_are_writable_end_to_end() {
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE, 4);
        let stack = pool.allocate(None).unwrap();
        assert_eq!(stack.size(), DEFAULT_STACK_SIZE);
        // SAFETY: both ends are inside the usable range we own.
        unsafe {
            stack.bottom().as_ptr().write(1);
            stack.top().as_ptr().sub(1).write(2);
        }
        pool.release(stack);
        assert_eq!(pool.pooled(), 1);
    }

    #[test]
    fn pool_keeps_at_most_the_warm_limit_plus_cold_slab_stacks() {
        let mut pool = StackPool::new(MIN_STACK_SIZE, 2);
        let stacks: Vec<_> = (0..5).map(|_| pool.allocate(None).unwrap()).collect();
        for s in stacks {
            pool.release(s);
        }
        assert_eq!(pool.warm.len(), 2);
        let reused = pool.allocate(None).unwrap();
        assert_eq!(reused.size(), MIN_STACK_SIZE);
    }

    #[test]
    fn odd_sizes_get_their_own_mapping() {
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE, 2);
        let stack = pool.allocate(Some(100 * 1024)).unwrap();
        assert!(stack.own.is_some());
        pool.release(stack);
        assert_eq!(pool.pooled(), 0);
    }
}
