//! One-shot promises: the bridge from callbacks to `async`/`await`.
//!
//! [`promise`] returns a [`Resolver`] (the callback side calls `resolve`) and
//! a [`Promise`] (a future for the `async` side). Like a JavaScript promise
//! it lives on the loop thread (it is `!Send`); resolving wakes the awaiting
//! task, whose next poll is queued as a microtask.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct State<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The awaiting half: a future resolving to the value given to the
/// [`Resolver`]. It stays pending forever if the resolver is dropped unused,
/// as a JavaScript promise whose `resolve` is never called. Dropping it is
/// fine: the work behind it goes on (as an ignored promise in JavaScript).
pub struct Promise<T> {
    state: Rc<RefCell<State<T>>>,
}

/// The resolving half of a [`Promise`].
pub struct Resolver<T> {
    state: Rc<RefCell<State<T>>>,
}

/// A new pending promise and its resolver (`new Promise(resolve => …)`).
///
/// ```
/// use eddy_node::promise::promise;
/// eddy_node::run(|| {
///     let (resolver, promise) = promise();
///     eddy_node::timers::set_timeout(1, move || resolver.resolve(42));
///     eddy_node::spawn(async move { assert_eq!(promise.await, 42) });
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
pub fn promise<T>() -> (Resolver<T>, Promise<T>) {
    let state = Rc::new(RefCell::new(State {
        value: None,
        waker: None,
    }));
    (
        Resolver {
            state: Rc::clone(&state),
        },
        Promise { state },
    )
}

impl<T> Resolver<T> {
    /// Fulfils the promise with `value`, waking its awaiting task.
    pub fn resolve(self, value: T) {
        let waker = {
            let mut state = self.state.borrow_mut();
            state.value = Some(value);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Promise<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        match state.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let resolved = self.state.borrow().value.is_some();
        f.debug_struct("Promise")
            .field("resolved", &resolved)
            .finish()
    }
}

impl<T> fmt::Debug for Resolver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}
