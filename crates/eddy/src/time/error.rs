//! Time errors.

use std::{fmt, io};

/// A [`timeout`](super::timeout()) ran out before its future completed.
///
/// ```
/// use eddy::time::{timeout, Duration};
/// let rt = eddy::runtime::Runtime::new()?;
/// let err = rt
///     .block_on(timeout(Duration::from_millis(1), std::future::pending::<()>()))
///     .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(_: Elapsed) -> io::Error {
        io::ErrorKind::TimedOut.into()
    }
}
