//! A client that stops reading its answer would hold its connection (and, for passthrough, an
//! open file) for as long as it likes: hyper waits on the socket with no deadline of its own.
//! [`SendDeadline`] wraps the socket and fails a write that has made no progress for
//! `server.send_timeout`, which ends the connection. It is a stall deadline, not a total one:
//! a slow but moving download of a large file is never cut.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

pub struct SendDeadline<S> {
    inner: S,
    stall: Duration,
    /// Armed while a write is waiting for the client; reset by any progress.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> SendDeadline<S> {
    pub fn new(inner: S, stall: Duration) -> SendDeadline<S> {
        SendDeadline {
            inner,
            stall,
            timer: None,
        }
    }

    /// Passes on a write's (or flush's) result, which is progress and disarms the deadline;
    /// a write that could not proceed starts the deadline, or fails once it has passed.
    fn deadline<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(result) => {
                self.timer = None;
                Poll::Ready(result)
            }
            Poll::Pending => self.stalled(cx).map(Err),
        }
    }

    /// Called when a write could not proceed: starts the deadline, or fails once it passed.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let stall = self.stall;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + stall)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client read nothing of its answer within server.send_timeout",
        ))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SendDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SendDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.deadline(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.deadline(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.deadline(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    const STALL: Duration = Duration::from_millis(300);

    // On tokio's paused clock: time moves only when every task waits, so a loaded machine
    // cannot make the reader's pauses look like stalls.
    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_never_takes_fails_after_the_stall_deadline() {
        let (near, _far) = tokio::io::duplex(16);
        let mut guarded = SendDeadline::new(near, STALL);
        guarded.write_all(&[0; 16]).await.unwrap();
        let started = Instant::now();
        let err = guarded.write_all(&[0; 16]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= STALL);
    }

    /// 20 reads, each after a third of the stall deadline: 2 s in all, far past the deadline,
    /// which must therefore count from the last progress, not from the start.
    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_reading_is_never_cut() {
        use tokio::io::AsyncReadExt;
        let (near, mut far) = tokio::io::duplex(16);
        let mut guarded = SendDeadline::new(near, STALL);
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 8];
            let mut total = 0;
            while total < 160 {
                tokio::time::sleep(STALL / 3).await;
                total += far.read(&mut buf).await.unwrap();
            }
            total
        });
        guarded.write_all(&[1; 160]).await.unwrap();
        assert_eq!(reader.await.unwrap(), 160);
    }
}
