//! A cell written once, by an async initialiser that runs at most once at a
//! time.
//!
//! Storage is a `std::sync::OnceLock` (lock-free reads once set); a one-permit
//! [`FairSemaphore`] makes concurrent initialisers queue, so only one runs,
//! and the others wake to find the value. A failed or cancelled initialiser
//! gives the permit to the next in line, which tries in its turn.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use super::fair_semaphore::FairSemaphore;

/// A value set once, possibly by an async function.
///
/// ```
/// use eddy::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::const_new();
/// futures_lite::future::block_on(async {
///     let value = CONFIG.get_or_init(|| async { "loaded".to_string() }).await;
///     assert_eq!(value, "loaded");
/// });
/// assert_eq!(CONFIG.get().map(String::as_str), Some("loaded"));
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// One permit: held by the running initialiser. Closed once the value is
    /// set, which wakes every queued initialiser to read it.
    init: FairSemaphore,
}

/// Why [`OnceCell::set`] failed.
///
/// ```
/// use eddy::sync::{OnceCell, SetError};
/// let cell = OnceCell::new_with(Some(1));
/// assert_eq!(cell.set(2), Err(SetError::AlreadyInitialized(2)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value; yours is returned.
    AlreadyInitialized(T),
    /// An initialiser is running right now; yours is returned.
    InitializingError(T),
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitialized(_) => f.write_str("the cell is already initialized"),
            SetError::InitializingError(_) => f.write_str("the cell is being initialized"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// ```
    /// let cell = eddy::sync::OnceCell::<u8>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: FairSemaphore::new(1),
        }
    }

    /// An empty cell usable in a `static`.
    ///
    /// ```
    /// static NAME: eddy::sync::OnceCell<String> = eddy::sync::OnceCell::const_new();
    /// let name = futures_lite::future::block_on(NAME.get_or_init(|| async { "eddy".to_string() }));
    /// assert_eq!(name, "eddy");
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: FairSemaphore::const_new(1),
        }
    }

    /// A cell already holding `value`.
    ///
    /// ```
    /// assert_eq!(eddy::sync::OnceCell::new_with(Some(1)).get(), Some(&1));
    /// ```
    pub fn new_with(value: Option<T>) -> Self {
        let cell = OnceCell::new();
        if let Some(value) = value {
            let _ = cell.value.set(value);
            cell.init.close();
        }
        cell
    }

    /// The value, if set.
    ///
    /// ```
    /// let cell = eddy::sync::OnceCell::new();
    /// cell.set(2).unwrap();
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Whether the value is set.
    ///
    /// ```
    /// assert!(!eddy::sync::OnceCell::<u8>::new().initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// Sets the value if the cell is empty and no initialiser is running.
    ///
    /// # Errors
    ///
    /// [`SetError`] with your value otherwise.
    ///
    /// ```
    /// use eddy::sync::{OnceCell, SetError};
    /// let cell = OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert_eq!(cell.set(2), Err(SetError::AlreadyInitialized(2)));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitialized(value));
        }
        match self.init.try_acquire(1) {
            Ok(()) => {
                self.finish(value);
                Ok(())
            }
            Err(_) if self.initialized() => Err(SetError::AlreadyInitialized(value)),
            Err(_) => Err(SetError::InitializingError(value)),
        }
    }

    /// Stores the value while holding the init permit, then closes the
    /// semaphore so every queued initialiser wakes and reads it.
    fn finish(&self, value: T) {
        if self.value.set(value).is_err() {
            unreachable!("only the holder of the init permit sets the value");
        }
        self.init.close();
        // The permit is not released: a closed semaphore needs none.
    }

    /// The value, running `init` first if the cell is empty. Concurrent
    /// callers wait for the running `init` instead of starting their own.
    ///
    /// Cancel-safe: if the running `init` is dropped, the next waiting caller
    /// runs its own; the cell is never left locked.
    ///
    /// ```
    /// let cell = eddy::sync::OnceCell::new();
    /// futures_lite::future::block_on(async {
    ///     assert_eq!(*cell.get_or_init(|| async { 1 }).await, 1);
    ///     assert_eq!(*cell.get_or_init(|| async { 2 }).await, 1);
    /// });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(init().await) })
            .await
        {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`OnceCell::get_or_init`] with a fallible `init`: on error the cell
    /// stays empty, the error is returned, and the next waiting caller tries.
    ///
    /// Cancel-safe, as [`OnceCell::get_or_init`].
    ///
    /// # Errors
    ///
    /// The error `init` returned.
    ///
    /// ```
    /// let cell = eddy::sync::OnceCell::new();
    /// futures_lite::future::block_on(async {
    ///     assert_eq!(cell.get_or_try_init(|| async { Err("no") }).await, Err("no"));
    ///     assert_eq!(cell.get_or_try_init(|| async { Ok::<_, &str>(3) }).await, Ok(&3));
    /// });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        if self.init.acquire(1).await.is_err() {
            // Closed: the value was set while we waited.
            return Ok(self
                .get()
                .expect("the init semaphore closes only after the value is set"));
        }
        // We hold the permit; release it on every path but success, including
        // when this future is dropped mid-`init`.
        let permit = InitPermit(&self.init);
        match init().await {
            Ok(value) => {
                std::mem::forget(permit);
                self.finish(value);
                Ok(self.get().expect("just set"))
            }
            Err(error) => Err(error),
        }
    }

    /// Takes the value out, leaving the cell empty.
    ///
    /// ```
    /// let mut cell = eddy::sync::OnceCell::new_with(Some(1));
    /// assert_eq!(cell.take(), Some(1));
    /// assert!(cell.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        let value = self.value.take();
        if value.is_some() {
            self.init = FairSemaphore::new(1);
        }
        value
    }

    /// Consumes the cell and returns the value, if set.
    ///
    /// ```
    /// assert_eq!(eddy::sync::OnceCell::new_with(Some(4)).into_inner(), Some(4));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}

/// Returns the init permit unless forgotten.
struct InitPermit<'a>(&'a FairSemaphore);

impl Drop for InitPermit<'_> {
    fn drop(&mut self) {
        self.0.release(1);
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell::new_with(Some(value))
    }
}
