//! A mutex for fibers: `lock` parks the fiber while another holds it.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::fiber::Waiter;
use crate::scheduler;

/// Mutual exclusion between fibers of one runtime, held across parks.
///
/// Fibers only switch when they park or yield, so plain data needs no lock;
/// this one is for a critical section that itself parks (writes to a socket,
/// sleeps) and must not interleave with another fiber's.
///
/// ```
/// use std::rc::Rc;
/// use eddy_fiber::sync::Mutex;
/// let rt = eddy_fiber::Runtime::new()?;
/// let log = rt.block_on(|| {
///     let log = Rc::new(Mutex::new(Vec::new()));
///     let handles: Vec<_> = (0..3).map(|i| {
///         let log = log.clone();
///         eddy_fiber::spawn(move || {
///             let mut guard = log.lock();
///             guard.push(i);
///             eddy_fiber::yield_now(); // others queue up on the lock meanwhile
///             guard.push(i);
///         })
///     }).collect();
///     for h in handles { h.join().unwrap(); }
///     Rc::try_unwrap(log).unwrap().into_inner()
/// });
/// assert_eq!(log, [0, 0, 1, 1, 2, 2]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Mutex<T> {
    locked: Cell<bool>,
    waiters: RefCell<VecDeque<Waiter>>,
    value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// A new, unlocked mutex.
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            locked: Cell::new(false),
            waiters: RefCell::new(VecDeque::new()),
            value: RefCell::new(value),
        }
    }

    /// Locks, parking the fiber until the mutex is free.
    ///
    /// # Panics
    ///
    /// When it would have to park outside a fiber, or when the runtime
    /// cancels the fiber while it is already unwinding.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        while self.locked.get() {
            let parked = scheduler::expect("Mutex::lock", |s| {
                let waiter = s.begin_wait();
                self.waiters.borrow_mut().push_back(waiter);
                s.park()
            });
            if parked.is_err() {
                panic!("eddy_fiber: fiber cancelled while waiting for a Mutex during unwinding");
            }
        }
        self.take()
    }

    /// Locks if the mutex is free, without parking.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        (!self.locked.get()).then(|| self.take())
    }

    fn take(&self) -> MutexGuard<'_, T> {
        self.locked.set(true);
        MutexGuard {
            mutex: self,
            value: Some(self.value.borrow_mut()),
        }
    }

    /// The value, when nobody else can hold the lock.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// The value, through an exclusive borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.value.try_borrow() {
            Ok(v) if !self.locked.get() => d.field("value", &*v),
            _ => d.field("value", &"<locked>"),
        };
        d.finish()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

/// Access to a [`Mutex`]'s value; unlocking on drop wakes the next waiter.
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    value: Option<RefMut<'a, T>>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("present until drop")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("present until drop")
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.value.take());
        self.mutex.locked.set(false);
        // Wake the first waiter still waiting (skip stale ones).
        loop {
            let next = self.mutex.waiters.borrow_mut().pop_front();
            match next {
                Some(w) if w.is_current() => {
                    w.wake();
                    break;
                }
                Some(_) => continue,
                None => break,
            }
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
