//! [`SmallFn`]: an owned `FnMut()` that keeps closures of up to two words
//! inline instead of boxing them.
//!
//! A million pending timers are a million callbacks: most capture an `Rc`
//! and a value or two, and a `Box<dyn FnMut()>` per timer costs a `malloc`,
//! a `free` and a 32-byte heap chunk each (the per-timer memory and
//! registration time Node is compared on). `SmallFn` stores such a closure
//! in its own two words and calls it through a two-entry table of
//! monomorphised functions (call, drop); larger or over-aligned closures
//! are boxed behind the same table. With `sys`, the only modules of the
//! crate with `unsafe` code.

#![allow(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;
use std::mem::{MaybeUninit, align_of, size_of};

/// The inline storage: two machine words.
type Storage = MaybeUninit<[usize; 2]>;

/// How to call and drop what a [`SmallFn`] holds.
struct VTable {
    /// Calls the closure at the pointer (inline or through its box).
    call: unsafe fn(*mut u8),
    /// Drops the closure at the pointer (and frees its box, if boxed).
    drop: unsafe fn(*mut u8),
}

/// An owned `FnMut()` stored inline when it fits in two words.
pub struct SmallFn {
    data: Storage,
    vtable: &'static VTable,
    /// The closure may hold `Rc`s: not `Send`/`Sync`, like `Box<dyn FnMut()>`.
    _not_send: PhantomData<*mut ()>,
}

impl fmt::Debug for SmallFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmallFn(..)")
    }
}

/// The table for a closure `F` stored inline.
struct Inline<F>(PhantomData<F>);

impl<F: FnMut()> Inline<F> {
    const VTABLE: VTable = VTable {
        call: call_inline::<F>,
        drop: drop_inline::<F>,
    };
}

/// The table for a closure `F` stored in a box (its pointer inline).
struct Boxed<F>(PhantomData<F>);

impl<F: FnMut()> Boxed<F> {
    const VTABLE: VTable = VTable {
        call: call_boxed::<F>,
        drop: drop_boxed::<F>,
    };
}

/// # Safety
/// `data` points to a live, properly aligned `F`.
unsafe fn call_inline<F: FnMut()>(data: *mut u8) {
    // SAFETY: the caller guarantees a live, aligned `F` at `data`, and we
    // hold the only access to it (`SmallFn::call` takes `&mut self`).
    unsafe { (*data.cast::<F>())() }
}

/// # Safety
/// `data` points to a live, properly aligned `F`, not used afterwards.
unsafe fn drop_inline<F>(data: *mut u8) {
    // SAFETY: the caller guarantees a live `F` at `data` that is dropped
    // exactly once (from `SmallFn::drop`).
    unsafe { std::ptr::drop_in_place(data.cast::<F>()) }
}

/// # Safety
/// `data` holds a pointer from `Box::<F>::into_raw`, still owned.
unsafe fn call_boxed<F: FnMut()>(data: *mut u8) {
    // SAFETY: the caller guarantees `data` holds the live box's pointer;
    // `&mut self` in `SmallFn::call` makes this access unique.
    unsafe {
        let boxed = data.cast::<*mut F>().read();
        (*boxed)();
    }
}

/// # Safety
/// `data` holds a pointer from `Box::<F>::into_raw`, not used afterwards.
unsafe fn drop_boxed<F>(data: *mut u8) {
    // SAFETY: the caller guarantees `data` holds the pointer `into_raw`
    // gave, and that this is its only release (from `SmallFn::drop`).
    unsafe { drop(Box::from_raw(data.cast::<*mut F>().read())) }
}

impl SmallFn {
    /// Stores `f`: inline if it fits in two words with at most word
    /// alignment, else in a box.
    pub(crate) fn new<F: FnMut() + 'static>(f: F) -> SmallFn {
        let mut data = Storage::uninit();
        if size_of::<F>() <= size_of::<Storage>() && align_of::<F>() <= align_of::<Storage>() {
            // SAFETY: `F` fits in `data` (size and alignment checked just
            // above) and `data` is ours, uninitialised: writing moves `f` in.
            unsafe { data.as_mut_ptr().cast::<F>().write(f) };
            SmallFn {
                data,
                vtable: &Inline::<F>::VTABLE,
                _not_send: PhantomData,
            }
        } else {
            let boxed = Box::into_raw(Box::new(f));
            // SAFETY: a pointer is one word, which `data` has room and
            // alignment for.
            unsafe { data.as_mut_ptr().cast::<*mut F>().write(boxed) };
            SmallFn {
                data,
                vtable: &Boxed::<F>::VTABLE,
                _not_send: PhantomData,
            }
        }
    }

    /// Calls the closure.
    pub(crate) fn call(&mut self) {
        // SAFETY: `data` holds what `new` stored for exactly this vtable,
        // alive until `drop`; `&mut self` makes the call unique.
        unsafe { (self.vtable.call)(self.data.as_mut_ptr().cast()) }
    }
}

impl Drop for SmallFn {
    fn drop(&mut self) {
        // SAFETY: `data` holds what `new` stored for this vtable, and drop
        // runs once; nothing uses `data` afterwards.
        unsafe { (self.vtable.drop)(self.data.as_mut_ptr().cast()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn small_closures_run_and_drop_their_captures() {
        let count = Rc::new(Cell::new(0));
        let c = count.clone();
        let mut f = SmallFn::new(move || c.set(c.get() + 1));
        f.call();
        f.call();
        assert_eq!(count.get(), 2);
        assert_eq!(Rc::strong_count(&count), 2);
        drop(f);
        assert_eq!(Rc::strong_count(&count), 1, "the capture was dropped");
    }

    #[test]
    fn large_and_overaligned_closures_are_boxed() {
        let count = Rc::new(Cell::new(0u64));
        let (c, big) = (count.clone(), [7u64; 8]);
        let mut f = SmallFn::new(move || c.set(c.get() + big.iter().sum::<u64>()));
        f.call();
        assert_eq!(count.get(), 56);
        #[repr(align(32))]
        struct Aligned(u8);
        let (c, a) = (count.clone(), Aligned(1));
        let mut g = SmallFn::new(move || c.set(c.get() + u64::from(a.0)));
        g.call();
        assert_eq!(count.get(), 57);
        drop((f, g));
        assert_eq!(Rc::strong_count(&count), 1);
    }

    #[test]
    fn zero_sized_closures_need_no_storage() {
        fn noop() {}
        let mut f = SmallFn::new(noop);
        f.call();
        assert_eq!(size_of::<SmallFn>(), 24);
        assert_eq!(size_of::<Option<SmallFn>>(), 24);
    }
}
