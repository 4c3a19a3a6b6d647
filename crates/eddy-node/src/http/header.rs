//! Header names, values and methods checked before they go on the wire: a
//! name is visible ASCII without `:` (the client asks for a token), a value
//! has no control character but tab (CR or LF in either would split the
//! message: header injection), a method is a token. The server's
//! `set_header` runs the name and value checks on every call, so they go
//! eight bytes at a time where they can, with the byte tables as the
//! definition (tests compare the two).

/// Bytes allowed in a header name: visible ASCII except `:` (a lookup
/// table: one load per byte on the hot path).
static NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b'!';
    while b < 0x7f {
        table[b as usize] = b != b':';
        b += 1;
    }
    table
};

/// Bytes allowed in a header value: tab, visible ASCII, space and
/// obs-text; no CR, LF, NUL or other control characters.
static VALUE_BYTE: [bool; 256] = {
    let mut table = [true; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b == b'\t' as usize;
        b += 1;
    }
    table[0x7f] = false;
    table
};

/// True if `name` is a header name that cannot split a response (no
/// control characters, separators `:` or spaces).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && all_bytes(name.as_bytes(), word_is_name, &NAME_BYTE)
}

/// True if `value` may go into a header line as is (no CR, LF or NUL).
pub(crate) fn valid_value(value: &str) -> bool {
    all_bytes(value.as_bytes(), word_is_plain_value, &VALUE_BYTE)
}

/// Checks `bytes` against `table`, eight at a time where `word_ok` (a
/// quick test that never accepts a word holding a refused byte) passes,
/// byte by byte otherwise: header lines are checked on every `set_header`,
/// and a byte-by-byte pass costs ~7 instructions a byte. A remainder is
/// checked as the last eight bytes (overlapping the word before), so only
/// inputs under eight bytes go byte by byte.
#[inline(always)]
fn all_bytes(bytes: &[u8], word_ok: fn(u64) -> bool, table: &[bool; 256]) -> bool {
    let by_byte = |part: &[u8]| part.iter().fold(true, |ok, &b| ok & table[usize::from(b)]);
    let word_passes = |part: &[u8]| {
        let w = u64::from_le_bytes(part.try_into().expect("8 bytes"));
        word_ok(w) || by_byte(part)
    };
    if bytes.len() < 8 {
        return by_byte(bytes);
    }
    let mut words = bytes.chunks_exact(8);
    if !words.all(word_passes) {
        return false;
    }
    words.remainder().is_empty() || word_passes(&bytes[bytes.len() - 8..])
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGH_BITS: u64 = u64::from_le_bytes([0x80; 8]);

/// Nonzero iff some byte of `w` is below `n` (exact for `n <= 0x80`:
/// without a byte below `n` no lane borrows, and a lane at or above
/// `0x80 + n` has its high bit cleared by `!w`).
#[inline(always)]
const fn has_byte_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * n as u64) & !w & HIGH_BITS
}

/// Nonzero iff some byte of `w` equals `b`.
#[inline(always)]
const fn has_byte(w: u64, b: u8) -> u64 {
    has_byte_below(w ^ (ONES * b as u64), 1)
}

/// Eight name bytes, all visible ASCII other than `:` (what `NAME_BYTE`
/// allows).
fn word_is_name(w: u64) -> bool {
    (has_byte_below(w, 0x21) | (w & HIGH_BITS) | has_byte(w, 0x7f) | has_byte(w, b':')) == 0
}

/// Eight value bytes with no control character at all (tabs, which
/// `VALUE_BYTE` allows, take the byte-by-byte path).
fn word_is_plain_value(w: u64) -> bool {
    (has_byte_below(w, 0x20) | has_byte(w, 0x7f)) == 0
}

/// Bytes of an HTTP token (RFC 9110 `tchar`): letters, digits and
/// ``!#$%&'*+-.^_`|~``. Methods and, on the client, header names must be
/// tokens.
static TOKEN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0usize;
    while b < 128 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

/// True if `s` is a non-empty HTTP token (a method, a header name).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| TOKEN_BYTE[usize::from(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_tchars_only() {
        for ok in ["GET", "M-SEARCH", "X-Custom_1", "!#$%&'*+-.^_`|~"] {
            assert!(is_token(ok), "{ok}");
        }
        for bad in [
            "",
            "GE T",
            "X:Y",
            "a\r\nb",
            "(x)",
            "a/b",
            "caf\u{e9}",
            "a\"b",
            "a,b",
        ] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn unsafe_header_names_and_values_are_refused() {
        assert!(valid_name("X-Test") && valid_value("a b\tc"));
        assert!(!valid_name("") && !valid_name("X: y") && !valid_name("X Y"));
        assert!(!valid_value("a\r\nInjected: 1") && !valid_value("a\0"));
        assert!(!valid_value("\x7f") && valid_value("caf\u{e9}"));
    }

    #[test]
    fn word_checks_agree_with_the_tables_on_every_byte_in_every_lane() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                let mut name = *b"abcdefgh";
                name[lane] = b;
                let w = u64::from_le_bytes(name);
                let by_table = name.iter().all(|&x| NAME_BYTE[usize::from(x)]);
                assert_eq!(word_is_name(w), by_table, "name byte {b:#x} in lane {lane}");
                let clean = name.iter().all(|&x| x >= 0x20 && x != 0x7f);
                assert_eq!(
                    word_is_plain_value(w),
                    clean,
                    "value byte {b:#x} in lane {lane}"
                );
            }
        }
        // Whole checks, across word boundaries and remainders.
        let long = "X-A-Rather-Long-Header-Name-Of-40-Bytes!";
        assert!(valid_name(long));
        for at in 0..long.len() {
            let mut bad = long.as_bytes().to_vec();
            bad[at] = b':';
            assert!(
                !valid_name(std::str::from_utf8(&bad).unwrap()),
                "':' at {at}"
            );
            bad[at] = b'\n';
            assert!(
                !valid_value(std::str::from_utf8(&bad).unwrap()),
                "LF at {at}"
            );
            bad[at] = b'\t';
            assert!(
                valid_value(std::str::from_utf8(&bad).unwrap()),
                "tab at {at}"
            );
        }
    }

    proptest::proptest! {
        /// The word-at-a-time checks accept exactly what the tables accept,
        /// for any bytes (biased towards the ones near the edges).
        #[test]
        fn word_checks_match_the_tables_on_any_bytes(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(vec![0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, b':', 0x7e, 0x7f, 0x80, 0xff]),
                    proptest::sample::select(b"abcXYZ-_09".to_vec()),
                ],
                0..40,
            )
        ) {
            let by_table = |table: &[bool; 256]| bytes.iter().all(|&b| table[usize::from(b)]);
            proptest::prop_assert_eq!(
                all_bytes(&bytes, word_is_name, &NAME_BYTE),
                by_table(&NAME_BYTE)
            );
            proptest::prop_assert_eq!(
                all_bytes(&bytes, word_is_plain_value, &VALUE_BYTE),
                by_table(&VALUE_BYTE)
            );
        }
    }
}
