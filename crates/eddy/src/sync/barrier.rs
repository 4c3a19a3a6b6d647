//! A rendezvous point: tasks wait until `n` of them have arrived.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use super::notify::Notify;

/// Makes `n` tasks wait for each other; then all proceed and the barrier
/// resets for the next round.
///
/// ```
/// use std::sync::Arc;
/// use eddy::sync::Barrier;
///
/// let barrier = Arc::new(Barrier::new(3));
/// let threads: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = barrier.clone();
///         std::thread::spawn(move || futures_lite::future::block_on(barrier.wait()).is_leader())
///     })
///     .collect();
/// let leaders = threads.into_iter().map(|t| t.join().unwrap()).filter(|&l| l).count();
/// assert_eq!(leaders, 1);
/// ```
pub struct Barrier {
    parties: usize,
    round: Mutex<Round>,
    released: Notify,
}

#[derive(Debug)]
struct Round {
    /// Tasks that arrived in the current round.
    arrived: usize,
    /// Rounds completed so far.
    generation: u64,
}

/// What [`Barrier::wait`] returns.
///
/// ```
/// let result = futures_lite::future::block_on(eddy::sync::Barrier::new(1).wait());
/// assert!(result.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one task per round: the last to arrive.
    ///
    /// ```
    /// let barrier = eddy::sync::Barrier::new(1);
    /// assert!(futures_lite::future::block_on(barrier.wait()).is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier releasing its waiters when `n` have arrived. `n == 0`
    /// behaves as `n == 1`.
    ///
    /// ```
    /// let barrier = eddy::sync::Barrier::new(2);
    /// # drop(barrier);
    /// ```
    pub fn new(n: usize) -> Self {
        Barrier {
            parties: n.max(1),
            round: Mutex::new(Round {
                arrived: 0,
                generation: 0,
            }),
            released: Notify::new(),
        }
    }

    /// Arrives and waits for the rest of this round.
    ///
    /// Not cancel-safe: a task counts as arrived from the first poll, so
    /// dropping the future afterwards still counts it, and the round can
    /// complete without it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let barrier = Arc::new(eddy::sync::Barrier::new(2));
    /// let other = barrier.clone();
    /// let t = std::thread::spawn(move || futures_lite::future::block_on(other.wait()).is_leader());
    /// let here = futures_lite::future::block_on(barrier.wait()).is_leader();
    /// assert!(here ^ t.join().unwrap()); // exactly one leader
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        let (generation, notified) = {
            let mut round = self.round.lock().unwrap_or_else(PoisonError::into_inner);
            round.arrived += 1;
            if round.arrived == self.parties {
                round.arrived = 0;
                round.generation += 1;
                drop(round);
                self.released.notify_waiters();
                return BarrierWaitResult(true);
            }
            // Created under the lock: the leader's notify_waiters comes later
            // and so reaches this future even before its first poll.
            (round.generation, self.released.notified())
        };
        let mut notified = notified;
        loop {
            notified.await;
            let round = self.round.lock().unwrap_or_else(PoisonError::into_inner);
            if round.generation != generation {
                return BarrierWaitResult(false);
            }
            notified = self.released.notified();
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .finish_non_exhaustive()
    }
}
