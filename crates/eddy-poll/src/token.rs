//! [`Token`]: the caller's name for a registration, handed back in events.

/// Associates an event with the source it came from.
///
/// The value is chosen by the caller at registration and returned unchanged
/// in every [`Event`](crate::event::Event) for that source; eddy-poll never
/// interprets it. An index into a slab of connections is the usual choice.
///
/// ```
/// use eddy_poll::Token;
/// let listener = Token(0);
/// assert_eq!(listener.0, 0);
/// assert_eq!(usize::from(Token(7)), 7);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl From<Token> for usize {
    fn from(val: Token) -> usize {
        val.0
    }
}
