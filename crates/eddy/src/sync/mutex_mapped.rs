//! Guards for a part of a [`Mutex`]'s value, made by [`MutexGuard::map`] and
//! [`OwnedMutexGuard::map`]: they hold the same lock as the guard they came
//! from and unlock it when dropped.
//!
//! A mapped guard keeps a pointer to the chosen part next to what it needs to
//! unlock (the mutex, borrowed or owned), so mapping is free and the part can
//! be any place reachable from the value (a field, an element, a slice).

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use super::fair_semaphore::FairSemaphore;
use super::mutex::{Mutex, MutexGuard, OwnedMutexGuard};

/// Holds a [`Mutex`] locked while giving access to a part of its value; made
/// by [`MutexGuard::map`]. Unlocks when dropped.
///
/// ```
/// use eddy::sync::{MappedMutexGuard, Mutex, MutexGuard};
///
/// let mutex = Mutex::new((0, vec![1, 2]));
/// let list = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
/// let mut first = MappedMutexGuard::map(list, |list| &mut list[0]);
/// *first = 10;
/// drop(first);
/// assert_eq!(mutex.try_lock().unwrap().1, [10, 2]);
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    /// The mutex's semaphore (the mutex locks the whole value, not `T`),
    /// whose only permit this guard holds.
    semaphore: &'a FairSemaphore,
    data: NonNull<T>,
    marker: PhantomData<&'a mut T>,
}

/// Holds an `Arc<Mutex<T>>` locked while giving access to a part `U` of its
/// value; made by [`OwnedMutexGuard::map`]. Unlocks when dropped.
///
/// ```
/// use std::sync::Arc;
/// use eddy::sync::{Mutex, OwnedMutexGuard};
///
/// let mutex = Arc::new(Mutex::new((1, 'a')));
/// let guard = mutex.clone().try_lock_owned().unwrap();
/// let mut letter = OwnedMutexGuard::map(guard, |pair| &mut pair.1);
/// *letter = 'b';
/// drop(letter);
/// assert_eq!(*mutex.try_lock().unwrap(), (1, 'b'));
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    /// Keeps the value alive and is unlocked on drop.
    mutex: Arc<Mutex<T>>,
    data: NonNull<U>,
}

// SAFETY: sending the guard sends `&mut T` (needs `T: Send`) and the permit,
// which any thread may return.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}
// SAFETY: the guard owns an `Arc<Mutex<T>>` (sendable when `T: Send`) and
// gives `&mut U` to whoever holds it (needs `U: Send`).
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: sharing the guard shares `&U` (and `&Arc<Mutex<T>>`, `Sync` for
// `T: Send`).
unsafe impl<T: ?Sized + Send, U: ?Sized + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// A guard for `data`, which must point into the value of a mutex whose
    /// `semaphore`'s permit the caller hands over, valid for `'a`.
    fn new(semaphore: &'a FairSemaphore, data: NonNull<T>) -> Self {
        MappedMutexGuard {
            semaphore,
            data,
            marker: PhantomData,
        }
    }

    /// Narrows the guard further to a part of its value (as
    /// [`MutexGuard::map`]). If `f` panics, `this` is dropped and the mutex
    /// unlocked.
    pub fn map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> MappedMutexGuard<'a, U> {
        // SAFETY: the guard holds the lock for `'a`, so nothing else reaches
        // the value for that long; `&mut this` makes the borrow unique.
        let part = NonNull::from(f(unsafe { this.data.as_mut() }));
        let semaphore = this.semaphore;
        std::mem::forget(this);
        MappedMutexGuard::new(semaphore, part)
    }

    /// As [`MappedMutexGuard::map`]; `Err` gives the guard back if `f`
    /// returns `None`.
    ///
    /// ```
    /// use eddy::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(vec![1]);
    /// let all = MutexGuard::map(mutex.try_lock().unwrap(), |v| &mut v[..]);
    /// let guard = MappedMutexGuard::try_map(all, |s| s.get_mut(3)).unwrap_err();
    /// assert_eq!(*guard, [1]);
    /// ```
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        // SAFETY: as in `map`.
        let Some(part) = f(unsafe { this.data.as_mut() }).map(NonNull::from) else {
            return Err(this);
        };
        let semaphore = this.semaphore;
        std::mem::forget(this);
        Ok(MappedMutexGuard::new(semaphore, part))
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit, so no other
        // reference to the value exists while it lives.
        unsafe { self.data.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique too.
        unsafe { self.data.as_mut() }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// A guard for `data`, which must point into the value of the locked
    /// `mutex`; the caller hands its lock over.
    fn new(mutex: Arc<Mutex<T>>, data: NonNull<U>) -> Self {
        OwnedMappedMutexGuard { mutex, data }
    }

    /// Narrows the guard further to a part of its value (as
    /// [`OwnedMutexGuard::map`]). If `f` panics, `this` is dropped and the
    /// mutex unlocked.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use eddy::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(((1, 2), 3)));
    /// let inner = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |v| &mut v.0);
    /// let second = OwnedMappedMutexGuard::map(inner, |pair| &mut pair.1);
    /// assert_eq!(*second, 2);
    /// ```
    pub fn map<V: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut U) -> &mut V,
    ) -> OwnedMappedMutexGuard<T, V> {
        // SAFETY: the guard holds the lock and keeps the value alive through
        // its `Arc`; `&mut this` makes the borrow unique.
        let part = NonNull::from(f(unsafe { this.data.as_mut() }));
        OwnedMappedMutexGuard::new(this.take_mutex(), part)
    }

    /// As [`OwnedMappedMutexGuard::map`]; `Err` gives the guard back if `f`
    /// returns `None`.
    pub fn try_map<V: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut U) -> Option<&mut V>,
    ) -> Result<OwnedMappedMutexGuard<T, V>, Self> {
        // SAFETY: as in `map`.
        let Some(part) = f(unsafe { this.data.as_mut() }).map(NonNull::from) else {
            return Err(this);
        };
        Ok(OwnedMappedMutexGuard::new(this.take_mutex(), part))
    }

    /// The mutex this guard holds (an associated function, so it cannot
    /// clash with a method of `U`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use eddy::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new((0, 0)));
    /// let guard = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |p| &mut p.0);
    /// assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.mutex
    }

    /// Takes the `Arc` out without unlocking (the lock passes to the caller).
    fn take_mutex(self) -> Arc<Mutex<T>> {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the `Arc` is
        // moved out exactly once.
        unsafe { std::ptr::read(&this.mutex) }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: this guard holds the mutex's only permit, and its `Arc`
        // keeps the value alive.
        unsafe { self.data.as_ref() }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique too.
        unsafe { self.data.as_mut() }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.mutex.semaphore().release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// A guard for a part of the locked value (a field, an element), holding
    /// the same lock. An associated function (call it as
    /// `MutexGuard::map(guard, f)`) so it cannot clash with a method of `T`.
    /// If `f` panics, `this` is dropped and the mutex unlocked.
    ///
    /// ```
    /// use eddy::sync::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new((1, 2));
    /// let mut second = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    /// *second += 1;
    /// assert!(mutex.try_lock().is_err()); // still locked
    /// drop(second);
    /// assert_eq!(*mutex.try_lock().unwrap(), (1, 3));
    /// ```
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&mut T) -> &mut U) -> MappedMutexGuard<'a, U> {
        let mutex = MutexGuard::mutex(&this);
        // SAFETY: `this` holds the lock for `'a`, so nothing else reaches the
        // value for that long; a panic in `f` drops `this`, which unlocks.
        let part = NonNull::from(f(unsafe { &mut *mutex.data_ptr() }));
        std::mem::forget(this);
        MappedMutexGuard::new(mutex.semaphore(), part)
    }

    /// As [`MutexGuard::map`] when the part may be absent: `Err` gives the
    /// original guard back if `f` returns `None`.
    ///
    /// ```
    /// use eddy::sync::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(vec![1, 2]);
    /// let guard = MutexGuard::try_map(mutex.try_lock().unwrap(), |v| v.get_mut(9));
    /// assert_eq!(*guard.unwrap_err(), [1, 2]);
    /// ```
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        let mutex = MutexGuard::mutex(&this);
        // SAFETY: as in `map`.
        let Some(part) = f(unsafe { &mut *mutex.data_ptr() }).map(NonNull::from) else {
            return Err(this);
        };
        std::mem::forget(this);
        Ok(MappedMutexGuard::new(mutex.semaphore(), part))
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// An owned guard for a part of the locked value, holding the same lock
    /// (and the `Arc`). If `f` panics, `this` is dropped and the mutex
    /// unlocked.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use eddy::sync::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(vec![1, 2, 3]));
    /// let mut last = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |v| {
    ///     v.last_mut().unwrap()
    /// });
    /// *last = 30;
    /// drop(last);
    /// assert_eq!(*mutex.try_lock().unwrap(), [1, 2, 30]);
    /// ```
    pub fn map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> OwnedMappedMutexGuard<T, U> {
        // SAFETY: `this` holds the lock and its `Arc` keeps the value alive;
        // a panic in `f` drops `this`, which unlocks.
        let part = NonNull::from(f(unsafe { &mut *this.mutex().data_ptr() }));
        OwnedMappedMutexGuard::new(this.into_mutex(), part)
    }

    /// As [`OwnedMutexGuard::map`]; `Err` gives the guard back if `f`
    /// returns `None`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use eddy::sync::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(Some(4)));
    /// let four = OwnedMutexGuard::try_map(mutex.try_lock_owned().unwrap(), |v| v.as_mut());
    /// assert_eq!(*four.unwrap(), 4);
    /// ```
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<OwnedMappedMutexGuard<T, U>, Self> {
        // SAFETY: as in `map`.
        let Some(part) = f(unsafe { &mut *this.mutex().data_ptr() }).map(NonNull::from) else {
            return Err(this);
        };
        Ok(OwnedMappedMutexGuard::new(this.into_mutex(), part))
    }
}
