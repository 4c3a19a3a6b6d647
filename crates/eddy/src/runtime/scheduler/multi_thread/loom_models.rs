//! Loom models of the multi-thread scheduler's lock-free and parking code
//! (only built under `--cfg loom`; run by `tests/loom_mt.rs`). Each
//! function is one model: `loom::model` runs it under every interleaving
//! (bounded by `LOOM_MAX_PREEMPTIONS`) and fails on a data race, a
//! deadlock, a lost wakeup (a thread left blocked forever) or a broken
//! assertion.

use std::collections::HashSet;

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Notify};
use loom::thread;

use super::idle::Idle;
use super::inject::Inject;
use super::park::{ParkDriver, Parker, SharedDriver};
use super::queue::{self, CAPACITY, Overflow};

/// Collects overflow in a model.
struct Sink(Inject<usize>);

impl Overflow<usize> for Sink {
    fn push_batch(&self, tasks: impl Iterator<Item = usize>) {
        self.0.push_batch(tasks);
    }
}

fn drain_all(local: &mut queue::Local<usize>, inject: &Inject<usize>, seen: &mut Vec<usize>) {
    while let Some(t) = local.pop() {
        seen.push(t);
    }
    seen.extend(inject.drain());
}

fn assert_exactly_once(seen: &[usize], n: usize) {
    let unique: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(seen.len(), n, "every task once: {seen:?}");
    assert_eq!(unique.len(), n, "no task twice: {seen:?}");
}

/// The owner pushes past capacity (overflowing to the injector) and pops
/// while another thread steals: every task is seen exactly once.
pub fn local_queue_push_pop_steal() {
    loom::model(|| {
        let (steal, mut local) = queue::local::<usize>();
        let sink = Arc::new(Sink(Inject::new()));
        let n = CAPACITY + 1;
        let thief = thread::spawn(move || {
            let (_, mut mine) = queue::local::<usize>();
            let mut seen = Vec::new();
            if let Some(t) = steal.steal_into(&mut mine) {
                seen.push(t);
            }
            while let Some(t) = mine.pop() {
                seen.push(t);
            }
            seen
        });
        let mut seen = Vec::new();
        for i in 0..n {
            local.push_back_or_overflow(i, &*sink);
        }
        if let Some(t) = local.pop() {
            seen.push(t);
        }
        seen.extend(thief.join().unwrap());
        drain_all(&mut local, &sink.0, &mut seen);
        assert_exactly_once(&seen, n);
    });
}

/// Two stealers race each other and the owner's pops.
pub fn local_queue_two_stealers() {
    loom::model(|| {
        let (steal, mut local) = queue::local::<usize>();
        let sink = Sink(Inject::new());
        for i in 0..3 {
            local.push_back_or_overflow(i, &sink);
        }
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let steal = steal.clone();
                thread::spawn(move || {
                    let (_, mut mine) = queue::local::<usize>();
                    let mut seen = Vec::new();
                    if let Some(t) = steal.steal_into(&mut mine) {
                        seen.push(t);
                    }
                    while let Some(t) = mine.pop() {
                        seen.push(t);
                    }
                    seen
                })
            })
            .collect();
        let mut seen = Vec::new();
        if let Some(t) = local.pop() {
            seen.push(t);
        }
        for thief in thieves {
            seen.extend(thief.join().unwrap());
        }
        drain_all(&mut local, &sink.0, &mut seen);
        assert_exactly_once(&seen, 3);
    });
}

/// Pushes from two threads, a pop and a close racing: every task pushed
/// successfully is popped or drained exactly once; refused ones come back.
pub fn inject_push_pop_close() {
    loom::model(|| {
        let inject = Arc::new(Inject::<usize>::new());
        let pushers: Vec<_> = (0..2)
            .map(|p| {
                let inject = inject.clone();
                thread::spawn(move || match inject.push(p) {
                    Ok(()) => None,
                    Err(back) => Some(back),
                })
            })
            .collect();
        let popped = inject.pop();
        inject.close();
        let mut seen: Vec<usize> = popped.into_iter().collect();
        for pusher in pushers {
            seen.extend(pusher.join().unwrap());
        }
        seen.extend(inject.drain());
        assert_exactly_once(&seen, 2);
    });
}

/// A stand-in driver: "sleeping in epoll" waits on a loom `Notify`.
struct ModelDriver;

impl ParkDriver for ModelDriver {
    type Handle = Arc<Notify>;

    fn park(&mut self, handle: &Arc<Notify>) {
        handle.wait();
    }

    fn poll(&mut self, _handle: &Arc<Notify>) {}

    fn unpark(handle: &Arc<Notify>) {
        handle.notify();
    }

    fn shutdown(&mut self, _handle: &Arc<Notify>) {}
}

/// Two workers park (one gets the driver, the other the condvar) while
/// another thread unparks both: neither stays asleep.
pub fn park_unpark_no_lost_wakeup() {
    loom::model(|| {
        let driver_handle = Arc::new(Notify::new());
        let shared = SharedDriver::new(ModelDriver);
        let mut a = Parker::new(shared.clone());
        let mut b = Parker::new(shared.clone());
        let (ua, ub) = (a.unparker(), b.unparker());
        let h = driver_handle.clone();
        let waker = thread::spawn(move || {
            ua.unpark::<ModelDriver>(&h);
            ub.unpark::<ModelDriver>(&h);
        });
        let h = driver_handle.clone();
        let other = thread::spawn(move || b.park(&h));
        a.park(&driver_handle);
        other.join().unwrap();
        waker.join().unwrap();
    });
}

/// The idle protocol (worker.rs points 8-10): a worker that searched and
/// found nothing parks while another thread injects a task and notifies.
/// Either the worker's last-searcher re-check sees the task, or the
/// notifier picks the worker: the task is always found.
pub fn idle_protocol_finds_injected_task() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(1));
        let inject = Arc::new(Inject::<usize>::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let pusher = {
            let (idle, inject, woken) = (idle.clone(), inject.clone(), woken.clone());
            thread::spawn(move || {
                inject.push(7).unwrap();
                if idle.worker_to_notify() == Some(0) {
                    woken.store(1, SeqCst);
                }
            })
        };
        // The worker: search, find nothing (maybe), park.
        assert!(idle.transition_worker_to_searching());
        let mut found = inject.pop();
        if found.is_none() {
            let last = idle.transition_worker_to_parked(0, true);
            assert!(last);
            if !inject.is_empty() && idle.worker_to_notify() == Some(0) {
                woken.store(1, SeqCst);
            }
        }
        pusher.join().unwrap();
        if found.is_none() {
            assert_eq!(woken.load(SeqCst), 1, "the parked worker must be woken");
            assert!(!idle.is_parked(0));
            found = inject.pop();
        }
        assert_eq!(found, Some(7));
    });
}
