//! [`OpenOptions`]: how to open a [`File`] (read, write, create, ...).

use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{File, asyncify, path_error};

/// Options for opening a file, as [`std::fs::OpenOptions`]; [`open`](Self::open)
/// runs on the blocking pool.
///
/// ```
/// use eddy::fs::OpenOptions;
/// use eddy::io::AsyncWriteExt;
///
/// # let path = std::env::temp_dir().join(format!("eddy-doc-oo-{}", std::process::id()));
/// let rt = eddy::runtime::Runtime::new()?;
/// rt.block_on(async {
///     let mut log = OpenOptions::new().create(true).append(true).open(&path).await?;
///     log.write_all(b"line\n").await?;
///     log.flush().await
/// })?;
/// assert_eq!(std::fs::read(&path)?, b"line\n");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    std: std::fs::OpenOptions,
}

impl OpenOptions {
    /// All options off (as [`std::fs::OpenOptions::new`]).
    pub fn new() -> OpenOptions {
        OpenOptions {
            std: std::fs::OpenOptions::new(),
        }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut Self {
        self.std.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut Self {
        self.std.write(write);
        self
    }

    /// Every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut Self {
        self.std.append(append);
        self
    }

    /// Truncate the file to 0 bytes when opening it (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut Self {
        self.std.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.std.create(create);
        self
    }

    /// Create the file, failing if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.std.create_new(create_new);
        self
    }

    /// The permission bits a created file gets (before the umask).
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.std.mode(mode);
        self
    }

    /// Extra `open(2)` flags.
    pub fn custom_flags(&mut self, flags: i32) -> &mut Self {
        self.std.custom_flags(flags);
        self
    }

    /// Opens `path` with these options. The error names the path.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let options = self.std.clone();
        asyncify("open", move || match options.open(&path) {
            Ok(std) => Ok(File::from_std_with_path(std, Some(path))),
            Err(e) => Err(path_error("open", &path, e)),
        })
        .await
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(std: std::fs::OpenOptions) -> Self {
        OpenOptions { std }
    }
}
