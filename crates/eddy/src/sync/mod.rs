//! Synchronisation for async tasks: channels, locks, and signalling.
//!
//! | item | what it is for |
//! |---|---|
//! | [`mpsc`](crate::sync::mpsc) | many senders, one receiver; bounded (backpressure) or unbounded |
//! | [`oneshot`](crate::sync::oneshot) | one value, once, from one task to another |
//! | [`broadcast`](crate::sync::broadcast) | every receiver sees every value; slow receivers are told how many they missed |
//! | [`watch`](crate::sync::watch) | receivers see the latest value and wait for changes |
//! | [`Mutex`](crate::sync::Mutex), [`RwLock`](crate::sync::RwLock) | locks that can be held across `.await` |
//! | [`Semaphore`](crate::sync::Semaphore) | a pool of permits, FIFO-fair, with owned permits |
//! | [`Notify`](crate::sync::Notify) | wake one task or all waiting tasks, without data |
//! | [`Barrier`](crate::sync::Barrier) | wait until n tasks arrive |
//! | [`OnceCell`](crate::sync::OnceCell) | a value initialised once, by an async function |
//!
//! Everything here is written against `std::task` only: it works on either
//! Eddy runtime flavor, on other executors, and between plain threads (the
//! `blocking_*` methods park the calling thread).
//!
//! # How it is built
//!
//! One FIFO waiter queue (`waiters.rs`, a slab-backed linked list) underlies
//! all the waiting. A fair counting semaphore (`fair_semaphore.rs`) built on
//! it is the core of [`Semaphore`](crate::sync::Semaphore), [`Mutex`](crate::sync::Mutex) (one permit), [`RwLock`](crate::sync::RwLock)
//! (`MAX_READS` permits, a writer takes them all) and the bounded [`mpsc`](crate::sync::mpsc)
//! channel's capacity. Uncontended acquire and release are a single CAS each.
//!
//! # Cancel safety
//!
//! Every async method says whether it is cancel-safe. In short: dropping a
//! `recv` future never loses a message; dropping a `lock`/`acquire` future
//! never leaves a lock held or a permit lost, even if the lock had already
//! been handed to it.

mod barrier;
pub mod broadcast;
mod fair_semaphore;
pub mod mpsc;
mod mutex;
mod mutex_mapped;
mod notify;
mod once_cell;
pub mod oneshot;
mod park;
mod rwlock;
mod semaphore;
mod waiters;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use mutex_mapped::{MappedMutexGuard, OwnedMappedMutexGuard};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{RwLock, RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
