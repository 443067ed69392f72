//! The deadlines a connection's reads wait under while it has no request in flight. A new
//! connection must bring a whole request head within `server.header_timeout`; a kept-alive one
//! may then sit silent for `server.idle_timeout`, and once the next request's first byte
//! arrives its head has `header_timeout` again. The two differ on purpose: a CDN keeps idle
//! connections to its origin for a minute or more, while a head that takes longer than a few
//! seconds is a slowloris. (hyper's own head timer runs from the end of the previous answer,
//! which would make the two the same.) While a request is in flight the body's own deadline
//! and rate apply instead (`edge::deadline`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::in_flight::InFlight;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request head: since accept, or since its first byte.
    Head,
    /// Between requests, nothing received yet.
    Idle,
    /// A request is in flight.
    Busy,
}

pub struct ReadDeadline<S> {
    inner: S,
    in_flight: Arc<InFlight>,
    header_timeout: Duration,
    idle_timeout: Duration,
    phase: Phase,
    /// Requests begun when last looked at.
    begun: u64,
    deadline: Pin<Box<Sleep>>,
}

impl<S> ReadDeadline<S> {
    pub fn new(
        inner: S,
        in_flight: Arc<InFlight>,
        header_timeout: Duration,
        idle_timeout: Duration,
    ) -> ReadDeadline<S> {
        ReadDeadline {
            inner,
            in_flight,
            header_timeout,
            idle_timeout,
            phase: Phase::Head,
            begun: 0,
            deadline: Box::pin(tokio::time::sleep(header_timeout)),
        }
    }

    fn enter(&mut self, phase: Phase, within: Duration) {
        self.phase = phase;
        self.deadline.as_mut().reset(Instant::now() + within);
    }

    /// Moves between phases on what the service and the socket say.
    fn observe(&mut self, received: bool) {
        let (active, begun) = self.in_flight.now();
        let answered = std::mem::replace(&mut self.begun, begun) != begun;
        if active {
            self.phase = Phase::Busy;
        } else if (answered || self.phase == Phase::Busy) && !received {
            self.enter(Phase::Idle, self.idle_timeout);
        } else if answered || self.phase != Phase::Head && received {
            self.enter(Phase::Head, self.header_timeout);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let received = buf.filled().len() > before;
        self.observe(received);
        if poll.is_ready() || self.phase == Phase::Busy {
            return poll;
        }
        ready!(self.deadline.as_mut().poll(cx));
        let what = match self.phase {
            Phase::Idle => "the connection sat idle past server.idle_timeout",
            _ => "the request head took longer than server.header_timeout",
        };
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReadDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
