//! An async mutex: a one-permit [`FairSemaphore`] guarding an `UnsafeCell`.
//!
//! Locking while nobody holds the lock is one CAS, unlocking while nobody
//! waits is one CAS; waiting tasks queue FIFO.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::fair_semaphore::FairSemaphore;

/// An async mutual-exclusion lock that can be held across `.await`.
///
/// Tasks waiting in [`Mutex::lock`] get the lock in the order they asked
/// (FIFO). Prefer `std::sync::Mutex` for data never held across an await.
///
/// # Example
///
/// ```
/// use eddy::sync::Mutex;
///
/// let counter = Mutex::new(0);
/// futures_lite::future::block_on(async {
///     *counter.lock().await += 1;
///     assert_eq!(*counter.lock().await, 1);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    semaphore: FairSemaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore hands out at most one guard at a time, so the data is
// only reached from one thread at once; moving `T` across threads needs `T: Send`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: shared access to the mutex only gives `&mut T` to one guard
// holder at a time, which is what `T: Send` permits.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Holds a [`Mutex`] locked; unlocks when dropped.
///
/// ```
/// let mutex = eddy::sync::Mutex::new(1);
/// *mutex.try_lock().unwrap() += 1;
/// assert_eq!(*mutex.try_lock().unwrap(), 2);
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

/// Holds an `Arc<Mutex<T>>` locked; unlocks when dropped. Not tied to a
/// borrow, so it can move into a spawned task.
///
/// ```
/// use std::sync::Arc;
/// let mutex = Arc::new(eddy::sync::Mutex::new(1));
/// let guard = mutex.clone().try_lock_owned().unwrap();
/// assert_eq!(*guard, 1);
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

// SAFETY: a guard gives `&T` to whichever thread holds it, so sharing a guard
// is sharing `&T`: needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for OwnedMutexGuard<T> {}

/// The mutex was locked; returned by [`Mutex::try_lock`].
///
/// ```
/// let mutex = eddy::sync::Mutex::new(());
/// let _held = mutex.try_lock().unwrap();
/// let error = mutex.try_lock().unwrap_err();
/// assert!(error.to_string().contains("held"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block: the lock is held")
    }
}

impl std::error::Error for TryLockError {}

impl TryLockError {
    pub(crate) fn new() -> Self {
        TryLockError(())
    }
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    ///
    /// ```
    /// let mutex = eddy::sync::Mutex::new(5);
    /// assert_eq!(mutex.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Self {
        Mutex {
            semaphore: FairSemaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// A mutex usable in a `static`.
    ///
    /// ```
    /// static COUNT: eddy::sync::Mutex<u32> = eddy::sync::Mutex::const_new(0);
    /// *COUNT.blocking_lock() += 1;
    /// assert_eq!(*COUNT.blocking_lock(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Self {
        Mutex {
            semaphore: FairSemaphore::const_new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns the value.
    ///
    /// ```
    /// assert_eq!(eddy::sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock.
    ///
    /// Cancel-safe: dropping the future leaves the mutex as it was; if the lock
    /// had already been handed to this future it is passed on to the next
    /// waiter. Waiters get the lock in FIFO order.
    ///
    /// ```
    /// let mutex = eddy::sync::Mutex::new(vec![1]);
    /// futures_lite::future::block_on(async {
    ///     mutex.lock().await.push(2);
    /// });
    /// assert_eq!(mutex.into_inner(), vec![1, 2]);
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        if self.semaphore.acquire(1).await.is_err() {
            unreachable!("a mutex's semaphore is never closed");
        }
        MutexGuard { mutex: self }
    }

    /// Waits for the lock, parking this thread. For use outside async code.
    ///
    /// # Panics
    ///
    /// If called from a thread that runs an Eddy runtime.
    ///
    /// ```
    /// let mutex = eddy::sync::Mutex::new(1);
    /// *mutex.blocking_lock() += 1;
    /// assert_eq!(*mutex.blocking_lock(), 2);
    /// ```
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        super::park::block_on("Mutex::blocking_lock", self.lock())
    }

    /// Takes the lock if it is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held or contended.
    ///
    /// ```
    /// let mutex = eddy::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(MutexGuard { mutex: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Waits for the lock and returns a guard owning a clone of the `Arc`.
    ///
    /// Cancel-safe, as [`Mutex::lock`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(eddy::sync::Mutex::new(0));
    /// let mut guard = futures_lite::future::block_on(mutex.clone().lock_owned());
    /// std::thread::spawn(move || *guard += 1).join().unwrap();
    /// assert_eq!(*mutex.try_lock().unwrap(), 1);
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        if self.semaphore.acquire(1).await.is_err() {
            unreachable!("a mutex's semaphore is never closed");
        }
        OwnedMutexGuard { mutex: self }
    }

    /// Takes the lock as an owned guard if it is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held or contended.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(eddy::sync::Mutex::new(0));
    /// assert!(mutex.clone().try_lock_owned().is_ok());
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.semaphore.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard { mutex: self }),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The one-permit semaphore that is the lock (mapped guards return
    /// its permit on drop).
    pub(super) fn semaphore(&self) -> &FairSemaphore {
        &self.semaphore
    }

    /// The value's address; only a lock holder may dereference it.
    pub(super) fn data_ptr(&self) -> *mut T {
        self.data.get()
    }

    /// The value, through an exclusive borrow (no locking needed).
    ///
    /// ```
    /// let mut mutex = eddy::sync::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => out.field("data", &&*guard),
            Err(_) => out.field("data", &format_args!("<locked>")),
        };
        out.finish()
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit, so no other
        // reference to the data exists while it lives.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique too.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard holds (an associated function, so it cannot
    /// clash with a method of `T`).
    ///
    /// ```
    /// use eddy::sync::{Mutex, MutexGuard};
    /// let mutex = Mutex::new(0);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(eddy::sync::Mutex::new(0));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.mutex(), &mutex));
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }

    /// Takes the `Arc` out without unlocking (the lock passes to the caller).
    pub(super) fn into_mutex(self) -> Arc<Mutex<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is
        // moved out exactly once.
        unsafe { std::ptr::read(&this.mutex) }
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit, so no other
        // reference to the data exists while it lives.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique too.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
