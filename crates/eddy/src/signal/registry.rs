//! The process-wide listener registry: who listens for which signal, one
//! reactor registration of the self-pipe per runtime, and the fan-out that
//! wakes every listener of a signal when it is delivered.
//!
//! # How a delivery reaches a listener
//!
//! 1. The handler (in [`sys`]) bumps the signal's delivery counter and writes
//!    a byte to the process's one self-pipe.
//! 2. Each runtime that has listeners registered the pipe's read end with its
//!    reactor once (a [`PipeHook`]; no descriptor per listener). The hook's
//!    waker is not a task: when the reactor sees the pipe readable it calls
//!    [`PipeHook::arm`], which drains the pipe, runs [`dispatch`] and waits
//!    for readability again.
//! 3. [`dispatch`] wakes every parked listener, on any runtime, whose signal
//!    count moved past the count it last reported.
//! 4. A listener's `poll_recv` compares the counter with what it last saw; if
//!    equal it parks its waker here and checks again (a delivery between the
//!    two checks is seen by the second).
//!
//! # Lifetimes
//!
//! The first listener of a signal installs the handler ([`sys::install`]);
//! the last one to go puts the previous disposition back ([`sys::restore`]).
//! The first listener on a runtime registers its hook; the last one on it
//! deregisters it. Both happen under the registry lock, so a new listener
//! never races a half-removed hook or handler.
//!
//! Wakers are never dropped or woken with the lock held (dropping a waker
//! can drop a task, whose future may own a `Signal` whose drop takes the
//! lock).

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};

use eddy_poll::Interest;
use eddy_poll::unix::SourceFd;

use super::sys;
use crate::runtime::io::{Direction, Registration};
use crate::runtime::{Handle, coop};

/// Every listener, every hook.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry::new());

#[derive(Debug)]
struct Registry {
    signals: [SignalEntry; sys::SIGNAL_LIMIT],
    hooks: Vec<HookEntry>,
    next_listener: u64,
}

/// One signal number's listeners.
#[derive(Debug)]
struct SignalEntry {
    listeners: usize,
    /// The disposition to put back when the last listener goes (`Some`
    /// while our handler is installed).
    saved: Option<sys::SavedAction>,
    /// Listeners waiting for a delivery.
    parked: Vec<Parked>,
}

/// A waiting listener: woken once the count differs from `seen`.
#[derive(Debug)]
struct Parked {
    listener: u64,
    seen: u64,
    waker: Waker,
}

/// One runtime's hook and how many listeners use it.
#[derive(Debug)]
struct HookEntry {
    /// The runtime's reactor (its `IoHandle` address; stable while the hook
    /// holds a `Handle`).
    reactor: usize,
    hook: Arc<PipeHook>,
    listeners: usize,
}

impl Registry {
    const fn new() -> Self {
        Registry {
            signals: [const {
                SignalEntry {
                    listeners: 0,
                    saved: None,
                    parked: Vec::new(),
                }
            }; sys::SIGNAL_LIMIT],
            hooks: Vec::new(),
            next_listener: 0,
        }
    }
}

fn lock() -> MutexGuard<'static, Registry> {
    // Every critical section leaves the registry consistent.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A listener's place in the registry; unregisters on drop.
#[derive(Debug)]
pub(super) struct Membership {
    signum: usize,
    listener: u64,
    hook: Arc<PipeHook>,
}

/// Registers a listener for `signum` on the current runtime: installs the
/// handler if it is the signal's first, the runtime's hook if it is the
/// runtime's first. Returns the membership and the delivery count to start
/// from.
pub(super) fn join(signum: usize, handle: &Handle) -> io::Result<(Membership, u64)> {
    let reactor = std::ptr::from_ref(handle.io()) as usize;
    let mut registry = lock();
    let (hook, new_hook) = match registry.hooks.iter_mut().find(|h| h.reactor == reactor) {
        Some(entry) => {
            entry.listeners += 1;
            (entry.hook.clone(), false)
        }
        None => {
            let hook = PipeHook::register(handle)?;
            registry.hooks.push(HookEntry {
                reactor,
                hook: hook.clone(),
                listeners: 1,
            });
            (hook, true)
        }
    };
    let entry = &mut registry.signals[signum];
    if entry.listeners == 0 {
        match sys::install(signum) {
            Ok(saved) => entry.saved = Some(saved),
            Err(e) => {
                let removed = leave_hook(&mut registry, reactor);
                drop(registry);
                drop(removed);
                return Err(e);
            }
        }
    }
    entry.listeners += 1;
    let seen = sys::deliveries(signum);
    let listener = registry.next_listener;
    registry.next_listener += 1;
    drop(registry);
    if new_hook {
        hook.arm();
    }
    Ok((
        Membership {
            signum,
            listener,
            hook,
        },
        seen,
    ))
}

/// One listener fewer on the hook of `reactor`; returns the hook if that was
/// the last (already deregistered; drop it after unlocking).
fn leave_hook(registry: &mut Registry, reactor: usize) -> Option<Arc<PipeHook>> {
    let index = registry.hooks.iter().position(|h| h.reactor == reactor)?;
    let entry = &mut registry.hooks[index];
    entry.listeners -= 1;
    if entry.listeners > 0 {
        return None;
    }
    let hook = registry.hooks.swap_remove(index).hook;
    hook.deregister();
    Some(hook)
}

impl Membership {
    /// `Ready(Some(count))` once the signal's count differs from `seen`,
    /// `Ready(None)` once the runtime shut down, else parks `cx`'s waker.
    pub(super) fn poll_delivery(&self, seen: u64, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        if let Some(ready) = self.check(seen) {
            return Poll::Ready(ready);
        }
        let replaced = {
            let mut registry = lock();
            let parked = &mut registry.signals[self.signum].parked;
            match parked.iter_mut().find(|p| p.listener == self.listener) {
                Some(p) => {
                    p.seen = seen;
                    if p.waker.will_wake(cx.waker()) {
                        None
                    } else {
                        Some(std::mem::replace(&mut p.waker, cx.waker().clone()))
                    }
                }
                None => {
                    parked.push(Parked {
                        listener: self.listener,
                        seen,
                        waker: cx.waker().clone(),
                    });
                    None
                }
            }
        };
        drop(replaced);
        // A dispatch between the first check and parking did not see us.
        match self.check(seen) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    fn check(&self, seen: u64) -> Option<Option<u64>> {
        let now = sys::deliveries(self.signum);
        if now != seen {
            return Some(Some(now));
        }
        if self.hook.is_dead() {
            return Some(None);
        }
        None
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut registry = lock();
        let entry = &mut registry.signals[self.signum];
        let unparked = entry
            .parked
            .iter()
            .position(|p| p.listener == self.listener)
            .map(|i| entry.parked.swap_remove(i));
        entry.listeners -= 1;
        if entry.listeners == 0
            && let Some(saved) = entry.saved.take()
            && let Err(e) = sys::restore(self.signum, &saved)
        {
            // Our handler stays installed: it keeps chaining to the saved
            // disposition, so nothing is lost; the next install notices.
            log::error!(
                "eddy: restoring the previous handler of signal {}: {e}",
                self.signum
            );
        }
        let reactor = self.hook.reactor;
        let removed = leave_hook(&mut registry, reactor);
        drop(registry);
        drop(unparked);
        drop(removed);
    }
}

/// Wakes every parked listener whose signal was delivered since it parked.
fn dispatch() {
    let mut wake = Vec::new();
    {
        let mut registry = lock();
        for (signum, entry) in registry.signals.iter_mut().enumerate() {
            if entry.parked.is_empty() {
                continue;
            }
            let now = sys::deliveries(signum);
            let mut i = 0;
            while i < entry.parked.len() {
                if entry.parked[i].seen != now {
                    wake.push(entry.parked.swap_remove(i).waker);
                } else {
                    i += 1;
                }
            }
        }
    }
    for waker in wake {
        waker.wake();
    }
}

/// Wakes every parked listener (a runtime shut down: its listeners must
/// see `None`; the others re-check and park again).
fn wake_all() {
    let mut wake = Vec::new();
    {
        let mut registry = lock();
        for entry in registry.signals.iter_mut() {
            wake.extend(entry.parked.drain(..).map(|p| p.waker));
        }
    }
    for waker in wake {
        waker.wake();
    }
}

/// The self-pipe's registration with one runtime's reactor.
#[derive(Debug)]
pub(super) struct PipeHook {
    registration: Registration,
    /// The pipe's read end (shared by every hook; never closed).
    fd: RawFd,
    /// The key of this hook's entry in the registry.
    reactor: usize,
    /// The runtime shut down: its listeners' `recv` returns `None`.
    dead: AtomicBool,
    /// The waker the reactor calls: a weak link back to this hook.
    waker: Waker,
}

/// The reactor-side waker of a [`PipeHook`].
struct HookWaker(Weak<PipeHook>);

impl Wake for HookWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(hook) = self.0.upgrade() {
            hook.arm();
        }
    }
}

impl PipeHook {
    /// Registers the self-pipe with `handle`'s reactor.
    fn register(handle: &Handle) -> io::Result<Arc<PipeHook>> {
        let fd = sys::pipe_read_fd()?;
        let registration =
            Registration::new_with_handle(&mut SourceFd(&fd), Interest::READABLE, handle).map_err(
                |e| io::Error::new(e.kind(), format!("register the signal self-pipe: {e}")),
            )?;
        Ok(Arc::new_cyclic(|weak| PipeHook {
            registration,
            fd,
            reactor: std::ptr::from_ref(handle.io()) as usize,
            dead: AtomicBool::new(false),
            waker: Waker::from(Arc::new(HookWaker(weak.clone()))),
        }))
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Waits for the pipe to become readable (the reactor will call our
    /// waker), handling every readiness already there first.
    fn arm(&self) {
        let mut cx = Context::from_waker(&self.waker);
        loop {
            // A fresh budget: this is not a task poll, and a spent budget
            // would make `poll_ready` wake us (recursing) instead of waiting.
            let ready = coop::budget(|| self.registration.poll_ready(&mut cx, Direction::Read));
            match ready {
                Poll::Pending => return,
                Poll::Ready(Ok(event)) => {
                    if let Err(e) = sys::drain_pipe(self.fd) {
                        log::error!("eddy: reading the signal self-pipe: {e}");
                    }
                    self.registration.clear_readiness(event);
                    dispatch();
                }
                Poll::Ready(Err(_)) => {
                    self.dead.store(true, Ordering::Release);
                    wake_all();
                    return;
                }
            }
        }
    }

    /// Removes the pipe from this hook's reactor (the last listener of the
    /// runtime left).
    fn deregister(&self) {
        if let Err(e) = self.registration.deregister(&mut SourceFd(&self.fd)) {
            // The runtime's event queue may already be gone; nothing to undo.
            log::debug!("eddy: deregistering the signal self-pipe: {e}");
        }
    }
}
