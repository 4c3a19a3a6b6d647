//! A fiber's shared state: its [`Header`] (identity, scheduling state, saved
//! stack pointer, stack), the typed cell holding its closure and then its
//! result, [`Waiter`]s that make it runnable again, and the public handles
//! [`JoinHandle`] and [`Fiber`].
//!
//! Every fiber is one `Rc` allocation (`FiberCell`), seen by the scheduler
//! as a [`FiberRef`] (one thin pointer to the header, counting as a strong
//! reference of the `Rc`) and by its join handle as
//! `Rc<FiberCell<dyn Output<T>>>`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::num::NonZeroU64;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::scheduler::{self, Cancelled};
use crate::stack::FiberStack;

/// The scheduling state of a fiber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// In the run queue (set by spawn, yield and wakes; cleared when run).
    Runnable,
    /// The context on the CPU (set by the scheduler when switching in).
    Running,
    /// Parked until a [`Waiter`] carrying `Header::wait` wakes it (set by
    /// the fiber itself before switching away).
    Waiting,
    /// Its closure returned or panicked; never runs again (set at exit).
    Finished,
}

/// A unique fiber identifier (unique for the process's lifetime).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FiberId(NonZeroU64);

impl FiberId {
    pub(crate) fn next() -> FiberId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        FiberId(NonZeroU64::new(id).expect("64-bit fiber ids do not wrap"))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for FiberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who waits for a fiber to finish.
pub(crate) enum Joiner {
    /// A fiber parked in `JoinHandle::join`.
    Fiber(Waiter),
    /// A future polling the join handle.
    Task(std::task::Waker),
}

/// What every fiber (and the root context of `block_on`) has.
pub(crate) struct Header {
    pub(crate) id: FiberId,
    pub(crate) name: Option<Rc<str>>,
    /// The runtime this fiber belongs to (wakes from others are ignored).
    pub(crate) runtime: u64,
    pub(crate) state: Cell<State>,
    /// Saved stack pointer while not running.
    pub(crate) sp: Cell<*mut u8>,
    /// The stack (none for the root context, none after finishing).
    pub(crate) stack: Cell<Option<FiberStack>>,
    /// The wait in progress: wakes carrying another number are stale.
    pub(crate) wait: Cell<u64>,
    pub(crate) joiner: Cell<Option<Joiner>>,
    /// Set at runtime shutdown: the next park unwinds the fiber.
    pub(crate) cancelled: Cell<bool>,
    /// Index in the scheduler's table of live fibers.
    pub(crate) slot: Cell<usize>,
    /// The root context of `block_on` (runs on the thread's own stack).
    pub(crate) is_root: bool,
    /// The cell this header is the first field of, as the scheduler's
    /// (fat) view: set once by [`FiberRef::new`], read to run the body and
    /// to count references.
    cell: Cell<Option<NonNull<FiberCell<dyn Run>>>>,
}

impl Header {
    pub(crate) fn new(name: Option<Rc<str>>, runtime: u64) -> Header {
        Header {
            id: FiberId::next(),
            name,
            runtime,
            state: Cell::new(State::Runnable),
            sp: Cell::new(std::ptr::null_mut()),
            stack: Cell::new(None),
            wait: Cell::new(0),
            joiner: Cell::new(None),
            cancelled: Cell::new(false),
            slot: Cell::new(usize::MAX),
            is_root: false,
            cell: Cell::new(None),
        }
    }
}

/// One allocation per fiber: the header, then the body (closure, then
/// result). The body is unsized in the views below, so the header is a
/// plain field access, never a virtual call. `repr(C)` puts the header at
/// offset 0, the address [`FiberRef`] keeps.
#[repr(C)]
pub(crate) struct FiberCell<B: ?Sized> {
    header: Header,
    pub(crate) body: B,
}

impl<B: ?Sized> FiberCell<B> {
    pub(crate) fn header(&self) -> &Header {
        &self.header
    }
}

/// What the scheduler does with a fiber's body.
pub(crate) trait Run {
    /// Runs the closure to completion, catching a panic, and stores the
    /// result (or, when `cancelled`, drops the closure unrun).
    fn run(&self, cancelled: bool);
}

/// What a join handle does with a fiber's body.
pub(crate) trait Output<T> {
    fn take_output(&self) -> Option<Result<T, JoinError>>;
}

/// A fiber as the scheduler sees it: one strong reference of the fiber's
/// `Rc<FiberCell<dyn Run>>`, held as a thin pointer to the cell's header.
///
/// A thin pointer, not the `Rc` itself, for two reasons measured on the
/// park/wake path. Through `Rc<FiberCell<dyn Run>>`, every header access
/// recomputes where the value starts in the allocation from the alignment
/// in the body's vtable (a load and four arithmetic instructions, and the
/// scheduler reads headers a dozen times per switch). And the run queue,
/// the current context and the waiters move these values around on every
/// switch: at 8 bytes each move is one load and one store, where a 24-byte
/// value (a fat `Rc` plus a header pointer) was stored and reloaded in
/// differently split pieces, which the CPU cannot forward from its store
/// buffer (yield between two fibers: 15 ns with 16-byte values, 26 ns with
/// 24-byte ones, 193 vs 180 instructions). The fat pointer needed to run
/// the body and to drop the allocation lives in the header itself.
pub(crate) struct FiberRef {
    /// `cell.header` of a live cell; this value owns one strong count.
    header: NonNull<Header>,
}

// The run queue, the current context and the waiters move `FiberRef`s on
// every switch: keep them one word (see above).
const _: () = assert!(size_of::<FiberRef>() == size_of::<usize>());
const _: () = assert!(size_of::<Option<FiberRef>>() == size_of::<usize>());

impl FiberRef {
    /// Takes over the strong count of `cell`.
    fn new(cell: Rc<FiberCell<dyn Run>>) -> FiberRef {
        let cell = Rc::into_raw(cell).cast_mut();
        // SAFETY: `Rc::into_raw` returns a non-null pointer to the live
        // value, whose strong count it leaves to us: this value owns it.
        let cell = unsafe { NonNull::new_unchecked(cell) };
        // SAFETY: as above; the header is only ever reached through shared
        // references (its mutable parts are `Cell`s).
        let header = unsafe { &cell.as_ref().header };
        header.cell.set(Some(cell));
        FiberRef {
            header: NonNull::from(header),
        }
    }

    /// The fiber's header.
    #[inline(always)]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: `header` points into a cell this value holds a strong
        // count of, so the allocation lives at least as long as `&self`
        // (and `Rc` values never move). The header is only ever reached
        // through shared references (its mutable parts are `Cell`s), so
        // this one aliases nothing mutable.
        unsafe { self.header.as_ref() }
    }

    /// The fat pointer of the cell, as [`new`](Self::new) stored it.
    #[inline(always)]
    fn cell(&self) -> NonNull<FiberCell<dyn Run>> {
        // `new` sets it before any `FiberRef` to the header exists.
        match self.header().cell.get() {
            Some(cell) => cell,
            None => unreachable!("a FiberRef's header knows its cell"),
        }
    }

    /// Runs the fiber's body (see [`Run::run`]).
    pub(crate) fn run(&self, cancelled: bool) {
        // SAFETY: the cell is live while `self` holds its count; the body
        // is only reached through shared references (a `RefCell` inside).
        unsafe { self.cell().as_ref() }.body.run(cancelled);
    }
}

impl Clone for FiberRef {
    #[inline(always)]
    fn clone(&self) -> FiberRef {
        // SAFETY: the pointer came from `Rc::into_raw` of this allocation,
        // which is live (we hold a count), so one more count is allowed;
        // the new value owns it.
        unsafe { Rc::increment_strong_count(self.cell().as_ptr().cast_const()) };
        FiberRef {
            header: self.header,
        }
    }
}

impl Drop for FiberRef {
    #[inline(always)]
    fn drop(&mut self) {
        let cell = self.cell();
        // SAFETY: gives back the count this value owns, to the `Rc`
        // allocation it came from; nothing here touches the cell after.
        unsafe { Rc::decrement_strong_count(cell.as_ptr().cast_const()) };
    }
}

/// A fiber as its join handle sees it.
pub(crate) type OutputRef<T> = Rc<FiberCell<dyn Output<T>>>;

enum BodyState<F, T> {
    Pending(F),
    Done(Result<T, JoinError>),
    Taken,
}

/// The body of a fiber running `F`.
pub(crate) struct Body<F, T>(RefCell<BodyState<F, T>>);

/// Creates a fiber's allocation; returns the scheduler's and the join
/// handle's views of it.
pub(crate) fn new_fiber<F, T>(header: Header, f: F) -> (FiberRef, OutputRef<T>)
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    let cell = Rc::new(FiberCell {
        header,
        body: Body(RefCell::new(BodyState::Pending(f))),
    });
    (FiberRef::new(cell.clone()), cell)
}

impl<F: FnOnce() -> T, T> Run for Body<F, T> {
    fn run(&self, cancelled: bool) {
        let body = std::mem::replace(&mut *self.0.borrow_mut(), BodyState::Taken);
        let BodyState::Pending(f) = body else {
            unreachable!("a fiber runs once");
        };
        let output = if cancelled {
            drop(f);
            Err(JoinError::Cancelled)
        } else {
            panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
                if payload.is::<Cancelled>() {
                    JoinError::Cancelled
                } else {
                    JoinError::Panicked(payload)
                }
            })
        };
        *self.0.borrow_mut() = BodyState::Done(output);
    }
}

impl<F: FnOnce() -> T, T> Output<T> for Body<F, T> {
    fn take_output(&self) -> Option<Result<T, JoinError>> {
        let mut body = self.0.borrow_mut();
        match std::mem::replace(&mut *body, BodyState::Taken) {
            BodyState::Done(output) => Some(output),
            other => {
                *body = other;
                None
            }
        }
    }
}

/// The body of the root context of `block_on`, which runs on the thread's
/// own stack and is never started like a fiber.
struct RootBody;

impl Run for RootBody {
    fn run(&self, _cancelled: bool) {
        unreachable!("the root context is never started as a fiber");
    }
}

/// Creates the root context of a `block_on` (or of a shutdown).
pub(crate) fn new_root(runtime: u64) -> FiberRef {
    let header = Header {
        is_root: true,
        ..Header::new(None, runtime)
    };
    header.state.set(State::Running);
    FiberRef::new(Rc::new(FiberCell {
        header,
        body: RootBody,
    }))
}

/// Makes one particular wait of one fiber runnable again. Waking a fiber
/// that has since finished that wait (a *stale* waiter) does nothing, so
/// waits never see spurious wake-ups from old registrations.
#[derive(Clone)]
pub(crate) struct Waiter {
    pub(crate) fiber: FiberRef,
    pub(crate) wait: u64,
}

impl Waiter {
    /// Whether the fiber is still in the wait this waiter was made for.
    pub(crate) fn is_current(&self) -> bool {
        let h = self.fiber.header();
        h.state.get() == State::Waiting && h.wait.get() == self.wait
    }

    /// Makes the fiber runnable if it is still in this wait.
    pub(crate) fn wake(&self) {
        if self.is_current() {
            scheduler::make_runnable(self.fiber.clone());
        }
    }

    /// [`wake`](Self::wake), handing over this waiter's reference to the
    /// fiber instead of taking another.
    pub(crate) fn wake_owned(self) {
        if self.is_current() {
            scheduler::make_runnable(self.fiber);
        }
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("fiber", &self.fiber.header().id)
            .field("wait", &self.wait)
            .finish()
    }
}

/// Why a fiber did not produce a value.
pub enum JoinError {
    /// Its closure panicked; the payload is the panic's.
    Panicked(Box<dyn Any + Send + 'static>),
    /// The runtime shut down before it finished.
    Cancelled,
}

impl JoinError {
    /// Whether the fiber panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    /// Returns `Err(self)` when the fiber was cancelled instead.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self {
            JoinError::Panicked(payload) => Ok(payload),
            other => Err(other),
        }
    }

    fn panic_message(&self) -> Option<&str> {
        match self {
            JoinError::Panicked(p) => p
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
            JoinError::Cancelled => None,
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
            JoinError::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => match self.panic_message() {
                Some(msg) => write!(f, "fiber panicked: {msg}"),
                None => f.write_str("fiber panicked"),
            },
            JoinError::Cancelled => f.write_str("fiber was cancelled by its runtime shutting down"),
        }
    }
}

impl std::error::Error for JoinError {}

/// Waits for a fiber to finish: [`join`](JoinHandle::join) from another
/// fiber, or `.await` it from async code. Dropping it detaches the fiber.
///
/// Fibers and their handles stay on the thread that runs them:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// eddy_fiber::Runtime::new().unwrap().block_on(|| {
///     assert_send(eddy_fiber::spawn(|| 1));
/// });
/// ```
pub struct JoinHandle<T> {
    pub(crate) fiber: OutputRef<T>,
}

impl<T> JoinHandle<T> {
    /// Parks the calling fiber until this fiber finishes, and returns its
    /// value, or the error if it panicked.
    ///
    /// ```
    /// let rt = eddy_fiber::Runtime::new()?;
    /// let sum = rt.block_on(|| {
    ///     let a = eddy_fiber::spawn(|| 20);
    ///     let b = eddy_fiber::spawn(|| 22);
    ///     a.join().unwrap() + b.join().unwrap()
    /// });
    /// assert_eq!(sum, 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// When called outside a fiber (there is nothing to park).
    pub fn join(self) -> Result<T, JoinError> {
        scheduler::join(&self.fiber)
    }

    /// Whether the fiber has finished.
    pub fn is_finished(&self) -> bool {
        self.fiber.header().state.get() == State::Finished
    }

    /// The fiber this handle waits for.
    pub fn fiber(&self) -> Fiber {
        Fiber::of(self.fiber.header())
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.fiber.header();
        f.debug_struct("JoinHandle")
            .field("id", &h.id)
            .field("name", &h.name)
            .field("state", &h.state.get())
            .finish()
    }
}

/// A handle to a fiber: its id and name. See [`current`](crate::current).
#[derive(Clone)]
pub struct Fiber {
    id: FiberId,
    name: Option<Rc<str>>,
}

impl Fiber {
    pub(crate) fn of(header: &Header) -> Fiber {
        Fiber {
            id: header.id,
            name: header.name.clone(),
        }
    }

    /// The fiber's unique id.
    pub fn id(&self) -> FiberId {
        self.id
    }

    /// The fiber's name, if it was given one with
    /// [`Builder::name`](crate::Builder::name).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Debug for Fiber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fiber")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish()
    }
}
