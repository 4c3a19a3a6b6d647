//! The task allocation and everything that touches it through raw pointers:
//! the memory layout, the type-erased vtable, polling/completion (the
//! "harness") and the `Waker` built from the task pointer.
//!
//! # Layout
//!
//! One heap block per task, `#[repr(C)]` so a pointer to the block is a
//! pointer to its [`Header`]:
//!
//! ```text
//! +--------------------------------------------+
//! | Header: state word, vtable, id,            |
//! |         index in the owner's task list     |
//! | scheduler: S  (an Arc to the scheduler)    |
//! | stage: Running(F) | Finished(output) | -   |
//! | join waker: Option<Waker>                  |
//! +--------------------------------------------+
//! ```
//!
//! The state protocol is described in [`super::state`]; this module follows
//! it and says which rule each unsafe access relies on.

use std::cell::UnsafeCell;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::atomic::AtomicUsize;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::state::{COMPLETE, JOIN_INTEREST, JOIN_WAKER, State, ToIdle, ToNotified, ToRunning};
use super::{Id, JoinError, Notified, Schedule, Task};

/// The first field of every task: what the runtime reads without knowing
/// the future's type.
pub(crate) struct Header {
    pub(crate) state: State,
    vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Index in the owner's list of tasks; written by the owner only.
    pub(crate) owned_index: AtomicUsize,
}

/// The type-erased operations on one task type.
struct Vtable {
    poll: unsafe fn(NonNull<Header>),
    schedule: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
    try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    drop_join_handle_slow: unsafe fn(NonNull<Header>),
    shutdown: unsafe fn(NonNull<Header>),
    /// The `Waker` vtable of this task type (see [`WakerVtable`]).
    waker: &'static RawWakerVTable,
}

/// The whole allocation.
#[repr(C)]
struct Cell<F: Future, S> {
    header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
    join_waker: UnsafeCell<Option<Waker>>,
}

/// The future, then its output, in one place. A failure is boxed: tasks
/// rarely panic or get cancelled, and an inline two-word `JoinError` would
/// make every small task's stage a word bigger.
enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, Box<JoinError>>),
    Consumed,
}

// An idle task's cell is header + scheduler handle + stage + join waker:
// with a small future and `()` output the stage is two words and the cell
// nine, a 72-byte block in an 80-byte malloc chunk (it was 88 in a 96-byte
// chunk while the header held the spawn location and the stage an inline
// `JoinError`).
const _: () = assert!(std::mem::size_of::<Stage<std::future::Pending<()>>>() <= 16);
const _: () = assert!(std::mem::size_of::<Header>() == 32);
const _: () =
    assert!(std::mem::size_of::<Cell<std::future::Pending<()>, std::sync::Arc<()>>>() == 72);

/// A pointer to a task of unknown type. Copy; owns nothing by itself (the
/// typed handles in `super` own references).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a `RawTask` is a pointer to a task whose shared state is the atomic
// state word; the future and output are only touched under the state
// protocol's rules, which serialise access across threads.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates a task. The state starts with three references (owned list,
    /// `JoinHandle`, first `Notified`) and NOTIFIED set.
    pub(crate) fn new<F, S>(future: F, scheduler: S, id: Id) -> RawTask
    where
        F: Future + 'static,
        S: Schedule,
    {
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(),
                vtable: vtable::<F, S>(),
                id,
                owned_index: AtomicUsize::new(usize::MAX),
            },
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
            join_waker: UnsafeCell::new(None),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the caller of every method holds a reference count, so the
        // allocation is alive; the header is never mutated non-atomically.
        unsafe { self.ptr.as_ref() }
    }

    /// Polls the task, consuming the `Notified`'s reference.
    pub(crate) fn poll(self) {
        // SAFETY: the vtable matches the allocation it was created with.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// Hands a `Notified` (whose reference the caller transfers) to the
    /// task's scheduler.
    pub(crate) fn schedule(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    /// Shuts the task down (runtime shutdown), consuming one reference.
    pub(crate) fn shutdown(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// Reads the output into `dst` (a `*mut Poll<Result<T, JoinError>>`) if
    /// the task is complete, otherwise stores `waker` as the join waker.
    ///
    /// # Safety
    ///
    /// `dst` must point to a valid `Poll<Result<T, JoinError>>` where `T` is
    /// the task's output type, and the caller must be the `JoinHandle`.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: as in `poll`; `dst`'s type is the caller's promise.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// The `JoinHandle` is dropped; consumes its reference.
    pub(crate) fn drop_join_handle(self) {
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.drop_join_handle_slow)(self.ptr) }
    }

    pub(crate) fn ref_inc(self) {
        self.header().state.ref_inc();
    }

    /// Drops one reference, freeing the task if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.header().state.ref_dec() {
            // SAFETY: ours was the last reference.
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }

    /// `abort()`: cancel, and schedule the task so a poller drops it.
    pub(crate) fn remote_abort(self) {
        if self.header().state.transition_to_notified_and_cancel() {
            self.schedule();
        }
    }

    fn wake_by_ref(self) {
        if self.header().state.transition_to_notified_by_ref() == ToNotified::Submit {
            self.schedule();
        }
    }

    /// A waker that borrows the caller's reference (not counted); only valid
    /// while the caller keeps that reference.
    fn waker_ref(self) -> ManuallyDrop<Waker> {
        // SAFETY: the vtable's functions uphold the RawWaker contract; the
        // ManuallyDrop keeps the borrowed reference from being released.
        ManuallyDrop::new(unsafe { Waker::from_raw(self.raw_waker()) })
    }

    /// Every waker of a task carries the vtable pointer stored in its
    /// header, so two wakers of one task always compare equal in
    /// `Waker::will_wake`.
    fn raw_waker(self) -> RawWaker {
        RawWaker::new(self.ptr.as_ptr() as *const (), self.header().vtable.waker)
    }
}

impl std::fmt::Debug for RawTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.header().id)
            .field("state", &self.header().state)
            .finish()
    }
}

// ---- Waker ---------------------------------------------------------------

/// The `Waker` vtable of tasks of one type. Only waking by value is typed:
/// it is the reactor's wake, and reaching the task's scheduler directly
/// spares a second indirect call through the task's own vtable.
struct WakerVtable<F, S>(PhantomData<(F, S)>);

impl<F: Future + 'static, S: Schedule> WakerVtable<F, S> {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        waker_clone,
        waker_wake::<F, S>,
        waker_wake_by_ref,
        waker_drop,
    );
}

fn raw_from_waker_ptr(ptr: *const ()) -> RawTask {
    RawTask {
        // SAFETY: wakers are only built from non-null task pointers.
        ptr: unsafe { NonNull::new_unchecked(ptr as *mut Header) },
    }
}

unsafe fn waker_clone(ptr: *const ()) -> RawWaker {
    let raw = raw_from_waker_ptr(ptr);
    raw.ref_inc();
    raw.raw_waker()
}

unsafe fn waker_wake<F: Future + 'static, S: Schedule>(ptr: *const ()) {
    // SAFETY: this function is only in the waker vtable of `Cell<F, S>`
    // tasks (`WakerVtable<F, S>`), and the waker holds a reference.
    let harness = unsafe { Harness::<F, S>::from_raw(raw_from_waker_ptr(ptr).ptr) };
    match harness.state().transition_to_notified_by_val() {
        ToNotified::Submit => {
            // The waker's reference becomes the `Notified`'s.
            let task = Notified(Task::from_raw(harness.raw()));
            harness.cell().scheduler.schedule(task);
        }
        ToNotified::DoNothing => {}
        // SAFETY: the waker's reference was the last.
        ToNotified::Dealloc => unsafe { harness.dealloc() },
    }
}

unsafe fn waker_wake_by_ref(ptr: *const ()) {
    raw_from_waker_ptr(ptr).wake_by_ref();
}

unsafe fn waker_drop(ptr: *const ()) {
    raw_from_waker_ptr(ptr).drop_reference();
}

// ---- Vtable and harness --------------------------------------------------

fn vtable<F: Future + 'static, S: Schedule>() -> &'static Vtable {
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle_slow: drop_join_handle_slow::<F, S>,
        shutdown: shutdown::<F, S>,
        waker: &WakerVtable::<F, S>::VTABLE,
    }
}

/// Typed access to one task allocation.
struct Harness<F: Future, S> {
    cell: NonNull<Cell<F, S>>,
}

impl<F: Future + 'static, S: Schedule> Harness<F, S> {
    /// # Safety
    ///
    /// `ptr` must point to a live `Cell<F, S>`.
    unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: `from_raw`'s contract; the caller holds a reference.
        unsafe { self.cell.as_ref() }
    }

    fn state(&self) -> &State {
        &self.cell().header.state
    }

    fn raw(&self) -> RawTask {
        RawTask {
            ptr: self.cell.cast(),
        }
    }

    /// # Safety
    ///
    /// The caller must hold `RUNNING`, or `COMPLETE` with the output's
    /// ownership per rule 3 of `state`.
    #[allow(clippy::mut_from_ref)]
    unsafe fn stage(&self) -> &mut Stage<F> {
        // SAFETY: exclusive access is the caller's promise.
        unsafe { &mut *self.cell().stage.get() }
    }

    fn poll(self) {
        let action = self.state().transition_to_running();
        if action != ToRunning::Success {
            return self.not_running(action);
        }
        let waker = self.raw().waker_ref();
        let mut cx = Context::from_waker(&waker);
        if self.poll_future(&mut cx).is_ready() {
            return self.complete();
        }
        match self.state().transition_to_idle() {
            ToIdle::Ok => {}
            ToIdle::OkNotified => {
                let task = Notified(Task::from_raw(self.raw()));
                self.cell().scheduler.yield_now(task);
            }
            // SAFETY: the poller's reference was the last.
            ToIdle::OkDealloc => unsafe { self.dealloc() },
            ToIdle::Cancelled => {
                self.cancel_future();
                self.complete();
            }
        }
    }

    /// [`poll`](Self::poll) when the task cannot run: cancelled (drop the
    /// future), or held or finished elsewhere (drop our reference).
    #[cold]
    #[inline(never)]
    fn not_running(self, action: ToRunning) {
        match action {
            ToRunning::Cancelled => {
                self.cancel_future();
                self.complete();
            }
            // (`Success` never comes here.)
            ToRunning::Success | ToRunning::Failed => {}
            // SAFETY: the `Notified`'s reference was the last.
            ToRunning::Dealloc => unsafe { self.dealloc() },
        }
    }

    /// Polls the future once, catching a panic. On `Ready` the stage holds
    /// the output.
    fn poll_future(&self, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: we hold RUNNING (rule 1).
        let stage = unsafe { self.stage() };
        let Stage::Running(future) = stage else {
            unreachable!("a running task always holds its future")
        };
        // SAFETY: the future lives in the task allocation and is never moved
        // until it is dropped in place.
        let future = unsafe { Pin::new_unchecked(future) };
        let output = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(Box::new(JoinError::panic(self.cell().header.id, payload))),
        };
        let dropped = self.drop_stage();
        self.store_stage(Stage::Finished(dropped.and(output)));
        Poll::Ready(())
    }

    /// Drops the future without polling it (abort, shutdown).
    fn cancel_future(&self) {
        let id = self.cell().header.id;
        let result = self
            .drop_stage()
            .and(Err(Box::new(JoinError::cancelled(id))));
        self.store_stage(Stage::Finished(result));
    }

    /// Drops whatever the stage holds, in place, catching a panic from its
    /// destructor. Leaves the stage logically empty: `store_stage` must
    /// follow.
    fn drop_stage(&self) -> Result<(), Box<JoinError>> {
        let id = self.cell().header.id;
        // SAFETY: we hold RUNNING or own the output (callers); the value is
        // dropped in place (pinning) and overwritten by `store_stage`
        // without being dropped again, even if its destructor panicked.
        let stage = unsafe { self.stage() } as *mut Stage<F>;
        // SAFETY: as above.
        catch_unwind(AssertUnwindSafe(|| unsafe { ptr::drop_in_place(stage) }))
            .map_err(|payload| Box::new(JoinError::panic(id, payload)))
    }

    fn store_stage(&self, value: Stage<F>) {
        // SAFETY: called right after `drop_stage`, so the old value is gone
        // and must not be dropped again.
        unsafe { ptr::write(self.stage(), value) }
    }

    /// The future is gone: publish COMPLETE, hand over the output, release
    /// the task from its owner and drop our references.
    fn complete(self) {
        let snapshot = self.state().transition_to_complete();
        if !snapshot.is(JOIN_INTEREST) {
            // Rule 3: nobody will read the output; drop it here.
            let _ = self.drop_stage();
            self.store_stage(Stage::Consumed);
        } else if snapshot.is(JOIN_WAKER) {
            // Rule 4: the runtime owns the slot while JOIN_WAKER is set.
            // SAFETY: see above.
            let slot = unsafe { &*self.cell().join_waker.get() };
            if let Some(waker) = slot {
                let _ = catch_unwind(AssertUnwindSafe(|| waker.wake_by_ref()));
            }
            let after = self.state().unset_waker_after_complete();
            if !after.is(JOIN_INTEREST) {
                // The JoinHandle dropped while we woke it: the slot is ours.
                // SAFETY: JOIN_WAKER was set when the handle dropped, so it
                // left the slot to us.
                unsafe { *self.cell().join_waker.get() = None };
            }
        }
        let me = ManuallyDrop::new(Task::<S>::from_raw(self.raw()));
        let released = self.cell().scheduler.release(&me);
        let count = match released {
            Some(task) => {
                std::mem::forget(task);
                2
            }
            None => 1,
        };
        if self.state().transition_to_terminal(count) {
            // SAFETY: no references remain.
            unsafe { self.dealloc() }
        }
    }

    /// # Safety
    ///
    /// No references to the task may remain.
    unsafe fn dealloc(self) {
        // SAFETY: the allocation came from `Box::new` in `RawTask::new`.
        drop(unsafe { Box::from_raw(self.cell.as_ptr()) });
    }

    /// Rule 4 from the `JoinHandle`'s side: returns true if the output can
    /// be read now; otherwise leaves `waker` in the join waker slot.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let snapshot = self.state().load();
        if snapshot.is(COMPLETE) {
            return true;
        }
        let slot = self.cell().join_waker.get();
        let res = if snapshot.is(JOIN_WAKER) {
            // SAFETY: reading is fine: the runtime only reads the slot too
            // until it gives it back.
            let same = unsafe { (*slot).as_ref() }.is_some_and(|w| w.will_wake(waker));
            if same {
                return false;
            }
            self.state()
                .unset_join_waker()
                .and_then(|_| self.set_join_waker(waker.clone()))
        } else {
            self.set_join_waker(waker.clone())
        };
        match res {
            Ok(_) => false,
            Err(snapshot) => {
                debug_assert!(snapshot.is(COMPLETE));
                true
            }
        }
    }

    fn set_join_waker(&self, waker: Waker) -> Result<(), super::state::Snapshot> {
        let slot = self.cell().join_waker.get();
        // SAFETY: JOIN_WAKER is clear, so the slot is the JoinHandle's.
        unsafe { *slot = Some(waker) };
        match self.state().set_join_waker() {
            Ok(_) => Ok(()),
            Err(snapshot) => {
                // SAFETY: the set failed, so the slot is still ours.
                unsafe { *slot = None };
                Err(snapshot)
            }
        }
    }
}

unsafe fn poll<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable is only reachable from a `Cell<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

unsafe fn schedule<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    let task = Notified(Task::from_raw(harness.raw()));
    harness.cell().scheduler.schedule(task);
}

unsafe fn dealloc<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`; the caller saw the count reach zero.
    unsafe { Harness::<F, S>::from_raw(ptr).dealloc() }
}

unsafe fn try_read_output<F: Future + 'static, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    // SAFETY: as in `poll`.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.can_read_output(waker) {
        // SAFETY: COMPLETE with JOIN_INTEREST: the output is the JoinHandle's.
        let stage = std::mem::replace(unsafe { harness.stage() }, Stage::Consumed);
        let Stage::Finished(output) = stage else {
            panic!("JoinHandle polled after it returned its output")
        };
        let dst = dst as *mut Poll<Result<F::Output, JoinError>>;
        // SAFETY: the caller's contract gives `dst`'s type.
        unsafe { *dst = Poll::Ready(output.map_err(|e| *e)) };
    }
}

unsafe fn drop_join_handle_slow<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    let dropped = harness.state().transition_to_join_handle_dropped();
    if dropped.drop_output {
        // Rule 3: complete before we dropped; the output is ours.
        let _ = harness.drop_stage();
        harness.store_stage(Stage::Consumed);
    }
    if dropped.drop_waker {
        // SAFETY: rule 4, JOIN_WAKER is clear.
        unsafe { *harness.cell().join_waker.get() = None };
    }
    harness.raw().drop_reference();
}

unsafe fn shutdown<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.state().transition_to_shutdown() {
        harness.cancel_future();
        harness.complete();
    } else {
        harness.raw().drop_reference();
    }
}
