//! The public face of the scheduler: [`Runtime`], [`RuntimeBuilder`], the
//! fiber [`Builder`], and the free functions fibers call ([`spawn`],
//! [`yield_now`], [`sleep`], [`current`]).

use std::fmt;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::fiber::{Fiber, JoinHandle};
use crate::overflow;
use crate::scheduler::{self, Config, Enter, Scheduler};
use crate::stack::DEFAULT_STACK_SIZE;

/// A fiber runtime: a scheduler, its event queue and its timers, driven by
/// [`block_on`](Runtime::block_on) on the calling thread.
///
/// ```
/// use std::time::Duration;
/// let rt = eddy_fiber::Runtime::new()?;
/// let out = rt.block_on(|| {
///     let worker = eddy_fiber::spawn(|| {
///         eddy_fiber::sleep(Duration::from_millis(1));
///         "done"
///     });
///     worker.join().unwrap()
/// });
/// assert_eq!(out, "done");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A runtime belongs to the thread that made it:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(eddy_fiber::Runtime::new().unwrap());
/// ```
pub struct Runtime {
    scheduler: Rc<Scheduler>,
}

impl Runtime {
    /// A runtime with the default settings (256 KiB stacks).
    pub fn new() -> io::Result<Runtime> {
        RuntimeBuilder::new().build()
    }

    /// Settings for a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::new()
    }

    /// Runs `f` as the main fiber and the scheduler on this thread until
    /// `f` returns; other fibers run whenever it parks. Returns `f`'s value.
    /// Fibers still alive afterwards stay in the runtime (they continue in
    /// the next `block_on`) until it is dropped, which cancels them.
    ///
    /// # Panics
    ///
    /// If `f` panics (the panic is resumed here), if the main fiber's stack
    /// cannot be mapped, if called from inside a fiber, or on a deadlock:
    /// when every fiber is parked and no timer, socket or waker can ever
    /// wake one.
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        assert!(
            !Enter::is_entered(),
            "Runtime::block_on called from inside a fiber: spawn a fiber and join it instead"
        );
        overflow::install_handler();
        overflow::ensure_alt_stack();
        let main = self
            .scheduler
            .spawn(Some("main".into()), None, f)
            .unwrap_or_else(|e| panic!("eddy_fiber: cannot start the main fiber: {e}"));
        match self.scheduler.run_root(&main.fiber) {
            Ok(value) => value,
            Err(e) => match e.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                Err(e) => panic!("eddy_fiber: the main fiber did not finish: {e}"),
            },
        }
    }

    /// Queues a fiber on this runtime from outside it; it starts in the
    /// next [`block_on`](Runtime::block_on).
    pub fn spawn<F, T>(&self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        self.scheduler.spawn(None, None, f)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.scheduler.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Runtime").field(&self.scheduler).finish()
    }
}

/// Settings for a [`Runtime`].
///
/// ```
/// let rt = eddy_fiber::Runtime::builder()
///     .stack_size(64 * 1024)
///     .stack_pool_size(16)
///     .build()?;
/// assert_eq!(rt.block_on(|| 7), 7);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeBuilder {
    config: Config,
}

impl RuntimeBuilder {
    /// The defaults: 256 KiB stacks, up to 256 finished stacks kept warm.
    pub fn new() -> RuntimeBuilder {
        RuntimeBuilder {
            config: Config {
                stack_size: DEFAULT_STACK_SIZE,
                stack_pool_size: 256,
                preserve_fp_control: true,
            },
        }
    }

    /// Usable stack size of fibers that do not ask for one (rounded up to
    /// pages; at least 16 KiB).
    pub fn stack_size(mut self, bytes: usize) -> RuntimeBuilder {
        self.config.stack_size = bytes;
        self
    }

    /// How many stacks of finished fibers are kept with their memory for
    /// immediate reuse; beyond that their pages go back to the kernel.
    pub fn stack_pool_size(mut self, stacks: usize) -> RuntimeBuilder {
        self.config.stack_pool_size = stacks;
        self
    }

    /// Whether each fiber keeps its own floating-point control state
    /// (default `true`).
    ///
    /// With `true`, every switch saves and restores what the ABI makes
    /// callee-saved besides the registers: on x86_64 the MXCSR control bits
    /// (SSE rounding mode, exception masks, flush-to-zero) and the x87
    /// control word; on aarch64 `FPCR`. A fiber may change its rounding
    /// mode and other fibers never see it, and each fiber starts with the
    /// default environment. Reading MXCSR (`stmxcsr`) is slow on some CPUs
    /// (~4 ns on the AMD EPYC measured in the README), so this costs
    /// about that much per switch.
    ///
    /// With `false`, switches leave those control registers alone, as
    /// corosensei and may do: they belong to the thread, not the fiber, and
    /// fibers start with whatever the thread has. The contract: **no fiber
    /// of this runtime changes the rounding mode, the FP exception masks,
    /// flush-to-zero / denormals-are-zero, or the x87 precision**, or if
    /// it does, it restores them before it can park, yield or finish. A
    /// fiber breaking it changes floating-point results of whichever fibers
    /// run after it on the thread (never memory safety: all integer and FP
    /// callee-saved registers are still saved, and `d8`-`d15` on aarch64).
    ///
    /// ```
    /// let rt = eddy_fiber::Runtime::builder()
    ///     .preserve_fp_control(false)
    ///     .build()?;
    /// assert_eq!(rt.block_on(|| eddy_fiber::spawn(|| 0.1 + 0.2).join().unwrap()), 0.1 + 0.2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn preserve_fp_control(mut self, preserve: bool) -> RuntimeBuilder {
        self.config.preserve_fp_control = preserve;
        self
    }

    /// Creates the runtime (an event queue and its waker).
    pub fn build(self) -> io::Result<Runtime> {
        Ok(Runtime {
            scheduler: Rc::new(Scheduler::new(&self.config)?),
        })
    }
}

impl Default for RuntimeBuilder {
    fn default() -> RuntimeBuilder {
        RuntimeBuilder::new()
    }
}

/// Settings for one fiber: a name (shown by [`Fiber::name`] and in stack
/// overflow reports) and a stack size.
///
/// ```
/// let rt = eddy_fiber::Runtime::new()?;
/// rt.block_on(|| {
///     let h = eddy_fiber::Builder::new()
///         .name("worker")
///         .stack_size(64 * 1024)
///         .spawn(|| eddy_fiber::current().name().map(str::to_owned))
///         .unwrap();
///     assert_eq!(h.join().unwrap().as_deref(), Some("worker"));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with no name and the runtime's default stack size.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the fiber.
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Usable stack bytes for this fiber (rounded up to pages, at least
    /// 16 KiB).
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Spawns the fiber on the current runtime. Fails when its stack
    /// cannot be mapped (the error names the limit that was hit).
    ///
    /// # Panics
    ///
    /// When called outside a fiber runtime.
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        let name = self.name.map(Rc::from);
        scheduler::expect("eddy_fiber::Builder::spawn", |s| {
            s.spawn(name, self.stack_size, f)
        })
    }
}

/// Spawns a fiber running `f` on the current runtime; it starts when the
/// calling fiber next parks or yields.
///
/// ```
/// let rt = eddy_fiber::Runtime::new()?;
/// let v = rt.block_on(|| eddy_fiber::spawn(|| 6 * 7).join().unwrap());
/// assert_eq!(v, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Panics
///
/// Outside a fiber runtime, or when the fiber's stack cannot be mapped
/// (use [`Builder::spawn`] to get that as an error).
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    scheduler::expect("eddy_fiber::spawn", |s| s.spawn(None, None, f))
        .unwrap_or_else(|e| panic!("eddy_fiber::spawn: {e}"))
}

/// Lets the other runnable fibers run, then continues.
///
/// # Panics
///
/// Outside a fiber runtime.
pub fn yield_now() {
    scheduler::expect("eddy_fiber::yield_now", |s| s.yield_now())
}

/// Parks the calling fiber for at least `duration`; other fibers run
/// meanwhile.
///
/// ```
/// use std::time::{Duration, Instant};
/// let rt = eddy_fiber::Runtime::new()?;
/// rt.block_on(|| {
///     let start = Instant::now();
///     eddy_fiber::sleep(Duration::from_millis(5));
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Panics
///
/// Outside a fiber runtime.
pub fn sleep(duration: Duration) {
    let deadline = Instant::now() + duration;
    scheduler::expect("eddy_fiber::sleep", |s| s.sleep_until(deadline))
}

/// The fiber that calls it.
///
/// # Panics
///
/// Outside a fiber (see [`try_current`]).
pub fn current() -> Fiber {
    try_current()
        .expect("eddy_fiber::current must be called from a fiber running on an eddy_fiber::Runtime")
}

/// The fiber that calls it, or `None` outside a fiber.
pub fn try_current() -> Option<Fiber> {
    scheduler::with(|s| s.in_fiber().then(|| Fiber::of(s.current().header()))).flatten()
}
