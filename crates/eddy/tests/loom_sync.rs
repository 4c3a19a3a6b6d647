//! Loom models of the cores of `eddy::sync`: the fair semaphore (fast and
//! slow paths, cancellation hand-over), the mpsc queue (delivery, closing,
//! backpressure), `Notify` and the lock-free oneshot, every interleaving of two or
//! three threads.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p eddy --test loom_sync --release`
#![cfg(loom)]

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Wake, Waker};

use eddy::sync::{Notify, Semaphore, mpsc, oneshot};
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;
use std::sync::Arc;

/// Unparks the loom thread that is blocked in [`block_on`].
struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` on the current loom thread, parking between polls.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        thread::park();
    }
}

/// Polls once with a no-op waker; true if ready (the future is then dropped).
fn poll_once_then_drop<F: Future>(future: F) -> bool {
    let mut future = pin!(future);
    matches!(
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop())),
        Poll::Ready(_)
    )
}

#[test]
fn semaphore_one_permit_gives_mutual_exclusion() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (semaphore, inside) = (semaphore.clone(), inside.clone());
                thread::spawn(move || {
                    let permit = block_on(semaphore.acquire()).unwrap();
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders of one permit");
                    inside.fetch_sub(1, SeqCst);
                    drop(permit);
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn semaphore_cancelled_waiter_racing_a_release_leaks_nothing() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let held = semaphore.clone().try_acquire_owned().unwrap();
        let releaser = thread::spawn(move || drop(held));
        // Poll an acquire once (queued, or granted at once) and drop it.
        let _ = poll_once_then_drop(semaphore.acquire());
        releaser.join().unwrap();
        assert_eq!(
            semaphore.available_permits(),
            1,
            "the permit was lost to a dropped waiter"
        );
        assert!(semaphore.try_acquire().is_ok());
    });
}

#[test]
fn semaphore_waiter_dropped_as_it_is_granted_passes_the_permit_to_the_next() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let held = semaphore.clone().try_acquire_owned().unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        // Two waiters queue in order behind the holder.
        let mut first = Box::pin(semaphore.acquire());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        let mut second = Box::pin(semaphore.acquire());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        // The release grants the first waiter while it is being dropped
        // (before, during or after its hand-off): the permit moves on.
        let releaser = thread::spawn(move || drop(held));
        drop(first);
        let permit = block_on(second).unwrap();
        releaser.join().unwrap();
        assert_eq!(semaphore.available_permits(), 0);
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1, "a permit was lost");
    });
}

#[test]
fn mutex_hand_off_to_a_waiter_dropped_as_it_is_granted_reaches_the_next() {
    loom::model(|| {
        let mutex = Arc::new(eddy::sync::Mutex::new(0u32));
        let guard = mutex.clone().try_lock_owned().unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut first = Box::pin(mutex.lock());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        let mut second = Box::pin(mutex.lock());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        let unlocker = thread::spawn(move || {
            let mut guard = guard;
            *guard += 1;
        });
        drop(first);
        let mut guard = block_on(second);
        *guard += 1;
        drop(guard);
        unlocker.join().unwrap();
        assert_eq!(*mutex.try_lock().expect("the lock was lost"), 2);
    });
}

#[test]
fn mutex_two_waiters_handed_off_in_turn_see_every_write() {
    loom::model(|| {
        let mutex = Arc::new(eddy::sync::Mutex::new(0u32));
        let guard = mutex.clone().try_lock_owned().unwrap();
        let waiter = {
            let mutex = mutex.clone();
            thread::spawn(move || *block_on(mutex.lock()) += 1)
        };
        let mut guard = guard;
        *guard += 1;
        drop(guard);
        *block_on(mutex.lock()) += 1;
        waiter.join().unwrap();
        assert_eq!(*mutex.try_lock().unwrap(), 3);
    });
}

#[test]
fn semaphore_many_permits_waiter_is_served_by_two_releasers() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(0));
        let releasers: Vec<_> = (0..2)
            .map(|_| {
                let semaphore = semaphore.clone();
                thread::spawn(move || semaphore.add_permits(1))
            })
            .collect();
        let permit = block_on(semaphore.acquire_many(2)).unwrap();
        releasers.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(semaphore.available_permits(), 0);
        drop(permit);
        assert_eq!(semaphore.available_permits(), 2);
    });
}

#[test]
fn bounded_mpsc_producer_waiting_for_room_delivers_everything_then_none() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel(1);
        // Two sends into one slot: the second must wait for the receiver.
        let producer = thread::spawn(move || {
            for i in 0..2 {
                block_on(tx.send(i)).unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(i) = block_on(rx.recv()) {
            got.push(i);
        }
        producer.join().unwrap();
        assert_eq!(got, [0, 1]);
    });
}

#[test]
fn unbounded_mpsc_receiver_dropped_racing_a_send_returns_or_delivers() {
    loom::model(|| {
        let (tx, rx) = mpsc::unbounded_channel::<Arc<()>>();
        let value = Arc::new(());
        let sender = {
            let value = value.clone();
            thread::spawn(move || tx.send(value).map_err(|e| e.0))
        };
        drop(rx);
        let result = sender.join().unwrap();
        // Either the send failed and gave the value back, or it was queued and
        // the dropped receiver released it: never leaked.
        drop(result);
        assert_eq!(Arc::strong_count(&value), 1);
    });
}

#[test]
fn weak_sender_upgrade_racing_the_last_drop_never_revives_the_channel() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let weak = tx.downgrade();
        let upgrader = thread::spawn(move || match weak.upgrade() {
            Some(tx) => tx.send(1).is_ok(),
            None => false,
        });
        drop(tx);
        // The receiver sees the end only after every sender (upgraded ones
        // included) is gone, so a message sent through an upgrade is never
        // lost behind the `None`.
        let mut received = 0;
        while block_on(rx.recv()).is_some() {
            received += 1;
        }
        let sent = upgrader.join().unwrap();
        assert_eq!(received, usize::from(sent));
    });
}

#[test]
fn unbounded_mpsc_last_sender_drop_wakes_the_receiver() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            drop(tx);
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), None);
        sender.join().unwrap();
    });
}

#[test]
fn oneshot_send_racing_a_waiting_receiver_delivers() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(rx), Ok(7));
        sender.join().unwrap();
    });
}

#[test]
fn oneshot_sender_dropped_racing_a_waiting_receiver_ends_it() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let sender = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        sender.join().unwrap();
    });
}

#[test]
fn oneshot_receiver_dropped_racing_a_send_returns_or_delivers_the_value() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<Arc<()>>();
        let value = Arc::new(());
        let sender = {
            let value = value.clone();
            thread::spawn(move || tx.send(value).err())
        };
        drop(rx);
        drop(sender.join().unwrap());
        assert_eq!(Arc::strong_count(&value), 1, "the value leaked");
    });
}

#[test]
fn oneshot_sender_closed_wakes_when_the_receiver_goes() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let receiver = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        receiver.join().unwrap();
    });
}

/// A oneshot with both wakers registered (the receiver polled, the sender
/// waiting in `closed`), both halves still alive.
fn oneshot_with_both_sides_waiting<T>() -> (oneshot::Sender<T>, oneshot::Receiver<T>) {
    let (mut tx, mut rx) = oneshot::channel::<T>();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut rx).poll(&mut cx).is_pending());
    assert!(tx.poll_closed(&mut cx).is_pending());
    (tx, rx)
}

#[test]
fn oneshot_waiting_receiver_dropped_racing_a_send_frees_everything_once() {
    loom::model(|| {
        let (tx, rx) = oneshot_with_both_sides_waiting::<Arc<()>>();
        let value = Arc::new(());
        let sender = {
            let value = value.clone();
            thread::spawn(move || tx.send(value).err())
        };
        drop(rx);
        drop(sender.join().unwrap());
        assert_eq!(Arc::strong_count(&value), 1, "the value leaked");
    });
}

#[test]
fn oneshot_waiting_sender_dropped_racing_a_receiver_close_ends_both() {
    loom::model(|| {
        let (tx, mut rx) = oneshot_with_both_sides_waiting::<u8>();
        let sender = thread::spawn(move || drop(tx));
        rx.close();
        assert!(block_on(rx).is_err());
        sender.join().unwrap();
    });
}

#[test]
fn oneshot_send_racing_a_receiver_close_then_try_recv_keeps_the_value_once() {
    loom::model(|| {
        let (tx, mut rx) = oneshot_with_both_sides_waiting::<Arc<()>>();
        let value = Arc::new(());
        let sender = {
            let value = value.clone();
            thread::spawn(move || tx.send(value).err())
        };
        rx.close();
        let received = rx.try_recv().ok();
        let returned = sender.join().unwrap();
        assert!(
            received.is_some() != returned.is_some(),
            "the value is either received or given back"
        );
        drop((received, returned, rx));
        assert_eq!(Arc::strong_count(&value), 1, "the value leaked");
    });
}

#[test]
fn notify_one_racing_a_waiter_is_never_lost() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        block_on(notify.notified());
        notifier.join().unwrap();
    });
}

#[test]
fn notify_one_given_to_a_dropped_waiter_is_passed_on() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        // Queue (or take the permit at once), then give up.
        let first_ready = poll_once_then_drop(notify.notified());
        notifier.join().unwrap();
        // If the dropped waiter took the notification at once nothing is
        // owed; otherwise it must have been passed on as the permit.
        let again_ready = poll_once_then_drop(notify.notified());
        assert_eq!(
            again_ready, !first_ready,
            "a notification was lost or duplicated"
        );
    });
}
