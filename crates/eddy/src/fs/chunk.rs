//! The chunk buffer of a [`File`](super::File): one bounded `Vec` that
//! travels to the blocking pool with each operation and back.

use std::io::{self, Read, Seek};

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
/// capacity: nothing is zeroed). `Ok(0)` at the end of the file. Room is
/// only added when `data` has none left, so a vector sized for the whole file
/// up front (see [`reserve_rest_of_file`]) is never reallocated.
pub(super) fn read_append(
    file: &std::fs::File,
    data: &mut Vec<u8>,
    max: usize,
) -> io::Result<usize> {
    let spare = data.capacity() - data.len();
    let max = if spare == 0 {
        data.reserve(max);
        max
    } else {
        max.min(spare)
    };
    let mut limited = file.take(max as u64);
    loop {
        match limited.read_to_end(data) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Makes room in `data` for the rest of `file` (its size minus the current
/// position) plus one byte, so the read that finds the end needs no more
/// room; asks for huge pages when that is large. A file whose size cannot be
/// learned (a pipe, a device) gets no reservation: chunks grow the vector.
///
/// # Errors
///
/// `OutOfMemory` if the memory cannot be reserved (as `std::fs::read`).
pub(super) fn reserve_rest_of_file(file: &std::fs::File, data: &mut Vec<u8>) -> io::Result<()> {
    let Ok(metadata) = file.metadata() else {
        return Ok(());
    };
    if !metadata.is_file() {
        return Ok(());
    }
    let Ok(position) = (&*file).stream_position() else {
        return Ok(());
    };
    let rest = usize::try_from(metadata.len().saturating_sub(position)).unwrap_or(usize::MAX);
    data.try_reserve_exact(rest.saturating_add(1))
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("cannot allocate {rest} bytes for the rest of the file"),
            )
        })?;
    super::sys::advise_huge_pages(data, rest);
    Ok(())
}

/// Reads the whole file at `path` into a vector sized from its metadata (as
/// `std::fs::read`, plus the huge-page hint for large files).
pub(super) fn read_whole(path: &std::path::Path) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut data = Vec::new();
    reserve_rest_of_file(&file, &mut data)?;
    (&file).read_to_end(&mut data)?;
    Ok(data)
}
