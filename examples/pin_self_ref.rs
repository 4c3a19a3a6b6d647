//! Why `Pin` exists: a self-referential struct, what moving it breaks, and
//! three ways to pin it.
//!
//! An `async fn` that keeps a reference across an `.await` compiles to a
//! struct holding both the data and a pointer into it: a self-referential
//! struct. Moving such a struct leaves the pointer aimed at the old place.
//! `Pin<P>` is a promise, checked by the compiler, that the pointee will
//! never move again (unless it is `Unpin`, i.e. does not care).
//!
//! 1. Unpinned: swapping two self-referential values makes each point into
//!    the other.
//! 2. Heap pinning with `Box::pin`: the value stays put however often the
//!    box moves.
//! 3. Stack pinning with `std::pin::pin!`: same promise, no allocation, for
//!    values that live in one scope.
//! 4. Projection: from `Pin<&mut Wrapper>` to `Pin<&mut` field `>` for the
//!    field that needs it, and plain `&mut` for the rest; this is how a
//!    future that wraps another future is written.
//!
//! The `unsafe` blocks are the ones any hand-written self-referential type
//! or projection needs; each says why it holds.
//!
//! Run: `cargo run --example pin_self_ref`

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

/// A value and a pointer to that value, in the same struct.
struct SelfRef {
    name: String,
    /// Points at `self.name` once `init` has run.
    name_ptr: *const String,
    /// Makes the type `!Unpin`: once pinned, safe code cannot move it.
    _pinned: PhantomPinned,
}

impl SelfRef {
    fn new(name: &str) -> SelfRef {
        SelfRef {
            name: name.to_string(),
            name_ptr: std::ptr::null(),
            _pinned: PhantomPinned,
        }
    }

    /// Points `name_ptr` at `name` (unpinned version: nothing stops a later move).
    fn init_unpinned(&mut self) {
        self.name_ptr = &self.name;
    }

    /// Points `name_ptr` at `name`; the value is pinned, so it stays valid.
    fn init(self: Pin<&mut Self>) {
        // SAFETY: we only write a field; we do not move the value out of the pin.
        let this = unsafe { self.get_unchecked_mut() };
        this.name_ptr = &this.name;
    }

    /// What `name_ptr` points at.
    fn through_pointer(&self) -> &str {
        assert!(!self.name_ptr.is_null(), "init was not called");
        // SAFETY: `name_ptr` was set by `init`/`init_unpinned` to this value's
        // own `name`, and callers only use it while the value has not moved
        // since (pinned, or before the swap in part 1).
        unsafe { &*self.name_ptr }
    }
}

/// Part 1: moving a self-referential value breaks it.
fn unpinned_swap() {
    println!("1. Unpinned: swap two self-referential structs");
    let mut a = SelfRef::new("a");
    let mut b = SelfRef::new("b");
    a.init_unpinned();
    b.init_unpinned();
    println!(
        "   before: a.name = {}, a via pointer = {}",
        a.name,
        a.through_pointer()
    );
    std::mem::swap(&mut a, &mut b);
    // Dereferencing the stale pointer now would be undefined behaviour, so
    // compare addresses instead.
    let own = &a.name as *const String;
    println!(
        "   after:  a.name = {}, but a.name_ptr = {:p} while a.name is at {own:p}: {}",
        a.name,
        a.name_ptr,
        if a.name_ptr == own {
            "still valid"
        } else {
            "it points into b now"
        }
    );
}

/// Part 2: `Box::pin` keeps the value at one heap address.
fn heap_pinned() {
    println!("2. Heap pinning with Box::pin");
    let mut boxed = Box::pin(SelfRef::new("heap"));
    boxed.as_mut().init();
    let before = &*boxed as *const SelfRef;
    let moved = boxed; // moves the Box (a pointer), not the SelfRef
    let after = &*moved as *const SelfRef;
    println!(
        "   value at {before:p} before moving the box, {after:p} after; via pointer = {}",
        moved.through_pointer()
    );
    // `std::mem::swap(&mut *moved, ..)` would not compile: `Pin<Box<SelfRef>>`
    // gives no `&mut SelfRef` because `SelfRef: !Unpin`.
}

/// Part 3: `pin!` pins in the current stack frame.
fn stack_pinned() {
    println!("3. Stack pinning with pin!");
    let mut pinned: Pin<&mut SelfRef> = pin!(SelfRef::new("stack"));
    pinned.as_mut().init();
    println!(
        "   name = {}, via pointer = {} (no allocation; it cannot outlive this scope)",
        pinned.name,
        pinned.through_pointer()
    );
}

/// A future that counts how often its inner future is polled: the inner
/// future is pinned (structural), the counter is not.
struct CountPolls<F> {
    inner: F,
    polls: u32,
}

impl<F: Future> CountPolls<F> {
    /// The projection: `Pin<&mut Self>` into `Pin<&mut F>` and `&mut u32`.
    fn project(self: Pin<&mut Self>) -> (Pin<&mut F>, &mut u32) {
        // SAFETY: `inner` is treated as structurally pinned: it is never moved
        // out of a pinned `CountPolls` (no method does, and `CountPolls` has no
        // `Drop` impl that could), so pinning it is sound. `polls` is never
        // pinned, so handing out `&mut u32` is fine.
        unsafe {
            let this = self.get_unchecked_mut();
            (Pin::new_unchecked(&mut this.inner), &mut this.polls)
        }
    }
}

impl<F: Future> Future for CountPolls<F> {
    type Output = (F::Output, u32);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (inner, polls) = self.project();
        *polls += 1;
        match inner.poll(cx) {
            Poll::Ready(out) => Poll::Ready((out, *polls)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Part 4: a projection drives a `!Unpin` future (an `async` block that
/// holds a reference across `.await`) inside a wrapper.
fn projection() -> std::io::Result<()> {
    println!("4. Projection: a wrapper future polling a pinned inner future");
    let rt = eddy::runtime::Builder::new_current_thread().build()?;
    let (len, polls) = rt.block_on(CountPolls {
        inner: async {
            let text = String::from("self-referential future");
            let borrowed: &str = &text; // a reference into the future's own state...
            eddy::task::yield_now().await; // ...kept across two suspensions
            eddy::task::yield_now().await;
            borrowed.len()
        },
        polls: 0,
    });
    println!(
        "   inner future returned {len} after {polls} polls; its borrow survived each suspension"
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    unpinned_swap();
    heap_pinned();
    stack_pinned();
    projection()?;
    Ok(())
}
