//! Files and directories, on the runtime's blocking pool.
//!
//! Operating systems offer no readiness-based file I/O (a regular file is
//! always "ready" to epoll), so every function here runs the matching
//! `std::fs` call on the blocking pool ([`spawn_blocking`]) and awaits it:
//! the task waits, the runtime's threads do not.
//!
//! * Whole-file and path functions: [`read`], [`read_to_string`],
//!   [`write`](fn@write), [`copy`], [`rename`], [`remove_file`], [`remove_dir`],
//!   [`remove_dir_all`], [`create_dir`], [`create_dir_all`], [`metadata`],
//!   [`symlink_metadata`], [`canonicalize`], [`read_dir()`] (a stream of
//!   [`DirEntry`]s).
//! * [`File`] (opened with [`File::open`], [`File::create`] or
//!   [`OpenOptions`]) implements `AsyncRead`, `AsyncWrite` and `AsyncSeek`;
//!   its work goes to the pool in chunks of at most
//!   [`File::set_max_buf_size`] bytes (2 MiB by default), so a huge file
//!   never needs a huge buffer.
//!
//! Errors keep the operation and the path in their message (`open
//! /x/y: No such file or directory (os error 2)`) and the original
//! [`ErrorKind`](io::ErrorKind).
//!
//! ```
//! use eddy::runtime::Runtime;
//!
//! let dir = std::env::temp_dir().join(format!("eddy-fs-doc-{}", std::process::id()));
//! Runtime::new()?.block_on(async {
//!     eddy::fs::create_dir_all(&dir).await?;
//!     let path = dir.join("hello.txt");
//!     eddy::fs::write(&path, "hello, file").await?;
//!     assert_eq!(eddy::fs::read_to_string(&path).await?, "hello, file");
//!     let err = eddy::fs::read(dir.join("missing")).await.unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
//!     assert!(err.to_string().contains("missing"));
//!     eddy::fs::remove_dir_all(&dir).await
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod chunk;
mod file;
mod open_options;
mod read_dir;
mod sys;

use std::io;
use std::path::{Path, PathBuf};

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{DirEntry, ReadDir, read_dir};

use crate::task::spawn_blocking;

/// Wraps `e` so its message names the operation and the path; the kind is
/// kept.
pub(crate) fn path_error(op: &str, path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{op} {}: {e}", path.display()))
}

/// Runs `f` on the blocking pool; a panic or cancellation of the pool task
/// becomes an `io::Error` naming `op`.
pub(crate) async fn asyncify<F, T>(op: &'static str, f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(io::Error::other(format!("{op}: blocking task failed: {e}"))),
    }
}

/// Runs the path operation `f(path)` on the blocking pool, naming `op` and
/// the path in its error.
async fn on_path<T, F>(op: &'static str, path: &Path, f: F) -> io::Result<T>
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let path = path.to_owned();
    asyncify(op, move || f(&path).map_err(|e| path_error(op, &path, e))).await
}

/// Reads the whole file at `path` (as [`std::fs::read`]).
///
/// The vector is sized once from the file's metadata and filled by one
/// `read` on the blocking pool; for large files on Linux its memory is
/// advised to use transparent huge pages, which removes most of the page
/// faults a fresh 100 MiB buffer costs (see the crate README for figures).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("eddy-doc-read-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let path = dir.join("f");
/// # std::fs::write(&path, [1, 2, 3])?;
/// let rt = eddy::runtime::Runtime::new()?;
/// let bytes = rt.block_on(eddy::fs::read(path.clone()))?;
/// assert_eq!(bytes, [1, 2, 3]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_path("read", path.as_ref(), chunk::read_whole).await
}

/// Reads the whole file at `path` as UTF-8 (as [`std::fs::read_to_string`]).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("eddy-doc-rts-{}", std::process::id()));
/// # std::fs::write(&path, "text")?;
/// let rt = eddy::runtime::Runtime::new()?;
/// assert_eq!(rt.block_on(eddy::fs::read_to_string(path.clone()))?, "text");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    on_path("read", path.as_ref(), |p| {
        String::from_utf8(chunk::read_whole(p)?).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        })
    })
    .await
}

/// Writes `contents` as the whole file at `path`, creating or truncating it
/// (as [`std::fs::write`]).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("eddy-doc-write-{}", std::process::id()));
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(eddy::fs::write(path.clone(), b"bytes"))?;
/// assert_eq!(std::fs::read(&path)?, b"bytes");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let contents = contents.as_ref().to_vec();
    on_path("write", path.as_ref(), move |p| std::fs::write(p, contents)).await
}

/// Copies the file `from` to `to`, returning the bytes copied (as
/// [`std::fs::copy`]). The error names both paths.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("eddy-doc-copy-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("a"), "abc")?;
/// let rt = eddy::runtime::Runtime::new()?;
/// let n = rt.block_on(eddy::fs::copy(dir.join("a"), dir.join("b")))?;
/// assert_eq!(n, 3);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    two_paths("copy", from.as_ref(), to.as_ref(), |a, b| {
        std::fs::copy(a, b)
    })
    .await
}

/// Renames `from` to `to`, replacing `to` if it exists (as
/// [`std::fs::rename`]). The error names both paths.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("eddy-doc-rename-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("old"), "x")?;
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(eddy::fs::rename(dir.join("old"), dir.join("new")))?;
/// assert!(dir.join("new").exists());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    two_paths("rename", from.as_ref(), to.as_ref(), |a, b| {
        std::fs::rename(a, b)
    })
    .await
}

async fn two_paths<T, F>(op: &'static str, from: &Path, to: &Path, f: F) -> io::Result<T>
where
    F: FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let (from, to) = (from.to_owned(), to.to_owned());
    asyncify(op, move || {
        f(&from, &to).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{op} {} to {}: {e}", from.display(), to.display()),
            )
        })
    })
    .await
}

/// Removes the file at `path` (as [`std::fs::remove_file`]).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("eddy-doc-rm-{}", std::process::id()));
/// # std::fs::write(&path, "x")?;
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(eddy::fs::remove_file(path.clone()))?;
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("remove file", path.as_ref(), |p| std::fs::remove_file(p)).await
}

/// Removes the empty directory at `path` (as [`std::fs::remove_dir`]).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("eddy-doc-rmdir-{}", std::process::id()));
/// # std::fs::create_dir_all(&path)?;
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(eddy::fs::remove_dir(path.clone()))?;
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("remove directory", path.as_ref(), |p| {
        std::fs::remove_dir(p)
    })
    .await
}

/// Removes the directory at `path` and everything in it (as
/// [`std::fs::remove_dir_all`]).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("eddy-doc-rmall-{}", std::process::id()));
/// # std::fs::create_dir_all(path.join("a/b"))?;
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(eddy::fs::remove_dir_all(path.clone()))?;
/// assert!(!path.exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("remove directory tree", path.as_ref(), |p| {
        std::fs::remove_dir_all(p)
    })
    .await
}

/// Creates the directory `path`; its parent must exist (as
/// [`std::fs::create_dir`]).
///
/// ```
/// # let path = std::env::temp_dir().join(format!("eddy-doc-mkdir-{}", std::process::id()));
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(eddy::fs::create_dir(path.clone()))?;
/// assert!(path.is_dir());
/// # std::fs::remove_dir(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("create directory", path.as_ref(), |p| {
        std::fs::create_dir(p)
    })
    .await
}

/// Creates the directory `path` and any missing parents (as
/// [`std::fs::create_dir_all`]).
///
/// ```
/// # let root = std::env::temp_dir().join(format!("eddy-doc-mkdirs-{}", std::process::id()));
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(eddy::fs::create_dir_all(root.join("a/b/c")))?;
/// assert!(root.join("a/b/c").is_dir());
/// # std::fs::remove_dir_all(&root)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path("create directory", path.as_ref(), |p| {
        std::fs::create_dir_all(p)
    })
    .await
}

/// The metadata of `path`, following symlinks (as [`std::fs::metadata`]).
///
/// ```
/// let rt = eddy::runtime::Runtime::new()?;
/// let meta = rt.block_on(eddy::fs::metadata("/"))?;
/// assert!(meta.is_dir());
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    on_path("metadata", path.as_ref(), |p| std::fs::metadata(p)).await
}

/// The metadata of `path` itself, not following a symlink (as
/// [`std::fs::symlink_metadata`]).
///
/// ```
/// let rt = eddy::runtime::Runtime::new()?;
/// let meta = rt.block_on(eddy::fs::symlink_metadata("/"))?;
/// assert!(!meta.file_type().is_symlink());
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    on_path("symlink metadata", path.as_ref(), |p| {
        std::fs::symlink_metadata(p)
    })
    .await
}

/// The absolute path of `path` with every symlink, `.` and `..` resolved
/// (as [`std::fs::canonicalize`]).
///
/// ```
/// let rt = eddy::runtime::Runtime::new()?;
/// let path = rt.block_on(eddy::fs::canonicalize("/./"))?;
/// assert_eq!(path, std::path::Path::new("/"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_path("canonicalize", path.as_ref(), |p| std::fs::canonicalize(p)).await
}
