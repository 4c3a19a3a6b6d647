//! [`read_dir`]: the entries of a directory as an async stream, read from
//! the OS in batches on the blocking pool.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::poll_fn;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_core::Stream;

use super::{asyncify, on_path, path_error};
use crate::task::{JoinHandle, spawn_blocking};

/// Entries fetched per trip to the blocking pool.
const BATCH: usize = 32;

/// Lists the directory at `path` (as [`std::fs::read_dir`]): a stream of
/// [`DirEntry`]s, also readable with [`ReadDir::next_entry`]. `.` and `..`
/// are not listed; the order is the file system's.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("eddy-doc-ls-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a"), "")?;
/// # std::fs::write(dir.join("b"), "")?;
/// let rt = eddy::runtime::Runtime::new()?;
/// let mut names = rt.block_on(async {
///     let mut entries = eddy::fs::read_dir(&dir).await?;
///     let mut names = Vec::new();
///     while let Some(entry) = entries.next_entry().await? {
///         names.push(entry.file_name());
///     }
///     Ok::<_, std::io::Error>(names)
/// })?;
/// names.sort();
/// assert_eq!(names, ["a", "b"]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = on_path("read directory", &path, |p| std::fs::read_dir(p)).await?;
    Ok(ReadDir {
        path: Arc::from(path),
        state: State::Idle(Some(Batch {
            entries: VecDeque::new(),
            std,
            done: false,
        })),
    })
}

/// The entries of a directory (see [`read_dir`]). Implements
/// [`Stream`]`<Item = io::Result<DirEntry>>`.
///
/// Cancel safety: dropping a [`next_entry`](Self::next_entry) future loses
/// no entry: the batch being fetched lands in the stream and the next call
/// returns it.
#[derive(Debug)]
pub struct ReadDir {
    path: Arc<Path>,
    state: State,
}

#[derive(Debug)]
enum State {
    Idle(Option<Batch>),
    Pending(JoinHandle<Batch>),
}

#[derive(Debug)]
struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    std: std::fs::ReadDir,
    done: bool,
}

impl Batch {
    fn fill(mut self, dir: &Path) -> Batch {
        for _ in 0..BATCH {
            match self.std.next() {
                Some(Ok(entry)) => {
                    let file_type = entry.file_type();
                    self.entries.push_back(Ok(DirEntry {
                        std: Arc::new(entry),
                        file_type: file_type.ok(),
                    }));
                }
                Some(Err(e)) => self
                    .entries
                    .push_back(Err(path_error("read directory", dir, e))),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        self
    }
}

impl ReadDir {
    /// The next entry, or `None` at the end.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry (`Ready(Ok(None))` at the end).
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    let Some(mut current) = batch.take() else {
                        return Poll::Ready(Ok(None));
                    };
                    if let Some(entry) = current.entries.pop_front() {
                        *batch = Some(current);
                        return Poll::Ready(entry.map(Some));
                    }
                    if current.done {
                        return Poll::Ready(Ok(None));
                    }
                    let dir = self.path.clone();
                    self.state = State::Pending(spawn_blocking(move || current.fill(&dir)));
                }
                State::Pending(join) => {
                    let result = ready!(Pin::new(join).poll(cx));
                    match result {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(e) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Err(io::Error::other(format!(
                                "read directory {}: blocking task failed: {e}",
                                self.path.display()
                            ))));
                        }
                    }
                }
            }
        }
    }
}

use std::future::Future as _;

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

/// One entry of a [`ReadDir`].
///
/// ```
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let mut entries = eddy::fs::read_dir("/").await?;
///     if let Some(entry) = entries.next_entry().await? {
///         assert_eq!(entry.path().parent(), Some(std::path::Path::new("/")));
///         let _is_dir = entry.file_type().await?.is_dir();
///         let _len = entry.metadata().await?.len();
///     }
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Fetched with the batch (free on most file systems: `d_type`).
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The entry's full path (the directory's path joined with the name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name within its directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata, not following a symlink (on the blocking pool).
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify("metadata", move || {
            std.metadata()
                .map_err(|e| path_error("metadata", &std.path(), e))
        })
        .await
    }

    /// The entry's type (a file, directory or symlink), usually known
    /// without another system call.
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify("file type", move || {
            std.file_type()
                .map_err(|e| path_error("file type", &std.path(), e))
        })
        .await
    }
}
