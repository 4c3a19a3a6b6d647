//! [`File`]: an open file whose reads, writes and seeks run on the blocking
//! pool, one bounded chunk at a time.
//!
//! # How it works
//!
//! A `File` is either *idle*, holding a buffer, or *busy*: the buffer has
//! gone to the blocking pool with one operation (read a chunk, write a
//! chunk, seek) and comes back with its result.
//!
//! * A read fills the buffer with at most `min(wanted, max_buf_size)` bytes
//!   on the pool and copies them out; bytes the caller did not take stay in
//!   the buffer for the next read.
//! * A write copies at most `max_buf_size` bytes into the buffer, sends it
//!   to the pool and reports them written at once (as tokio does). A
//!   failure surfaces on the next operation, `flush`, `close` or `sync_*`;
//!   `flush` waits for the write in flight.
//! * A seek (and a write after reads) first accounts for read-ahead bytes
//!   still in the buffer, so the position is always the caller's logical
//!   one.
//!
//! # Cancellation
//!
//! An operation in flight is never lost: if a read future is dropped while
//! its chunk is on the pool, the chunk lands in the buffer when the pool is
//! done and the next read returns it, so the byte stream a reader sees is
//! never corrupted. A write in flight completes on its own and a later
//! operation waits for it.

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::future::{Future, poll_fn};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use super::chunk::{Buf, read_append, reserve_rest_of_file};
use super::{OpenOptions, asyncify, path_error};
use crate::task::{JoinHandle, spawn_blocking};

/// The default largest chunk one pool trip reads or writes.
pub const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// An open file; reads, writes and seeks run on the blocking pool in chunks
/// of at most [`File::set_max_buf_size`] bytes (see [`crate::fs`]).
///
/// Implements [`AsyncRead`](futures_io::AsyncRead),
/// [`AsyncWrite`](futures_io::AsyncWrite) and
/// [`AsyncSeek`](futures_io::AsyncSeek).
///
/// ```
/// use eddy::fs::File;
/// use eddy::io::{AsyncReadExt, AsyncWriteExt};
/// use futures_lite::AsyncSeekExt;
/// use std::io::SeekFrom;
///
/// # let path = std::env::temp_dir().join(format!("eddy-doc-file-{}", std::process::id()));
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let mut file = File::create(&path).await?;
///     file.write_all(b"hello world").await?;
///     file.sync_all().await?;
///
///     let mut file = File::open(&path).await?;
///     file.seek(SeekFrom::Start(6)).await?;
///     let mut rest = String::new();
///     file.read_to_string(&mut rest).await?;
///     assert_eq!(rest, "world");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    /// For error messages; `None` for files made with `from_std`.
    path: Option<Arc<Path>>,
    state: State,
    /// A write failure not yet reported.
    write_error: Option<io::Error>,
    max_buf_size: usize,
}

enum State {
    Idle(Option<Buf>),
    Busy(JoinHandle<(Operation, Buf)>),
}

/// What came back from the pool.
enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

impl File {
    /// Opens `path` for reading. The error names the path.
    ///
    /// ```
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let err = rt.block_on(eddy::fs::File::open("/no/such/file")).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// assert!(err.to_string().starts_with("open /no/such/file: "));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` for writing, creating it or truncating it.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("eddy-doc-create-{}", std::process::id()));
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let file = rt.block_on(eddy::fs::File::create(&path))?;
    /// assert_eq!(rt.block_on(file.metadata())?.len(), 0);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Options for opening a file ([`OpenOptions::new`]).
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open `std::fs::File` (at its current position).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("eddy-doc-fromstd-{}", std::process::id()));
    /// # std::fs::write(&path, "abc")?;
    /// let std_file = std::fs::File::open(&path)?;
    /// let file = eddy::fs::File::from_std(std_file);
    /// let rt = eddy::runtime::Runtime::new()?;
    /// let std_again = rt.block_on(file.into_std());
    /// assert_eq!(std_again.metadata()?.len(), 3);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_std(std: std::fs::File) -> File {
        File::from_std_with_path(std, None)
    }

    pub(crate) fn from_std_with_path(std: std::fs::File, path: Option<PathBuf>) -> File {
        File {
            std: Arc::new(std),
            path: path.map(Arc::from),
            state: State::Idle(Some(Buf::default())),
            write_error: None,
            max_buf_size: DEFAULT_MAX_BUF_SIZE,
        }
    }

    /// The largest chunk one trip to the blocking pool reads or writes
    /// (default 2 MiB, at least 1 byte). Larger chunks mean fewer trips and
    /// more memory per file.
    ///
    /// ```
    /// use eddy::io::AsyncWriteExt;
    /// # let path = std::env::temp_dir().join(format!("eddy-doc-maxbuf-{}", std::process::id()));
    /// let rt = eddy::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut file = eddy::fs::File::create(&path).await?;
    ///     file.set_max_buf_size(4096); // 10 000 bytes go over in 3 trips
    ///     file.write_all(&[1u8; 10_000]).await?;
    ///     file.sync_all().await?;
    ///     assert_eq!(file.metadata().await?.len(), 10_000);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_max_buf_size(&mut self, bytes: usize) {
        self.max_buf_size = bytes.max(1);
    }

    /// Waits for the operation in flight, then gives back the
    /// `std::fs::File` (at the logical position: read-ahead is undone).
    pub async fn into_std(mut self) -> std::fs::File {
        let _ = self.settle().await;
        let mut std = self.std;
        loop {
            // A dropped `metadata`/`sync_all` future's pool call may still
            // hold a reference for a moment.
            match Arc::try_unwrap(std) {
                Ok(file) => return file,
                Err(shared) => match shared.try_clone() {
                    Ok(file) => return file,
                    Err(_) => {
                        std = shared;
                        crate::task::yield_now().await;
                    }
                },
            }
        }
    }

    /// Gives back the `std::fs::File` if no operation is in flight.
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        if matches!(self.state, State::Busy(_)) {
            return Err(self);
        }
        match Arc::try_unwrap(self.std) {
            Ok(std) => Ok(std),
            Err(std) => {
                self.std = std;
                Err(self)
            }
        }
    }

    /// The file's metadata (the operation in flight, if any, is not waited
    /// for).
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let (std, path) = (self.std.clone(), self.path.clone());
        asyncify("metadata", move || {
            std.metadata()
                .map_err(|e| error("metadata", path.as_deref(), e))
        })
        .await
    }

    /// A second handle to the same open file (sharing its position).
    pub async fn try_clone(&self) -> io::Result<File> {
        let (std, path) = (self.std.clone(), self.path.clone());
        let clone = asyncify("clone", move || {
            std.try_clone()
                .map_err(|e| error("clone", path.as_deref(), e))
        })
        .await?;
        let mut file = File::from_std(clone);
        file.path = self.path.clone();
        Ok(file)
    }

    /// Changes the permissions of the file.
    pub async fn set_permissions(&self, permissions: Permissions) -> io::Result<()> {
        let (std, path) = (self.std.clone(), self.path.clone());
        asyncify("set permissions", move || {
            std.set_permissions(permissions)
                .map_err(|e| error("set permissions", path.as_deref(), e))
        })
        .await
    }

    /// Waits for the writes in flight, then flushes data and metadata to
    /// the device (`fsync`). Reports a failure of an earlier write.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.settle().await?;
        self.run_sync("sync", |std| std.sync_all()).await
    }

    /// As [`sync_all`](Self::sync_all) without metadata that is not needed
    /// to read the data back (`fdatasync`).
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.settle().await?;
        self.run_sync("sync data", |std| std.sync_data()).await
    }

    /// Truncates or extends the file to `size` bytes, after the writes in
    /// flight. The position does not move.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("eddy-doc-setlen-{}", std::process::id()));
    /// let rt = eddy::runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut file = eddy::fs::File::create(&path).await?;
    ///     file.set_len(100).await?;
    ///     assert_eq!(file.metadata().await?.len(), 100);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.settle().await?;
        self.run_sync("set length", move |std| std.set_len(size))
            .await
    }

    async fn run_sync(
        &self,
        op: &'static str,
        f: impl FnOnce(&std::fs::File) -> io::Result<()> + Send + 'static,
    ) -> io::Result<()> {
        let (std, path) = (self.std.clone(), self.path.clone());
        asyncify(op, move || {
            f(&std).map_err(|e| error(op, path.as_deref(), e))
        })
        .await
    }

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

    /// Waits until no operation is in flight; reports a pending write
    /// error.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let State::Busy(_) = self.state {
            ready!(self.poll_complete(cx));
        }
        Poll::Ready(self.take_write_error())
    }

    /// Takes the buffer of an idle file (leaving `Idle(None)` until it is
    /// put back or replaced).
    fn take_idle_buf(&mut self) -> Buf {
        match &mut self.state {
            State::Idle(buf) => buf.take().unwrap_or_default(),
            State::Busy(_) => unreachable!("called only when idle"),
        }
    }

    /// Waits for the operation in flight, undoes read-ahead (so the OS
    /// position is the logical one) and reports a pending write error.
    async fn settle(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_settle(cx)).await
    }

    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Busy(_) => {
                    ready!(self.poll_complete(cx));
                }
                State::Idle(buf) => {
                    let buf = buf.as_mut().expect("an idle file holds its buffer");
                    if !buf.is_empty() {
                        let back = buf.discard_read();
                        let std = self.std.clone();
                        let mut buf = std::mem::take(buf);
                        self.state = State::Busy(spawn_blocking(move || {
                            let result = (&*std).seek(SeekFrom::Current(back));
                            buf.clear();
                            (Operation::Seek(result), buf)
                        }));
                        continue;
                    }
                    return Poll::Ready(match self.write_error.take() {
                        Some(e) => Err(e),
                        None => Ok(()),
                    });
                }
            }
        }
    }

    /// Waits for the operation in flight and puts the buffer back; returns
    /// what it did. A write failure is kept in `write_error`.
    fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<Option<Operation>> {
        let State::Busy(join) = &mut self.state else {
            return Poll::Ready(None);
        };
        let (operation, buf) = match ready!(Pin::new(join).poll(cx)) {
            Ok(done) => done,
            Err(e) => (
                Operation::Write(Err(io::Error::other(format!(
                    "file operation on the blocking pool failed: {e}"
                )))),
                Buf::default(),
            ),
        };
        self.state = State::Idle(Some(buf));
        if let Operation::Write(Err(e)) = operation {
            self.write_error = Some(self.name_error("write", e));
            return Poll::Ready(Some(Operation::Write(Ok(()))));
        }
        Poll::Ready(Some(operation))
    }

    fn name_error(&self, op: &str, e: io::Error) -> io::Error {
        error(op, self.path.as_deref(), e)
    }

    fn take_write_error(&mut self) -> io::Result<()> {
        match self.write_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn error(op: &str, path: Option<&Path>, e: io::Error) -> io::Error {
    match path {
        Some(path) => path_error(op, path, e),
        None => e,
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

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .field("path", &self.path)
            .field("busy", &matches!(self.state, State::Busy(_)))
            .field("max_buf_size", &self.max_buf_size)
            .finish()
    }
}
