//! Every primitive used by tasks spread over the workers of Eddy's
//! multi-thread runtime (the other files cover plain threads and the
//! current-thread runtime). Counts are checked exactly.

use std::sync::Arc;

use eddy::sync::{
    Barrier, Mutex, Notify, OnceCell, RwLock, Semaphore, broadcast, mpsc, oneshot, watch,
};

const TASKS: u64 = 8;
const ROUNDS: u64 = 500;

fn runtime() -> eddy::runtime::Runtime {
    eddy::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// Spawns `TASKS` copies of `body(i)` and waits for them all.
async fn spawn_all<F, Fut>(body: F)
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = (0..TASKS).map(|i| eddy::spawn(body(i))).collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[test]
fn channels_deliver_every_message_across_workers() {
    runtime().block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        let (utx, mut urx) = mpsc::unbounded_channel();
        let producers = eddy::spawn(async move {
            spawn_all(|i| {
                let (tx, utx) = (tx.clone(), utx.clone());
                async move {
                    for r in 0..ROUNDS {
                        tx.send(i * ROUNDS + r).await.unwrap();
                        utx.send(r).unwrap();
                    }
                }
            })
            .await;
        });
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        let mut count = 0;
        while urx.recv().await.is_some() {
            count += 1;
        }
        producers.await.unwrap();
        let n = TASKS * ROUNDS;
        assert_eq!(sum, n * (n - 1) / 2);
        assert_eq!(count, n);
    });
}

#[test]
fn oneshots_broadcast_and_watch_across_workers() {
    runtime().block_on(async {
        let (btx, _keep) = broadcast::channel(ROUNDS as usize);
        let (wtx, wrx) = watch::channel(0u64);
        let mut replies = Vec::new();
        let mut listeners = Vec::new();
        for _ in 0..TASKS {
            let (tx, rx) = oneshot::channel();
            let mut brx = btx.subscribe();
            let mut wrx = wrx.clone();
            listeners.push(eddy::spawn(async move {
                let mut got = 0;
                while brx.recv().await.is_ok() {
                    got += 1;
                }
                while wrx.changed().await.is_ok() {}
                tx.send((got, *wrx.borrow())).unwrap();
            }));
            replies.push(rx);
        }
        for r in 0..ROUNDS {
            btx.send(r).unwrap();
            wtx.send_replace(r);
        }
        drop((btx, _keep, wtx, wrx));
        for rx in replies {
            assert_eq!(rx.await.unwrap(), (ROUNDS, ROUNDS - 1));
        }
        for listener in listeners {
            listener.await.unwrap();
        }
    });
}

#[test]
fn locks_and_semaphores_keep_exact_counts_across_workers() {
    runtime().block_on(async {
        let mutex = Arc::new(Mutex::new(0u64));
        let rwlock = Arc::new(RwLock::new(0u64));
        let semaphore = Arc::new(Semaphore::new(3));
        let (m, l, s) = (mutex.clone(), rwlock.clone(), semaphore.clone());
        spawn_all(move |_| {
            let (mutex, rwlock, semaphore) = (m.clone(), l.clone(), s.clone());
            async move {
                for r in 0..ROUNDS {
                    let _permit = semaphore.acquire().await.unwrap();
                    *mutex.lock().await += 1;
                    if r % 5 == 0 {
                        *rwlock.write().await += 1;
                    } else {
                        let _ = *rwlock.read().await;
                    }
                    eddy::task::yield_now().await;
                }
            }
        })
        .await;
        assert_eq!(*mutex.lock().await, TASKS * ROUNDS);
        assert_eq!(*rwlock.read().await, TASKS * ROUNDS / 5);
        assert_eq!(semaphore.available_permits(), 3);
    });
}

#[test]
fn notify_barrier_and_once_cell_across_workers() {
    runtime().block_on(async {
        let barrier = Arc::new(Barrier::new(TASKS as usize));
        let cell = Arc::new(OnceCell::new());
        let notify = Arc::new(Notify::new());
        let leaders = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (b, c, n, l) = (
            barrier.clone(),
            cell.clone(),
            notify.clone(),
            leaders.clone(),
        );
        spawn_all(move |i| {
            let (barrier, cell, notify, leaders) = (b.clone(), c.clone(), n.clone(), l.clone());
            async move {
                cell.get_or_init(|| async move { i }).await;
                for _ in 0..50 {
                    if barrier.wait().await.is_leader() {
                        leaders.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                notify.notify_one();
            }
        })
        .await;
        // Every task called notify_one with nobody waiting: one permit is stored.
        notify.notified().await;
        assert_eq!(leaders.load(std::sync::atomic::Ordering::Relaxed), 50);
        assert!(cell.get().is_some_and(|v| *v < TASKS));
    });
}
