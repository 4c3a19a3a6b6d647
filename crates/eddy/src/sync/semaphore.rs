//! An async counting semaphore with FIFO-fair waiters and owned permits.

use std::fmt;
use std::sync::Arc;

use super::fair_semaphore::{FairSemaphore, TryAcquireFailure};

/// A counting semaphore: a pool of permits that tasks acquire and release.
///
/// Waiters are served strictly in the order they started waiting (FIFO), and a
/// request for many permits is never overtaken by later smaller ones. Free
/// permits never sit unused while someone waits.
///
/// Works from any runtime flavor, from any executor, and across threads.
///
/// # Example
///
/// ```
/// use eddy::sync::Semaphore;
///
/// let semaphore = Semaphore::new(2);
/// futures_lite::future::block_on(async {
///     let a = semaphore.acquire().await.unwrap();
///     let _b = semaphore.acquire().await.unwrap();
///     assert!(semaphore.try_acquire().is_err());
///     drop(a);
///     assert_eq!(semaphore.available_permits(), 1);
/// });
/// ```
pub struct Semaphore {
    core: FairSemaphore,
}

/// The semaphore was closed; returned by the `acquire` methods.
///
/// ```
/// let semaphore = eddy::sync::Semaphore::new(1);
/// semaphore.close();
/// let error = futures_lite::future::block_on(semaphore.acquire()).unwrap_err();
/// assert_eq!(error.to_string(), "semaphore closed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why a `try_acquire` method returned no permit.
///
/// ```
/// use eddy::sync::{Semaphore, TryAcquireError};
/// let semaphore = Semaphore::new(0);
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are free right now (or other tasks wait first).
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl From<TryAcquireFailure> for TryAcquireError {
    fn from(failure: TryAcquireFailure) -> Self {
        match failure {
            TryAcquireFailure::Closed => TryAcquireError::Closed,
            TryAcquireFailure::NoPermits => TryAcquireError::NoPermits,
        }
    }
}

/// Permits borrowed from a [`Semaphore`]; released when dropped.
///
/// ```
/// let semaphore = eddy::sync::Semaphore::new(1);
/// {
///     let _permit = semaphore.try_acquire().unwrap();
///     assert_eq!(semaphore.available_permits(), 0);
/// }
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "the permits are released as soon as this is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

/// Permits taken from an `Arc<Semaphore>`; released when dropped. Can be moved
/// into a spawned task.
///
/// ```
/// use std::sync::Arc;
/// let semaphore = Arc::new(eddy::sync::Semaphore::new(1));
/// let permit = semaphore.clone().try_acquire_owned().unwrap();
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "the permits are released as soon as this is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold (`usize::MAX >> 3`).
    pub const MAX_PERMITS: usize = super::fair_semaphore::MAX_PERMITS;

    /// A semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Self {
        Semaphore {
            core: FairSemaphore::new(permits),
        }
    }

    /// A semaphore usable in a `static`.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`] (at compile time in a
    /// `static`).
    ///
    /// ```
    /// static LIMIT: eddy::sync::Semaphore = eddy::sync::Semaphore::const_new(4);
    /// assert_eq!(LIMIT.available_permits(), 4);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(permits: usize) -> Self {
        Semaphore {
            core: FairSemaphore::const_new(permits),
        }
    }

    /// Free permits right now.
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(1);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.core.available_permits()
    }

    /// Adds `n` permits, serving waiters first.
    ///
    /// # Panics
    ///
    /// If the total would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.core.release(n);
    }

    /// Removes up to `n` free permits for good; returns how many were removed.
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.forget_permits(5), 3);
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.core.forget_permits(n)
    }

    /// Waits for one permit.
    ///
    /// Cancel-safe: dropping the future gives up its place in the queue and
    /// hands on any permit it had already been granted.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(1);
    /// futures_lite::future::block_on(async {
    ///     let permit = semaphore.acquire().await.unwrap();
    ///     assert_eq!(permit.num_permits(), 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits, taken all together.
    ///
    /// Cancel-safe, as [`Semaphore::acquire`]: permits granted before the
    /// future is dropped are released.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(5);
    /// futures_lite::future::block_on(async {
    ///     let permits = semaphore.acquire_many(3).await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 2);
    ///     drop(permits);
    ///     assert_eq!(semaphore.available_permits(), 5);
    /// });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        let n = n as usize;
        self.core.acquire(n).await.map_err(|()| AcquireError(()))?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one permit if one is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// ```
    /// use eddy::sync::{Semaphore, TryAcquireError};
    /// let semaphore = Semaphore::new(1);
    /// let _held = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.try_acquire().err(), Some(TryAcquireError::NoPermits));
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(2);
    /// assert!(semaphore.try_acquire_many(3).is_err());
    /// assert!(semaphore.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.core.try_acquire(n as usize)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n as usize,
        })
    }

    /// Waits for one permit that is not tied to a borrow of the semaphore.
    ///
    /// Cancel-safe, as [`Semaphore::acquire`].
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(eddy::sync::Semaphore::new(1));
    /// let permit = futures_lite::future::block_on(semaphore.clone().acquire_owned()).unwrap();
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` owned permits. Cancel-safe, as [`Semaphore::acquire`].
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(eddy::sync::Semaphore::new(4));
    /// let permits = futures_lite::future::block_on(semaphore.clone().acquire_many_owned(4)).unwrap();
    /// assert_eq!(permits.num_permits(), 4);
    /// ```
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        let n = n as usize;
        self.core.acquire(n).await.map_err(|()| AcquireError(()))?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one owned permit if one is free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(eddy::sync::Semaphore::new(1));
    /// assert!(semaphore.clone().try_acquire_owned().is_ok());
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` owned permits if they are free and nobody waits.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(eddy::sync::Semaphore::new(1));
    /// assert!(semaphore.clone().try_acquire_many_owned(2).is_err());
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.core.try_acquire(n as usize)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n as usize,
        })
    }

    /// Closes the semaphore: every waiting and future acquire fails with an
    /// error. Permits already held stay valid and are still released on drop.
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(1);
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// assert!(futures_lite::future::block_on(semaphore.acquire()).is_err());
    /// ```
    pub fn close(&self) {
        self.core.close();
    }

    /// Whether [`Semaphore::close`] was called.
    ///
    /// ```
    /// assert!(!eddy::sync::Semaphore::new(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .finish()
    }
}

impl SemaphorePermit<'_> {
    /// How many permits this holds.
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Drops the permits without returning them to the semaphore.
    ///
    /// ```
    /// let semaphore = eddy::sync::Semaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.core.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

impl OwnedSemaphorePermit {
    /// How many permits this holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(eddy::sync::Semaphore::new(1));
    /// assert_eq!(semaphore.try_acquire_owned().unwrap().num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore these permits come from.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(eddy::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// Drops the permits without returning them to the semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let semaphore = Arc::new(eddy::sync::Semaphore::new(1));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.core.release(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}
