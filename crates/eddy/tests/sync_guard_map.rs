//! Mapped lock guards: `MutexGuard::map`/`try_map`, `OwnedMutexGuard::map`,
//! `RwLockReadGuard::map`/`try_map` and `RwLockWriteGuard::map`/`try_map`
//! keep the lock until the mapped guard drops, release it if the closure
//! panics, and give the original guard back when `try_map` finds nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;

use eddy::sync::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};

#[derive(Debug, Default)]
struct Record {
    id: u32,
    tags: Vec<String>,
}

#[test]
fn a_mapped_mutex_guard_holds_the_lock_until_dropped() {
    let mutex = Mutex::new(Record::default());
    let mut tags = MutexGuard::map(mutex.try_lock().unwrap(), |r| &mut r.tags);
    tags.push("a".into());
    assert!(mutex.try_lock().is_err());
    let mut first = MappedMutexGuard::map(tags, |t| &mut t[0]);
    first.push('b');
    assert!(mutex.try_lock().is_err());
    drop(first);
    let record = mutex.try_lock().unwrap();
    assert_eq!(record.tags, ["ab"]);
}

#[test]
fn try_map_gives_the_original_guard_back_still_locked() {
    let mutex = Mutex::new(Record::default());
    let guard = MutexGuard::try_map(mutex.try_lock().unwrap(), |r| r.tags.first_mut())
        .expect_err("no tags yet");
    assert!(mutex.try_lock().is_err());
    assert_eq!(guard.id, 0);
    drop(guard);

    let lock = RwLock::new(vec![1, 2]);
    let read = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.get(7)).unwrap_err();
    assert!(lock.try_write().is_err());
    drop(read);
    let write = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(7)).unwrap_err();
    assert!(lock.try_read().is_err());
    drop(write);
    assert!(lock.try_write().is_ok());
}

#[test]
fn a_panic_in_the_map_closure_releases_the_lock() {
    let mutex = Mutex::new(Record::default());
    let result = catch_unwind(AssertUnwindSafe(|| {
        MutexGuard::map(mutex.try_lock().unwrap(), |_r| -> &mut u32 {
            panic!("boom")
        })
    }));
    assert!(result.is_err());
    assert!(
        mutex.try_lock().is_ok(),
        "the mutex is unlocked after the panic"
    );

    let mutex = Arc::new(Mutex::new(1));
    let result = catch_unwind(AssertUnwindSafe(|| {
        OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |_v| -> &mut u8 {
            panic!("boom")
        })
    }));
    assert!(result.is_err());
    assert!(mutex.try_lock().is_ok());

    let lock = RwLock::new(Record::default());
    let result = catch_unwind(AssertUnwindSafe(|| {
        RwLockReadGuard::map(lock.try_read().unwrap(), |_r| -> &u32 { panic!("boom") })
    }));
    assert!(result.is_err());
    let result = catch_unwind(AssertUnwindSafe(|| {
        RwLockWriteGuard::map(lock.try_write().unwrap(), |_r| -> &mut u32 {
            panic!("boom")
        })
    }));
    assert!(result.is_err());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let whole = RwLockWriteGuard::map(lock.try_write().unwrap(), |r| r);
        RwLockMappedWriteGuard::map(whole, |_r| -> &mut u32 { panic!("boom") })
    }));
    assert!(result.is_err());
    assert!(lock.try_write().is_ok(), "every permit came back");
}

#[test]
fn read_guards_map_and_share_while_a_mapped_writer_excludes_all() {
    let lock = RwLock::new(Record {
        id: 3,
        tags: vec!["x".into()],
    });
    let id = RwLockReadGuard::map(lock.try_read().unwrap(), |r| &r.id);
    let tags = RwLockReadGuard::map(lock.try_read().unwrap(), |r| &r.tags);
    assert_eq!((*id, tags.len()), (3, 1));
    assert!(lock.try_write().is_err());
    drop((id, tags));

    let mut id = RwLockWriteGuard::map(lock.try_write().unwrap(), |r| &mut r.id);
    *id = 4;
    assert!(lock.try_read().is_err());
    drop(id);
    assert_eq!(lock.try_read().unwrap().id, 4);
}

#[test]
fn an_owned_mapped_guard_moves_to_another_thread_and_unlocks_there() {
    let mutex = Arc::new(Mutex::new(Record::default()));
    let guard = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |r| &mut r.id);
    let guard = OwnedMappedMutexGuard::map(guard, |id| id);
    assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&guard), &mutex));
    thread::spawn(move || {
        let mut guard = guard;
        *guard = 9;
    })
    .join()
    .unwrap();
    assert_eq!(mutex.try_lock().unwrap().id, 9);
}

#[test]
fn four_threads_hammering_through_mapped_guards() {
    const ROUNDS: u32 = 5_000;
    let mutex = Arc::new(Mutex::new((0u32, 0u32)));
    let lock = Arc::new(RwLock::new((0u32, 0u32)));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (mutex, lock) = (mutex.clone(), lock.clone());
            thread::spawn(move || {
                for _ in 0..ROUNDS {
                    *MutexGuard::map(mutex.blocking_lock(), |p| &mut p.1) += 1;
                    *RwLockWriteGuard::map(lock.blocking_write(), |p| &mut p.0) += 1;
                    let read = RwLockReadGuard::map(lock.blocking_read(), |p| &p.0);
                    assert!(*read >= 1);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(*mutex.try_lock().unwrap(), (0, 4 * ROUNDS));
    assert_eq!(*lock.try_read().unwrap(), (4 * ROUNDS, 0));
}
