//! eddy-node micro workloads, the same programs as the Node.js scripts in
//! [`crate::servers::node`]: 1M timers, a chain of `set_immediate`s.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use eddy_node::timers::{set_immediate, set_timeout};

use super::{ns_per, timer_figures_with_last, unknown};
use crate::sys::self_rss;

type Figures = Vec<(&'static str, f64)>;

/// When registering started and ended, and RSS before and after.
type TimerMarks = (Instant, Instant, Option<u64>, Option<u64>);

/// Runs `bench` with `n` operations.
pub fn run(bench: &str, n: u64) -> io::Result<Figures> {
    let result: Rc<RefCell<Option<Figures>>> = Rc::new(RefCell::new(None));
    let out = result.clone();
    match bench {
        "timers" => eddy_node::run(move || {
            // One shared state per run, one reference per timer: the JS
            // script shares one callback the same way.
            let state = Rc::new(TimerRun {
                fired: Cell::new(0),
                marks: Cell::new(None),
                out,
            });
            let rss0 = self_rss();
            let start = Instant::now();
            for i in 0..n {
                let state = state.clone();
                // Whole milliseconds, as Node's setTimeout.
                set_timeout(i * 1000 / n, move || state.fire(n));
            }
            let registered = Instant::now();
            let rss1 = self_rss();
            state.marks.set(Some((start, registered, rss0, rss1)));
        }),
        "immediates" => eddy_node::run(move || {
            let start = Instant::now();
            chain(Rc::new(Cell::new(0)), n, start, out);
        }),
        _ => return Err(unknown("workload for eddy-node", bench)),
    }
    .map_err(|e| io::Error::other(format!("eddy-node loop: {e}")))?;
    let figures = result.borrow_mut().take();
    figures.ok_or_else(|| io::Error::other("eddy-node: the loop ended before the workload"))
}

/// The timers workload's shared state.
struct TimerRun {
    fired: Cell<u64>,
    marks: Cell<Option<TimerMarks>>,
    out: Rc<RefCell<Option<Figures>>>,
}

impl TimerRun {
    /// One timer fired; the last one records the figures.
    fn fire(&self, n: u64) {
        self.fired.set(self.fired.get() + 1);
        if self.fired.get() == n
            && let Some((start, registered, rss0, rss1)) = self.marks.get()
        {
            // A delay counts from its set_timeout call (as in Node), so the
            // last deadline is the last delay after registering ended, not
            // after `start` (the harness adds `last` to `start`).
            let last = Duration::from_millis((n - 1) * 1000 / n) + (registered - start);
            let figures =
                timer_figures_with_last(n, start, registered, (rss0, rss1), Instant::now(), last);
            *self.out.borrow_mut() = Some(figures);
        }
    }
}

/// One link of the immediate chain: schedules the next until `n` ran.
fn chain(k: Rc<Cell<u64>>, n: u64, start: Instant, out: Rc<RefCell<Option<Figures>>>) {
    set_immediate(move || {
        k.set(k.get() + 1);
        if k.get() < n {
            chain(k, n, start, out);
        } else {
            *out.borrow_mut() = Some(vec![("ns_per_callback", ns_per(start.elapsed(), n))]);
        }
    });
}
