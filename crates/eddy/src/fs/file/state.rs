//! The idle/busy state machine of [`File`]: waiting for the operation in
//! flight, putting its buffer back, undoing read-ahead, and keeping a
//! failed write for the next operation to report.

use std::future::{Future, poll_fn};
use std::io::{self, Seek, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{File, Operation, State, error};
use crate::fs::chunk::Buf;
use crate::task::spawn_blocking;

impl File {
    /// Waits until no operation is in flight; reports a pending write
    /// error.
    pub(super) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let State::Busy(_) = self.state {
            ready!(self.poll_complete(cx));
        }
        Poll::Ready(self.take_write_error())
    }

    /// Takes the buffer of an idle file (leaving `Idle(None)` until it is
    /// put back or replaced).
    pub(super) fn take_idle_buf(&mut self) -> Buf {
        match &mut self.state {
            State::Idle(buf) => buf.take().unwrap_or_default(),
            State::Busy(_) => unreachable!("called only when idle"),
        }
    }

    /// Waits for the operation in flight, undoes read-ahead (so the OS
    /// position is the logical one) and reports a pending write error.
    pub(super) async fn settle(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_settle(cx)).await
    }

    pub(super) fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
    pub(super) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<Option<Operation>> {
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

    pub(super) fn name_error(&self, op: &str, e: io::Error) -> io::Error {
        error(op, self.path.as_deref(), e)
    }

    pub(super) fn take_write_error(&mut self) -> io::Result<()> {
        match self.write_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
