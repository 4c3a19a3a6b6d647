//! File system calls on the thread pool (Node's `fs` callback API), each
//! with an `_async` twin returning a [`Promise`].
//!
//! Errors carry Node's codes and syscall names: reading a missing file
//! fails with `ENOENT: no such file or directory, open 'missing.txt'`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::Error;
use crate::promise::{Promise, promise};
use crate::work::queue_work;

/// File metadata (a subset of Node's `fs.Stats`).
#[derive(Clone, Debug)]
pub struct Stats {
    /// Size in bytes.
    pub size: u64,
    /// A regular file.
    pub is_file: bool,
    /// A directory.
    pub is_directory: bool,
    /// A symbolic link (never true for [`stat`], which follows links).
    pub is_symbolic_link: bool,
    /// Last modification time, if the platform reports it.
    pub mtime: Option<SystemTime>,
}

fn path_string(path: &Path) -> Option<String> {
    Some(path.display().to_string())
}

fn fail<'a>(syscall: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |e| Error::from_io(e, syscall, path_string(path))
}

macro_rules! async_twin {
    ($(#[$doc:meta])* $name:ident => $cb:ident($($arg:ident: $ty:ty),*) -> $out:ty) => {
        $(#[$doc])*
        ///
        /// # Panics
        /// If called outside a running loop.
        #[track_caller]
        pub fn $name($($arg: $ty),*) -> Promise<Result<$out, Error>> {
            let (resolver, promise) = promise();
            $cb($($arg,)* move |result| resolver.resolve(result));
            promise
        }
    };
}

/// Reads a whole file (Node's `fs.readFile`).
///
/// ```
/// eddy_node::run(|| {
///     eddy_node::fs::read_file("Cargo.toml", |result| {
///         assert!(result.unwrap().starts_with(b"[package]"));
///     });
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn read_file(path: impl Into<PathBuf>, cb: impl FnOnce(Result<Vec<u8>, Error>) + 'static) {
    let path = path.into();
    queue_work(move || fs::read(&path).map_err(fail("open", &path)), cb);
}

async_twin!(
    /// [`read_file`] as a future.
    read_file_async => read_file(path: impl Into<PathBuf>) -> Vec<u8>
);

/// Replaces a file's contents, creating it if needed (Node's `fs.writeFile`).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn write_file(
    path: impl Into<PathBuf>,
    data: impl Into<Vec<u8>>,
    cb: impl FnOnce(Result<(), Error>) + 'static,
) {
    let (path, data) = (path.into(), data.into());
    queue_work(
        move || fs::write(&path, data).map_err(fail("open", &path)),
        cb,
    );
}

async_twin!(
    /// [`write_file`] as a future.
    write_file_async => write_file(path: impl Into<PathBuf>, data: impl Into<Vec<u8>>) -> ()
);

/// Appends to a file, creating it if needed (Node's `fs.appendFile`).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn append_file(
    path: impl Into<PathBuf>,
    data: impl Into<Vec<u8>>,
    cb: impl FnOnce(Result<(), Error>) + 'static,
) {
    let (path, data) = (path.into(), data.into());
    queue_work(
        move || {
            let mut file = fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .map_err(fail("open", &path))?;
            file.write_all(&data).map_err(fail("write", &path))
        },
        cb,
    );
}

/// Metadata of a file, following symbolic links (Node's `fs.stat`).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn stat(path: impl Into<PathBuf>, cb: impl FnOnce(Result<Stats, Error>) + 'static) {
    let path = path.into();
    queue_work(
        move || {
            let meta = fs::metadata(&path).map_err(fail("stat", &path))?;
            Ok(Stats {
                size: meta.len(),
                is_file: meta.is_file(),
                is_directory: meta.is_dir(),
                is_symbolic_link: meta.file_type().is_symlink(),
                mtime: meta.modified().ok(),
            })
        },
        cb,
    );
}

async_twin!(
    /// [`stat`] as a future.
    stat_async => stat(path: impl Into<PathBuf>) -> Stats
);

/// The names in a directory, sorted (Node's `fs.readdir`; Node returns
/// them in the order of the OS, which on Linux is not sorted: sort both to
/// compare).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn readdir(path: impl Into<PathBuf>, cb: impl FnOnce(Result<Vec<String>, Error>) + 'static) {
    let path = path.into();
    queue_work(
        move || {
            let mut names = Vec::new();
            for entry in fs::read_dir(&path).map_err(fail("scandir", &path))? {
                let entry = entry.map_err(fail("scandir", &path))?;
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            names.sort();
            Ok(names)
        },
        cb,
    );
}

async_twin!(
    /// [`readdir`] as a future.
    readdir_async => readdir(path: impl Into<PathBuf>) -> Vec<String>
);

/// Removes a file (Node's `fs.unlink`).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn unlink(path: impl Into<PathBuf>, cb: impl FnOnce(Result<(), Error>) + 'static) {
    let path = path.into();
    queue_work(
        move || fs::remove_file(&path).map_err(fail("unlink", &path)),
        cb,
    );
}

/// Creates a directory (Node's `fs.mkdir`; `recursive` creates parents and
/// accepts an existing directory).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn mkdir(
    path: impl Into<PathBuf>,
    recursive: bool,
    cb: impl FnOnce(Result<(), Error>) + 'static,
) {
    let path = path.into();
    queue_work(
        move || {
            let result = if recursive {
                fs::create_dir_all(&path)
            } else {
                fs::create_dir(&path)
            };
            result.map_err(fail("mkdir", &path))
        },
        cb,
    );
}

/// Renames a file or directory (Node's `fs.rename`).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn rename(
    from: impl Into<PathBuf>,
    to: impl Into<PathBuf>,
    cb: impl FnOnce(Result<(), Error>) + 'static,
) {
    let (from, to) = (from.into(), to.into());
    queue_work(
        move || {
            fs::rename(&from, &to).map_err(|e| {
                let paths = format!("{}' -> '{}", from.display(), to.display());
                Error::from_io(e, "rename", Some(paths))
            })
        },
        cb,
    );
}
