//! [`Handle`]: a cloneable reference to a running runtime.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;

use super::context::{self, SetCurrentGuard};
use super::io::IoHandle;
use super::scheduler;
use crate::task::JoinHandle;
use crate::time::driver::TimeHandle;

/// A handle to a runtime: spawn onto it, enter it, or block on it from any
/// thread. Cheap to clone (an `Arc`).
///
/// ```
/// use eddy::runtime::{Handle, Runtime};
///
/// let rt = Runtime::new()?;
/// let handle = rt.handle().clone();
/// let answer = std::thread::spawn(move || {
///     let task = handle.spawn(async { 1 + 1 });
///     handle.block_on(task).unwrap()
/// })
/// .join()
/// .unwrap();
/// assert_eq!(answer, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: scheduler::Handle,
}

/// [`Handle::try_current`] found no runtime on this thread.
#[derive(Debug)]
pub struct TryCurrentError {
    _private: (),
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NO_RUNTIME)
    }
}

impl std::error::Error for TryCurrentError {}

const NO_RUNTIME: &str = "there is no eddy runtime on this thread: call this from inside \
     `Runtime::block_on`, a task spawned on a runtime, or while a `Runtime::enter` guard is alive \
     (or use `#[eddy::main]`)";

impl Handle {
    /// The runtime running on this thread.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message that says so; use
    /// [`try_current`](Self::try_current) to handle that case.
    ///
    /// ```
    /// let rt = eddy::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let handle = eddy::runtime::Handle::current();
    ///     handle.spawn(async {});
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The runtime running on this thread, or an error if there is none.
    ///
    /// ```
    /// assert!(eddy::runtime::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(|inner| Handle {
            inner: inner.clone(),
        })
        .ok_or(TryCurrentError { _private: () })
    }

    /// Spawns a task onto this runtime (from any thread).
    ///
    /// ```
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let task = rt.handle().spawn(async { "done" });
    /// assert_eq!(rt.block_on(task).unwrap(), "done");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future, Location::caller())
    }

    /// Runs the blocking closure `f` on this runtime's blocking pool (from
    /// any thread); see [`spawn_blocking`](crate::task::spawn_blocking).
    ///
    /// ```
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let call = rt.handle().spawn_blocking(|| std::env::temp_dir().exists());
    /// assert!(rt.block_on(call).unwrap());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.driver().blocking.spawn(&self.inner, f)
    }

    /// Runs `future` to completion on the calling thread, driving the
    /// runtime's tasks meanwhile (as [`Runtime::block_on`](super::Runtime::block_on)).
    /// While another thread is driving the runtime, `future` is polled on
    /// this thread alone, and this thread takes over driving when the other
    /// one is done.
    ///
    /// # Panics
    ///
    /// Inside a runtime (see [`Runtime::block_on`](super::Runtime::block_on)),
    /// and after the runtime has shut down.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Makes this runtime current on this thread until the guard drops, so
    /// `Handle::current`, `eddy::spawn` and I/O constructors work outside
    /// `block_on`.
    ///
    /// ```
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let _guard = rt.handle().enter();
    /// let task = eddy::spawn(async { 3 });
    /// drop(_guard);
    /// assert_eq!(rt.block_on(task).unwrap(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_current(&self.inner),
            _handle: PhantomData,
        }
    }

    /// Whether `self` and `other` are handles to the same runtime (clones of
    /// one another, or both taken from it), however they were obtained.
    ///
    /// ```
    /// use eddy::runtime::{Handle, Runtime};
    ///
    /// let rt = Runtime::new()?;
    /// let other = Runtime::new()?;
    /// let inside = rt.block_on(async { Handle::current() });
    /// assert!(inside.ptr_eq(rt.handle()));
    /// assert!(!inside.ptr_eq(other.handle()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn ptr_eq(&self, other: &Handle) -> bool {
        self.inner.ptr_eq(&other.inner)
    }

    pub(crate) fn io(&self) -> &IoHandle {
        &self.inner.driver().io
    }

    pub(crate) fn time(&self) -> &TimeHandle {
        &self.inner.driver().time
    }

    pub(crate) fn driver(&self) -> &super::driver::Handle {
        self.inner.driver()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("scheduler", &self.inner)
            .finish()
    }
}

/// Keeps a runtime current on this thread (see [`Handle::enter`]).
#[derive(Debug)]
pub struct EnterGuard<'a> {
    _guard: SetCurrentGuard,
    _handle: PhantomData<&'a Handle>,
}
