//! [`RequestLog`]: the `#{n} - {delay_ms}ms: {message}` line written for
//! each accepted request.
//!
//! Lines go into a buffer that the event loop flushes once per turn, just
//! before it waits in `poll`, so a burst of requests costs one `write` to
//! the log rather than one per line. A log that fails (a closed stdout, a
//! full disk) is dropped and the server keeps serving: the log is a
//! convenience, not the service.

use std::fmt;
use std::io::{BufWriter, Write};

/// Where the request log goes: a user's writer, buffered.
pub(crate) type LogWriter = Box<dyn Write + Send>;

/// Numbers and writes the request log lines.
pub(crate) struct RequestLog {
    /// The buffered writer; `None` when quiet or after a write failed.
    out: Option<BufWriter<LogWriter>>,
    /// Requests logged so far (also counted when quiet).
    count: u64,
}

impl RequestLog {
    /// A log writing to `out`, or counting silently if `out` is `None`.
    pub(crate) fn new(out: Option<LogWriter>) -> RequestLog {
        RequestLog {
            out: out.map(BufWriter::new),
            count: 0,
        }
    }

    /// Logs one accepted request. Control characters in the message (a
    /// percent-encoded newline, say) are escaped so that one request is
    /// always one line.
    pub(crate) fn record(&mut self, delay_ms: u64, message: &str) {
        self.count += 1;
        if let Some(out) = &mut self.out {
            let line = writeln!(out, "#{} - {delay_ms}ms: {}", self.count, OneLine(message));
            if line.is_err() {
                self.out = None;
            }
        }
    }

    /// Writes out the buffered lines.
    pub(crate) fn flush(&mut self) {
        if let Some(out) = &mut self.out
            && out.flush().is_err()
        {
            self.out = None;
        }
    }
}

impl fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestLog")
            .field("enabled", &self.out.is_some())
            .field("count", &self.count)
            .finish()
    }
}

/// Displays a message with its control characters escaped (`\n`, `\u{1b}`).
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn numbers_lines_from_one_and_escapes_control_characters() {
        let shared = Shared::default();
        let mut log = RequestLog::new(Some(Box::new(shared.clone())));
        log.record(1000, "hello world");
        log.record(5, "two\nlines\u{1b}");
        assert!(shared.0.lock().unwrap().is_empty(), "buffered until flush");
        log.flush();
        let text = String::from_utf8(shared.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "#1 - 1000ms: hello world\n#2 - 5ms: two\\nlines\\u{1b}\n"
        );
    }

    #[test]
    fn a_failing_writer_is_dropped() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
        }
        let mut log = RequestLog::new(Some(Box::new(Broken)));
        log.record(1, "x");
        log.flush();
        assert!(log.out.is_none());
        log.record(1, "y");
        log.flush();
        assert_eq!(log.count, 2);
    }
}
