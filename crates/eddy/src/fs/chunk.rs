//! The chunk buffer of a [`File`](super::File): one bounded `Vec` that
//! travels to the blocking pool with each operation and back.

use std::io::{self, Read};

/// The chunk buffer: `data[pos..]` is read-ahead not yet returned, or
/// bytes waiting to be written.
#[derive(Default)]
pub(super) struct Buf {
    pub(super) data: Vec<u8>,
    pub(super) pos: usize,
}

impl Buf {
    pub(super) fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    pub(super) fn unread(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(super) fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.unread());
        dst[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    pub(super) fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    /// Drops read-ahead; returns how far the OS position is past the
    /// logical one (negative offset to seek back by).
    pub(super) fn discard_read(&mut self) -> i64 {
        let back = -(self.unread() as i64);
        self.clear();
        back
    }

    pub(super) fn read_from(&mut self, file: &std::fs::File, max: usize) -> io::Result<usize> {
        self.data.resize(max, 0);
        self.pos = 0;
        let result = loop {
            match (&*file).read(&mut self.data) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.data.truncate(*result.as_ref().unwrap_or(&0));
        result
    }
}

/// Appends up to `max` bytes from `file` to `data` (reading into spare
/// capacity: nothing is zeroed). `Ok(0)` at the end of the file.
pub(super) fn read_append(
    file: &std::fs::File,
    data: &mut Vec<u8>,
    max: usize,
) -> io::Result<usize> {
    data.reserve(max);
    let mut limited = file.take(max as u64);
    loop {
        match limited.read_to_end(data) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
