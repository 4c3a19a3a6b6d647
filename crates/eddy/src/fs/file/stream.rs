//! The byte-stream side of [`File`]: `read_to_end` and the
//! `futures_io` read, write and seek traits, each one bounded chunk per
//! trip to the blocking pool.

use std::future::poll_fn;
use std::io::{self, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{File, Operation, State};
use crate::fs::chunk::{Buf, read_append, reserve_rest_of_file};
use crate::task::spawn_blocking;

impl File {
    /// Reads to the end of the file, appending to `buf`; returns the bytes
    /// appended. Faster than the generic `AsyncReadExt::read_to_end`: the
    /// first trip to the pool sizes the vector for the rest of the file
    /// (huge pages for a large one, on Linux), then each trip appends up to
    /// the max buffer size straight into it (no zeroing, no reallocation,
    /// and no copy at all when `buf` starts empty).
    ///
    /// Cancel safety: if the future is dropped, `buf` keeps what it had
    /// before the call and the bytes read so far stay in the file's buffer,
    /// returned by the next read: nothing is lost.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("eddy-doc-rte-{}", std::process::id()));
    /// # std::fs::write(&path, vec![7u8; 5000])?;
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let bytes = rt.block_on(async {
    ///     let mut file = eddy::fs::File::open(&path).await?;
    ///     file.set_max_buf_size(1024);
    ///     let mut bytes = Vec::new();
    ///     file.read_to_end(&mut bytes).await?;
    ///     Ok::<_, std::io::Error>(bytes)
    /// })?;
    /// assert_eq!(bytes, vec![7u8; 5000]);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        poll_fn(|cx| self.poll_idle(cx)).await?;
        let mut chunk = self.take_idle_buf();
        // Read-ahead stays first in line; new bytes are appended after it.
        let zero_copy = buf.is_empty() && chunk.is_empty();
        if zero_copy {
            chunk.data = std::mem::take(buf);
        } else {
            chunk.data.drain(..chunk.pos);
        }
        chunk.pos = 0;
        let mut first_trip = true;
        loop {
            let std = self.std.clone();
            let max = self.max_buf_size;
            let reserve = std::mem::take(&mut first_trip);
            self.state = State::Busy(spawn_blocking(move || {
                // The first trip makes room for the whole rest once: no
                // reallocation on the way, and huge pages for a large file.
                let result = if reserve {
                    reserve_rest_of_file(&std, &mut chunk.data)
                        .and_then(|()| read_append(&std, &mut chunk.data, max))
                } else {
                    read_append(&std, &mut chunk.data, max)
                };
                (Operation::Read(result), chunk)
            }));
            let done = poll_fn(|cx| self.poll_complete(cx)).await;
            match done {
                Some(Operation::Read(Ok(0))) => break,
                Some(Operation::Read(Ok(_))) => chunk = self.take_idle_buf(),
                Some(Operation::Read(Err(e))) => return Err(self.name_error("read", e)),
                _ => {
                    return Err(self.write_error.take().unwrap_or_else(|| {
                        io::Error::other("read to end: the pool lost the read buffer")
                    }));
                }
            }
        }
        let chunk = self.take_idle_buf();
        let n = chunk.data.len();
        if buf.is_empty() {
            *buf = chunk.data;
        } else {
            buf.extend_from_slice(&chunk.data);
        }
        self.state = State::Idle(Some(Buf::default()));
        Ok(n)
    }
}

impl futures_io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        loop {
            match &mut me.state {
                State::Idle(buf) => {
                    if let Some(e) = me.write_error.take() {
                        return Poll::Ready(Err(e));
                    }
                    let buf_ref = buf.as_mut().expect("an idle file holds its buffer");
                    if !buf_ref.is_empty() {
                        return Poll::Ready(Ok(buf_ref.copy_to(dst)));
                    }
                    if dst.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let mut buf = buf.take().expect("checked above");
                    let max = dst.len().min(me.max_buf_size);
                    let std = me.std.clone();
                    me.state = State::Busy(spawn_blocking(move || {
                        let result = buf.read_from(&std, max);
                        (Operation::Read(result), buf)
                    }));
                }
                State::Busy(_) => match ready!(me.poll_complete(cx)) {
                    Some(Operation::Read(Err(e))) => {
                        return Poll::Ready(Err(me.name_error("read", e)));
                    }
                    Some(Operation::Read(Ok(0))) => return Poll::Ready(Ok(0)),
                    // Data, or another operation's end: the idle arm
                    // copies out or starts the read.
                    _ => {}
                },
            }
        }
    }
}

impl futures_io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        loop {
            match &mut me.state {
                State::Idle(buf) => {
                    if let Some(e) = me.write_error.take() {
                        return Poll::Ready(Err(e));
                    }
                    let mut buf = buf.take().expect("an idle file holds its buffer");
                    let seek_back = if buf.is_empty() {
                        0
                    } else {
                        buf.discard_read()
                    };
                    if src.is_empty() && seek_back == 0 {
                        me.state = State::Idle(Some(buf));
                        return Poll::Ready(Ok(0));
                    }
                    let n = src.len().min(me.max_buf_size);
                    buf.data.clear();
                    buf.data.extend_from_slice(&src[..n]);
                    buf.pos = 0;
                    let std = me.std.clone();
                    me.state = State::Busy(spawn_blocking(move || {
                        let result = (|| {
                            if seek_back != 0 {
                                (&*std).seek(SeekFrom::Current(seek_back))?;
                            }
                            (&*std).write_all(&buf.data)
                        })();
                        buf.clear();
                        (Operation::Write(result), buf)
                    }));
                    // Handed to the pool: reported written (a failure shows
                    // on the next operation).
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => {
                    ready!(me.poll_complete(cx));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        while let State::Busy(_) = me.state {
            ready!(me.poll_complete(cx));
        }
        Poll::Ready(me.take_write_error())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl futures_io::AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        loop {
            match &mut me.state {
                State::Idle(buf) => {
                    if let Some(e) = me.write_error.take() {
                        return Poll::Ready(Err(e));
                    }
                    let mut buf = buf.take().expect("an idle file holds its buffer");
                    let pos = match pos {
                        SeekFrom::Current(offset) => SeekFrom::Current(offset + buf.discard_read()),
                        other => {
                            buf.clear();
                            other
                        }
                    };
                    let std = me.std.clone();
                    me.state = State::Busy(spawn_blocking(move || {
                        (Operation::Seek((&*std).seek(pos)), buf)
                    }));
                }
                State::Busy(_) => {
                    if let Some(Operation::Seek(result)) = ready!(me.poll_complete(cx)) {
                        return Poll::Ready(result.map_err(|e| me.name_error("seek", e)));
                    }
                }
            }
        }
    }
}
