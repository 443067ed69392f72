//! The deadlines on a request body: a body still arriving at `server.body_timeout` ends with
//! [`BodyTimedOut`], however steadily it trickles, and one slower than `server.min_body_rate`
//! ends with [`BodyTooSlow`] long before that.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::config::ServerConfig;
use crate::http::body::{BoxError, RequestBody};

/// A body that fails once its total deadline has passed, or when a window passes that
/// brought too few bytes.
pub struct Deadline {
    inner: RequestBody,
    deadline: Instant,
    /// Made the first time the body has to wait.
    timer: Option<Pin<Box<Sleep>>>,
    pace: Option<Pace>,
}

/// The minimum rate (`server.min_body_rate`): every `body_rate_window`, the first ending
/// `body_rate_grace` after the head, must have brought `min_body_rate × window` bytes. A
/// trickle is cut within two windows of going slow, not at the total deadline.
struct Pace {
    window: Duration,
    /// Bytes a window must bring.
    floor: u64,
    received: u64,
    check: Pin<Box<Sleep>>,
}

/// The error a body past its deadline ends with (uploads answer 408).
#[derive(Debug, thiserror::Error)]
#[error("the request body took longer than the configured limit")]
pub struct BodyTimedOut;

/// The error a body slower than `server.min_body_rate` ends with (uploads answer 408).
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived slower than the configured minimum rate")]
pub struct BodyTooSlow;

impl Deadline {
    /// `inner` under `[server]`'s body deadline and minimum rate, counted from `started`
    /// (when the head arrived).
    pub fn new(inner: RequestBody, started: Instant, limits: &ServerConfig) -> Deadline {
        let window = limits.body_rate_window;
        let floor = (limits.min_body_rate as f64 * window.as_secs_f64()) as u64;
        let pace = (limits.min_body_rate > 0).then(|| Pace {
            window,
            floor,
            received: 0,
            check: Box::pin(tokio::time::sleep_until(
                started + limits.body_rate_grace + window,
            )),
        });
        Deadline {
            inner,
            deadline: started + limits.body_timeout,
            timer: None,
            pace,
        }
    }
}

impl Pace {
    /// Judges every window that has ended; an error once one fell short.
    fn judge(&mut self, cx: &mut Context<'_>) -> Result<(), BodyTooSlow> {
        while self.check.as_mut().poll(cx).is_ready() {
            if self.received < self.floor {
                return Err(BodyTooSlow);
            }
            self.received = 0;
            let next = self.check.deadline() + self.window;
            self.check.as_mut().reset(next);
        }
        Ok(())
    }
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if let (Some(pace), Some(Ok(frame))) = (&mut this.pace, &frame)
                && let Some(data) = frame.data_ref()
            {
                pace.received += data.len() as u64;
            }
            return Poll::Ready(frame);
        }
        if let Some(pace) = &mut this.pace
            && let Err(slow) = pace.judge(cx)
        {
            return Poll::Ready(Some(Err(Box::new(slow))));
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Which of the body's deadlines (however wrapped) an error is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLate {
    TimedOut,
    TooSlow,
}

pub fn body_late(error: &(dyn std::error::Error + 'static)) -> Option<BodyLate> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<BodyTimedOut>() {
            return Some(BodyLate::TimedOut);
        }
        if e.is::<BodyTooSlow>() {
            return Some(BodyLate::TooSlow);
        }
        cause = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_timeouts_are_found_through_wrappers() {
        #[derive(Debug, thiserror::Error)]
        #[error("reading the body")]
        struct Wrapper(#[source] BodyTimedOut);
        assert_eq!(body_late(&BodyTimedOut), Some(BodyLate::TimedOut));
        assert_eq!(body_late(&Wrapper(BodyTimedOut)), Some(BodyLate::TimedOut));
        assert_eq!(body_late(&BodyTooSlow), Some(BodyLate::TooSlow));
        let other = std::io::Error::other("reset");
        assert_eq!(body_late(&other), None);
    }
}
