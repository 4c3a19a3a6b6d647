//! Loom models of the readiness slot (only built under `--cfg loom`; run by
//! `tests/loom_io.rs`): a task registering its waker while the reactor
//! delivers an event must end up either seeing the readiness or woken, for
//! the lock-free [`WakerSlot`](super::waker_slot::WakerSlot), for the waiter
//! list, and when the task clears stale readiness at the same moment.

use std::sync::Arc as StdArc;
use std::task::{Context, Wake, Waker};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use super::Direction;
use super::scheduled_io::{READABLE, ScheduledIo, WRITABLE};

/// Counts its wakes.
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (StdArc<Counter>, Waker) {
    let counter = StdArc::new(Counter(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

/// The reactor's side of one readable event at `tick`.
fn deliver(io: &ScheduledIo, tick: u16) {
    deliver_ready(io, tick, READABLE);
}

/// The reactor's side of one event: set readiness at `tick` and wake the
/// waiters of the directions it made ready (the driver's own path).
fn deliver_ready(io: &ScheduledIo, tick: u16, ready: u8) {
    let mut wakers = Vec::new();
    io.dispatch(tick, ready, &mut wakers);
    for waker in wakers {
        waker.wake();
    }
}

/// A task registers in the read slot while the reactor delivers an event.
pub fn slot_register_races_an_event() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::default());
        let (woken, waker) = counting_waker();
        let reactor = {
            let io = io.clone();
            thread::spawn(move || deliver(&io, 1))
        };
        let cx = Context::from_waker(&waker);
        let saw = io.register_waker(Direction::Read, &cx).is_some();
        reactor.join().unwrap();
        assert!(
            saw || woken.0.load(SeqCst) > 0,
            "lost wakeup: the event was neither seen nor woken"
        );
    });
}

/// Two registrations of the same task around one event (the second poll
/// re-registers the waker the first one left).
pub fn slot_reregister_races_an_event() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::default());
        let (woken, waker) = counting_waker();
        let cx = Context::from_waker(&waker);
        assert!(io.register_waker(Direction::Read, &cx).is_none());
        let reactor = {
            let io = io.clone();
            thread::spawn(move || deliver(&io, 1))
        };
        let saw = io.register_waker(Direction::Read, &cx).is_some();
        reactor.join().unwrap();
        assert!(saw || woken.0.load(SeqCst) > 0, "lost wakeup");
    });
}

/// A `readiness()` waiter on the list while the reactor delivers an event.
pub fn list_waiter_races_an_event() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::default());
        let (woken, waker) = counting_waker();
        let reactor = {
            let io = io.clone();
            thread::spawn(move || deliver(&io, 1))
        };
        let (_, event) = io.register_list_waiter(None, Direction::Read, &waker);
        reactor.join().unwrap();
        assert!(event.is_some() || woken.0.load(SeqCst) > 0, "lost wakeup");
    });
}

/// The stream path: the task saw readiness at tick 1, its read hit
/// `WouldBlock`, and it clears what it saw while a new event (tick 2)
/// arrives; then it registers. The new event must not be forgotten.
pub fn clear_races_a_new_event() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::default());
        io.set_readiness(1, READABLE);
        let seen = io.ready_for(Direction::Read).expect("set above");
        let (woken, waker) = counting_waker();
        let reactor = {
            let io = io.clone();
            thread::spawn(move || deliver(&io, 2))
        };
        io.clear_readiness(seen);
        let cx = Context::from_waker(&waker);
        let saw = io.register_waker(Direction::Read, &cx).is_some();
        reactor.join().unwrap();
        assert!(saw || woken.0.load(SeqCst) > 0, "lost wakeup after clear");
    });
}

/// The edge rule of `ScheduledIo::dispatch`: an event for a direction that
/// is already ready wakes nobody. The socket is readable and writable at
/// tick 1; the writer saw that, its write filled the socket, and it clears
/// what it saw (writable only: readable stays) and registers while the
/// reactor delivers two more events reporting both (as an edge-triggered
/// queue does). An event may find writable already set and skip the
/// writer; whichever update makes writable ready again after the clear
/// must wake it or be seen by it, even though readable was set all along.
pub fn edge_skip_never_loses_a_wake() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::default());
        io.set_readiness(1, READABLE | WRITABLE);
        let seen = io.ready_for(Direction::Write).expect("set above");
        let (woken, waker) = counting_waker();
        let reactor = {
            let io = io.clone();
            thread::spawn(move || {
                deliver_ready(&io, 2, READABLE | WRITABLE);
                deliver_ready(&io, 3, READABLE | WRITABLE);
            })
        };
        io.clear_readiness(seen);
        let cx = Context::from_waker(&waker);
        let saw = io.register_waker(Direction::Write, &cx).is_some();
        reactor.join().unwrap();
        let left = io.ready_for(Direction::Write).is_some();
        // Writable is set again at the end (tick 3 at the latest), so a
        // task that did not see it must have been woken.
        assert!(left, "the last event left the socket writable");
        assert!(saw || woken.0.load(SeqCst) > 0, "lost wakeup: edge skipped");
    });
}
