//! [`Interest`]: which kinds of readiness a registration asks for.

use std::num::NonZeroU8;
use std::{fmt, ops};

const READABLE: u8 = 0b001;
const WRITABLE: u8 = 0b010;
const PRIORITY: u8 = 0b100;

/// The readiness a source is registered for. Never empty.
///
/// ```
/// use eddy_poll::Interest;
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interest(NonZeroU8);

impl Interest {
    /// Readable readiness (data to read, a connection to accept, a peer's close).
    pub const READABLE: Interest = Interest(NonZeroU8::new(READABLE).unwrap());
    /// Writable readiness (room in the send buffer, a finished connect).
    pub const WRITABLE: Interest = Interest(NonZeroU8::new(WRITABLE).unwrap());
    /// Priority readiness (TCP out-of-band data; `EPOLLPRI`). Linux only.
    pub const PRIORITY: Interest = Interest(NonZeroU8::new(PRIORITY).unwrap());

    /// Both sets together; usable in `const` context, unlike `|`.
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(NonZeroU8::new(self.0.get() | other.0.get()).unwrap())
    }

    /// `self` without `other`, or `None` if nothing would be left.
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        NonZeroU8::new(self.0.get() & !other.0.get()).map(Interest)
    }

    /// Whether readable readiness is included.
    pub const fn is_readable(self) -> bool {
        self.0.get() & READABLE != 0
    }

    /// Whether writable readiness is included.
    pub const fn is_writable(self) -> bool {
        self.0.get() & WRITABLE != 0
    }

    /// Whether priority readiness is included.
    pub const fn is_priority(self) -> bool {
        self.0.get() & PRIORITY != 0
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for (bit, name) in [
            (READABLE, "READABLE"),
            (WRITABLE, "WRITABLE"),
            (PRIORITY, "PRIORITY"),
        ] {
            if self.0.get() & bit != 0 {
                write!(f, "{sep}{name}")?;
                sep = " | ";
            }
        }
        Ok(())
    }
}
