//! The one error type every callback receives, shaped like Node's system
//! errors: a `code` (`ENOENT`), the failing `syscall` (`open`) and the
//! `path` or address involved, displayed the way Node prints `err.message`
//! (`ENOENT: no such file or directory, open 'missing.txt'`).

use std::borrow::Cow;
use std::fmt;
use std::io;

/// An error delivered to an error-first callback or returned by [`crate::run`].
///
/// ```
/// let err = eddy_node::Error::from_io(
///     std::io::Error::from_raw_os_error(libc::ENOENT),
///     "open",
///     Some("missing.txt".into()),
/// );
/// assert_eq!(err.code(), "ENOENT");
/// assert_eq!(err.to_string(), "ENOENT: no such file or directory, open 'missing.txt'");
/// ```
#[derive(Debug)]
pub struct Error {
    code: Cow<'static, str>,
    description: Cow<'static, str>,
    syscall: Option<&'static str>,
    path: Option<String>,
    errno: Option<i32>,
    kind: io::ErrorKind,
    /// Node prints network errors as `connect ECONNREFUSED 127.0.0.1:9`.
    address_style: bool,
}

impl Error {
    /// Wraps an I/O error from `syscall` on `path` (a file path or an address).
    pub fn from_io(err: io::Error, syscall: &'static str, path: Option<String>) -> Error {
        let errno = err.raw_os_error();
        let (code, description): (Cow<'static, str>, Cow<'static, str>) =
            match errno.and_then(errno_name) {
                Some((code, desc)) => (code.into(), desc.into()),
                None => (
                    kind_code(err.kind()).into(),
                    err.to_string().to_lowercase().into(),
                ),
            };
        Error {
            code,
            description,
            syscall: Some(syscall),
            path,
            errno,
            kind: err.kind(),
            address_style: false,
        }
    }

    /// Wraps a network error from `syscall` on `address`; displayed as Node
    /// does: `connect ECONNREFUSED 127.0.0.1:9`.
    pub fn from_io_addr(err: io::Error, syscall: &'static str, address: String) -> Error {
        Error {
            address_style: true,
            ..Error::from_io(err, syscall, Some(address))
        }
    }

    /// An error that did not come from the OS, with a Node-style `code`
    /// (e.g. `ERR_INVALID_ARG_VALUE`) and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Error {
        Error {
            code: code.into(),
            description: message.into().into(),
            syscall: None,
            path: None,
            errno: None,
            kind: io::ErrorKind::Other,
            address_style: false,
        }
    }

    /// The Node-style code: `ENOENT`, `ECONNREFUSED`, `ERR_UNCAUGHT_PANIC`…
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The system call that failed, when the error came from one.
    pub fn syscall(&self) -> Option<&'static str> {
        self.syscall
    }

    /// The path or address the failing operation was about.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The OS error number, when the error came from the OS.
    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// The closest [`io::ErrorKind`].
    pub fn kind(&self) -> io::ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.syscall {
            Some(syscall) if self.address_style => {
                write!(f, "{syscall} {}", self.code)?;
                if let Some(address) = &self.path {
                    write!(f, " {address}")?;
                }
                Ok(())
            }
            Some(syscall) => {
                write!(f, "{}: {}, {syscall}", self.code, self.description)?;
                if let Some(path) = &self.path {
                    write!(f, " '{path}'")?;
                }
                Ok(())
            }
            None => write!(f, "{}", self.description),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        match err.errno {
            Some(errno) => io::Error::from_raw_os_error(errno),
            None => io::Error::new(err.kind, err.to_string()),
        }
    }
}

/// The code for errors without an errno (rare: std builds some itself).
fn kind_code(kind: io::ErrorKind) -> &'static str {
    match kind {
        io::ErrorKind::NotFound => "ENOENT",
        io::ErrorKind::PermissionDenied => "EACCES",
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => "EINVAL",
        io::ErrorKind::UnexpectedEof => "EOF",
        io::ErrorKind::TimedOut => "ETIMEDOUT",
        _ => "EIO",
    }
}

/// libuv's name and message for an errno (the ones Node programs meet).
fn errno_name(errno: i32) -> Option<(&'static str, &'static str)> {
    Some(match errno {
        libc::ENOENT => ("ENOENT", "no such file or directory"),
        libc::EEXIST => ("EEXIST", "file already exists"),
        libc::EACCES => ("EACCES", "permission denied"),
        libc::EPERM => ("EPERM", "operation not permitted"),
        libc::EISDIR => ("EISDIR", "illegal operation on a directory"),
        libc::ENOTDIR => ("ENOTDIR", "not a directory"),
        libc::ENOTEMPTY => ("ENOTEMPTY", "directory not empty"),
        libc::EBADF => ("EBADF", "bad file descriptor"),
        libc::EINVAL => ("EINVAL", "invalid argument"),
        libc::EMFILE => ("EMFILE", "too many open files"),
        libc::ENOSPC => ("ENOSPC", "no space left on device"),
        libc::EXDEV => ("EXDEV", "cross-device link not permitted"),
        libc::ECONNREFUSED => ("ECONNREFUSED", "connection refused"),
        libc::ECONNRESET => ("ECONNRESET", "connection reset by peer"),
        libc::ECONNABORTED => ("ECONNABORTED", "software caused connection abort"),
        libc::EADDRINUSE => ("EADDRINUSE", "address already in use"),
        libc::EADDRNOTAVAIL => ("EADDRNOTAVAIL", "address not available"),
        libc::EPIPE => ("EPIPE", "broken pipe"),
        libc::ETIMEDOUT => ("ETIMEDOUT", "connection timed out"),
        libc::ENOTCONN => ("ENOTCONN", "socket is not connected"),
        libc::EHOSTUNREACH => ("EHOSTUNREACH", "host is unreachable"),
        libc::ENETUNREACH => ("ENETUNREACH", "network is unreachable"),
        libc::EAGAIN => ("EAGAIN", "resource temporarily unavailable"),
        libc::EIO => ("EIO", "i/o error"),
        libc::ENAMETOOLONG => ("ENAMETOOLONG", "name too long"),
        libc::ELOOP => ("ELOOP", "too many symbolic links encountered"),
        libc::EROFS => ("EROFS", "read-only file system"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_node() {
        let err = Error::from_io(
            io::Error::from_raw_os_error(libc::EEXIST),
            "mkdir",
            Some("d".into()),
        );
        assert_eq!(err.to_string(), "EEXIST: file already exists, mkdir 'd'");
        assert_eq!(err.syscall(), Some("mkdir"));
        assert_eq!(err.errno(), Some(libc::EEXIST));
    }

    #[test]
    fn unknown_errno_keeps_os_text() {
        let err = Error::from_io(io::Error::from_raw_os_error(libc::ENOEXEC), "spawn", None);
        assert_eq!(err.code(), "EIO");
        assert!(err.to_string().starts_with("EIO: exec format error"));
    }

    #[test]
    fn plain_errors_show_the_message() {
        let err = Error::new("ERR_X", "boom");
        assert_eq!(err.code(), "ERR_X");
        assert_eq!(err.to_string(), "boom");
    }
}
