//! [`JobHandle`]: the result channel of one submitted job.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Why a job has no result.
pub enum JobError {
    /// The job panicked; this is the payload (as `std::thread::JoinHandle`
    /// gives it).
    Panicked(Box<dyn Any + Send + 'static>),
    /// The pool shut down before the job started; it never ran.
    Dropped,
}

impl fmt::Debug for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Panicked(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("(non-string payload)");
                f.debug_tuple("Panicked").field(&message).finish()
            }
            JobError::Dropped => f.write_str("Dropped"),
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Panicked(_) => f.write_str("the job panicked"),
            JobError::Dropped => f.write_str("the pool shut down before the job ran"),
        }
    }
}

impl std::error::Error for JobError {}

enum Slot<T> {
    Waiting,
    Done(Result<T, JobError>),
    Taken,
}

struct Channel<T> {
    slot: Mutex<Slot<T>>,
    ready: Condvar,
}

/// Waits for one job's result (see [`ThreadPool::submit`](crate::ThreadPool::submit)).
///
/// ```
/// let pool = eddy_threadpool::Builder::fixed(1).build();
/// let job = pool.submit(|| panic!("boom")).unwrap();
/// assert!(matches!(job.join(), Err(eddy_threadpool::JobError::Panicked(_))));
/// // The thread survived and serves the next job.
/// assert_eq!(pool.submit(|| 1).unwrap().join().unwrap(), 1);
/// ```
pub struct JobHandle<T> {
    channel: Arc<Channel<T>>,
}

/// The job's end of the channel: sends the result, or `Dropped` if it is
/// dropped unsent.
pub(crate) struct ResultSender<T> {
    channel: Option<Arc<Channel<T>>>,
}

pub(crate) fn channel<T>() -> (ResultSender<T>, JobHandle<T>) {
    let channel = Arc::new(Channel {
        slot: Mutex::new(Slot::Waiting),
        ready: Condvar::new(),
    });
    (
        ResultSender {
            channel: Some(channel.clone()),
        },
        JobHandle { channel },
    )
}

impl<T> ResultSender<T> {
    pub(crate) fn send(mut self, result: Result<T, JobError>) {
        if let Some(channel) = self.channel.take() {
            fill(&channel, result);
        }
    }
}

fn fill<T>(channel: &Channel<T>, result: Result<T, JobError>) {
    *channel.slot.lock().unwrap_or_else(PoisonError::into_inner) = Slot::Done(result);
    channel.ready.notify_all();
}

impl<T> Drop for ResultSender<T> {
    fn drop(&mut self) {
        if let Some(channel) = self.channel.take() {
            fill(&channel, Err(JobError::Dropped));
        }
    }
}

impl<T> JobHandle<T> {
    /// Blocks until the job finished; its value, or why there is none.
    pub fn join(self) -> Result<T, JobError> {
        let mut slot = self
            .channel
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Done(result) => return result,
                Slot::Waiting => {
                    *slot = Slot::Waiting;
                    slot = self
                        .channel
                        .ready
                        .wait(slot)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Slot::Taken => unreachable!("join consumes the handle"),
            }
        }
    }

    /// Whether the result is there (`join` would not block).
    pub fn is_finished(&self) -> bool {
        matches!(
            *self
                .channel
                .slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            Slot::Done(_)
        )
    }
}

impl<T> fmt::Debug for JobHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
