//! Timers: [`sleep()`], [`timeout()`], [`interval()`] and the [`Instant`] they
//! use.
//!
//! Every timer lives in its runtime's hierarchical timing wheel (`wheel`:
//! 1 ms resolution, O(1) insert and cancel), which the time driver
//! (`driver`) fires after each reactor turn; an idle runtime sleeps in
//! `epoll_wait` exactly until the next deadline. Deadlines are rounded *up*
//! to the next millisecond, so a timer never fires early. Deadlines years
//! away and deadlines already in the past both work. Dropping a timer
//! cancels it.
//!
//! ```
//! use eddy::time::{self, Duration, Instant};
//!
//! let rt = eddy::runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let start = Instant::now();
//!     time::sleep(Duration::from_millis(5)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(5));
//!     let slow = time::timeout(Duration::from_millis(1), std::future::pending::<()>()).await;
//!     assert!(slow.is_err());
//! });
//! # Ok::<(), std::io::Error>(())
//! ```

pub(crate) mod driver;
pub mod error;
mod instant;
mod interval;
mod sleep;
mod timeout;
pub(crate) mod wheel;

pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use std::time::Duration;
pub use timeout::{Timeout, timeout, timeout_at};
