//! An async reader-writer lock: a [`FairSemaphore`] of `MAX_READS` permits;
//! a reader takes one, a writer takes them all.
//!
//! Because the semaphore is FIFO, a waiting writer blocks readers that come
//! after it: writers cannot starve, and neither can readers.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use super::fair_semaphore::FairSemaphore;
use super::mutex::TryLockError;

/// Most readers that can hold the lock at once.
const MAX_READS: usize = u32::MAX as usize >> 3;

/// An async reader-writer lock that can be held across `.await`.
///
/// Fair: requests are granted in arrival order, so a writer waits only for
/// the readers ahead of it, and readers behind a writer wait for it.
///
/// ```
/// use eddy::sync::RwLock;
///
/// let lock = RwLock::new(5);
/// futures_lite::future::block_on(async {
///     {
///         let a = lock.read().await;
///         let b = lock.read().await;
///         assert_eq!(*a + *b, 10);
///     }
///     *lock.write().await += 1;
///     assert_eq!(*lock.read().await, 6);
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    semaphore: FairSemaphore,
    data: UnsafeCell<T>,
}

// SAFETY: a writer gets `&mut T` only while holding every permit, so at most
// one thread touches `T` mutably; moving `T` between threads needs `T: Send`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: readers on many threads share `&T` (needs `T: Sync`); a writer on
// any thread gets `&mut T` (needs `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to an [`RwLock`]; released when dropped.
///
/// ```
/// let lock = eddy::sync::RwLock::new(1);
/// let guard = lock.try_read().unwrap();
/// assert_eq!(*guard, 1);
/// ```
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// The lock's semaphore, holding one read permit for this guard.
    semaphore: &'a FairSemaphore,
    /// The locked value, or the part of it [`RwLockReadGuard::map`] chose.
    data: NonNull<T>,
    marker: PhantomData<&'a T>,
}

/// Exclusive access to an [`RwLock`]; released when dropped.
///
/// ```
/// let lock = eddy::sync::RwLock::new(1);
/// *lock.try_write().unwrap() = 2;
/// assert_eq!(*lock.try_read().unwrap(), 2);
/// ```
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: sending a read guard sends `&T` (and a permit, which any thread
// may return).
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: sharing a read guard shares `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: sharing a write guard shares `&T` only (`&mut` needs `&mut guard`).
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    ///
    /// ```
    /// let lock = eddy::sync::RwLock::new(1);
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> Self {
        RwLock {
            semaphore: FairSemaphore::new(MAX_READS),
            data: UnsafeCell::new(value),
        }
    }

    /// A lock usable in a `static`.
    ///
    /// ```
    /// static TABLE: eddy::sync::RwLock<Vec<u8>> = eddy::sync::RwLock::const_new(Vec::new());
    /// TABLE.blocking_write().push(1);
    /// assert_eq!(*TABLE.blocking_read(), [1]);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Self {
        RwLock {
            semaphore: FairSemaphore::const_new(MAX_READS),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the value.
    ///
    /// ```
    /// assert_eq!(eddy::sync::RwLock::new('a').into_inner(), 'a');
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access.
    ///
    /// Cancel-safe: dropping the future gives up its place in the queue and
    /// never leaves the lock held.
    ///
    /// ```
    /// let lock = eddy::sync::RwLock::new(1);
    /// assert_eq!(*futures_lite::future::block_on(lock.read()), 1);
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        if self.semaphore.acquire(1).await.is_err() {
            unreachable!("an RwLock's semaphore is never closed");
        }
        self.read_guard()
    }

    /// Waits for exclusive access.
    ///
    /// Cancel-safe: dropping the future gives up its place in the queue; read
    /// permits it had gathered are handed on.
    ///
    /// ```
    /// let lock = eddy::sync::RwLock::new(1);
    /// *futures_lite::future::block_on(lock.write()) = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        if self.semaphore.acquire(MAX_READS).await.is_err() {
            unreachable!("an RwLock's semaphore is never closed");
        }
        RwLockWriteGuard { lock: self }
    }

    /// Takes shared access if nobody writes or waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds or waits for the lock.
    ///
    /// ```
    /// let lock = eddy::sync::RwLock::new(1);
    /// let _w = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.semaphore
            .try_acquire(1)
            .map_err(|_| TryLockError::new())?;
        Ok(self.read_guard())
    }

    /// Takes exclusive access if the lock is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held or contended.
    ///
    /// ```
    /// let lock = eddy::sync::RwLock::new(1);
    /// let _r = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.semaphore
            .try_acquire(MAX_READS)
            .map_err(|_| TryLockError::new())?;
        Ok(RwLockWriteGuard { lock: self })
    }

    /// Waits for shared access, parking this thread.
    ///
    /// # Panics
    ///
    /// If called from a thread that runs an Eddy runtime.
    ///
    /// ```
    /// let lock = eddy::sync::RwLock::new(3);
    /// assert_eq!(*lock.blocking_read(), 3);
    /// ```
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        super::park::block_on("RwLock::blocking_read", self.read())
    }

    /// Waits for exclusive access, parking this thread.
    ///
    /// # Panics
    ///
    /// If called from a thread that runs an Eddy runtime.
    ///
    /// ```
    /// let lock = eddy::sync::RwLock::new(3);
    /// *lock.blocking_write() = 4;
    /// assert_eq!(*lock.blocking_read(), 4);
    /// ```
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        super::park::block_on("RwLock::blocking_write", self.write())
    }

    /// A read guard for this lock; the caller holds one read permit for it.
    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            semaphore: &self.semaphore,
            // SAFETY: `UnsafeCell::get` never returns null.
            data: unsafe { NonNull::new_unchecked(self.data.get()) },
            marker: PhantomData,
        }
    }

    /// The value, through an exclusive borrow (no locking needed).
    ///
    /// ```
    /// let mut lock = eddy::sync::RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => out.field("data", &&*guard),
            Err(_) => out.field("data", &format_args!("<locked>")),
        };
        out.finish()
    }
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// A read guard for a part of the locked value (a field, an element),
    /// holding the same read permit. An associated function (call it as
    /// `RwLockReadGuard::map(guard, f)`) so it cannot clash with a method of
    /// `T`. If `f` panics, `this` is dropped and the lock released.
    ///
    /// ```
    /// use eddy::sync::{RwLock, RwLockReadGuard};
    ///
    /// let lock = RwLock::new((1, String::from("name")));
    /// let name = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.1);
    /// assert_eq!(*name, "name");
    /// assert!(lock.try_write().is_err()); // still read-locked
    /// drop(name);
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        // SAFETY: `this` holds a read permit for `'a`, so the value is only
        // shared (never written) for that long; a panic in `f` drops `this`,
        // which returns the permit.
        let part = NonNull::from(f(unsafe { this.data.as_ref() }));
        let semaphore = this.semaphore;
        std::mem::forget(this);
        RwLockReadGuard {
            semaphore,
            data: part,
            marker: PhantomData,
        }
    }

    /// As [`RwLockReadGuard::map`] when the part may be absent: `Err` gives
    /// the original guard back if `f` returns `None`.
    ///
    /// ```
    /// use eddy::sync::{RwLock, RwLockReadGuard};
    ///
    /// let lock = RwLock::new(vec![1, 2]);
    /// let second = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.get(1)).unwrap();
    /// assert_eq!(*second, 2);
    /// drop(second);
    /// let guard = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.get(5)).unwrap_err();
    /// assert_eq!(*guard, [1, 2]);
    /// ```
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        // SAFETY: as in `map`.
        let Some(part) = f(unsafe { this.data.as_ref() }).map(NonNull::from) else {
            return Err(this);
        };
        let semaphore = this.semaphore;
        std::mem::forget(this);
        Ok(RwLockReadGuard {
            semaphore,
            data: part,
            marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds a read permit, so no writer (which needs
        // every permit) exists while it lives; readers only take `&T`.
        unsafe { self.data.as_ref() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds every permit, so no other guard exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique too.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// A write guard for a part of the locked value, holding the same
    /// exclusive access. An associated function (call it as
    /// `RwLockWriteGuard::map(guard, f)`). If `f` panics, `this` is dropped
    /// and the lock released.
    ///
    /// ```
    /// use eddy::sync::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new((1, 2));
    /// *RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.1) = 5;
    /// assert_eq!(*lock.try_read().unwrap(), (1, 5));
    /// ```
    pub fn map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> RwLockMappedWriteGuard<'a, U> {
        let lock = this.lock;
        // SAFETY: `this` holds every permit for `'a`, so nothing else reaches
        // the value for that long; a panic in `f` drops `this`, which
        // releases the lock.
        let part = NonNull::from(f(unsafe { &mut *lock.data.get() }));
        std::mem::forget(this);
        RwLockMappedWriteGuard {
            semaphore: &lock.semaphore,
            data: part,
            marker: PhantomData,
        }
    }

    /// As [`RwLockWriteGuard::map`] when the part may be absent: `Err` gives
    /// the original guard back if `f` returns `None`.
    ///
    /// ```
    /// use eddy::sync::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(vec![1]);
    /// let guard = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(3));
    /// assert!(guard.is_err());
    /// ```
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        let lock = this.lock;
        // SAFETY: as in `map`.
        let Some(part) = f(unsafe { &mut *lock.data.get() }).map(NonNull::from) else {
            return Err(this);
        };
        std::mem::forget(this);
        Ok(RwLockMappedWriteGuard {
            semaphore: &lock.semaphore,
            data: part,
            marker: PhantomData,
        })
    }
}

/// Exclusive access to a part of an [`RwLock`]'s value, made by
/// [`RwLockWriteGuard::map`]; releases the lock when dropped. A separate
/// type from [`RwLockWriteGuard`] because it no longer reaches the whole
/// value.
///
/// ```
/// use eddy::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
///
/// let lock = RwLock::new([0u8; 4]);
/// let whole = RwLockWriteGuard::map(lock.try_write().unwrap(), |a| &mut a[..]);
/// let mut last = RwLockMappedWriteGuard::map(whole, |s| &mut s[3]);
/// *last = 9;
/// drop(last);
/// assert_eq!(*lock.try_read().unwrap(), [0, 0, 0, 9]);
/// ```
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    /// The lock's semaphore, all of whose permits this guard holds.
    semaphore: &'a FairSemaphore,
    data: NonNull<T>,
    marker: PhantomData<&'a mut T>,
}

// SAFETY: sending the guard sends `&mut T` (needs `T: Send`) and every
// permit, which any thread may return.
unsafe impl<T: ?Sized + Send> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further to a part of its value (as
    /// [`RwLockWriteGuard::map`]).
    pub fn map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> RwLockMappedWriteGuard<'a, U> {
        // SAFETY: the guard holds every permit for `'a`; a panic in `f`
        // drops `this`, which releases the lock.
        let part = NonNull::from(f(unsafe { this.data.as_mut() }));
        let semaphore = this.semaphore;
        std::mem::forget(this);
        RwLockMappedWriteGuard {
            semaphore,
            data: part,
            marker: PhantomData,
        }
    }

    /// As [`RwLockMappedWriteGuard::map`]; `Err` gives the guard back if `f`
    /// returns `None`.
    ///
    /// ```
    /// use eddy::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(vec![vec![1]]);
    /// let row = RwLockWriteGuard::map(lock.try_write().unwrap(), |v| &mut v[0]);
    /// let missing = RwLockMappedWriteGuard::try_map(row, |row| row.get_mut(4));
    /// assert_eq!(*missing.unwrap_err(), [1]);
    /// ```
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        // SAFETY: as in `map`.
        let Some(part) = f(unsafe { this.data.as_mut() }).map(NonNull::from) else {
            return Err(this);
        };
        let semaphore = this.semaphore;
        std::mem::forget(this);
        Ok(RwLockMappedWriteGuard {
            semaphore,
            data: part,
            marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds every permit, so no other guard exists.
        unsafe { self.data.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique too.
        unsafe { self.data.as_mut() }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
