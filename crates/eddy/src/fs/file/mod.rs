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
//!
//! # Layout
//!
//! This module holds the type, opening and the whole-file operations
//! (`metadata`, `sync_*`, `set_len`); `stream` the byte stream
//! (`read_to_end`, `AsyncRead`, `AsyncWrite`, `AsyncSeek`); `state` the
//! idle/busy state machine both use.

mod state;
mod stream;

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::chunk::Buf;
use super::{OpenOptions, asyncify, path_error};
use crate::task::JoinHandle;

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
}

fn error(op: &str, path: Option<&Path>, e: io::Error) -> io::Error {
    match path {
        Some(path) => path_error(op, path, e),
        None => e,
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
