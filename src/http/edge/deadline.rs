//! The total deadline on a request body (`server.body_timeout`): a body still arriving when it
//! passes ends with [`BodyTimedOut`], however steadily it trickles.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};

use crate::http::body::{BoxError, RequestBody};

/// A body that fails once its total deadline has passed.
pub struct Deadline {
    inner: RequestBody,
    deadline: tokio::time::Instant,
    /// Made the first time the body has to wait.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// The error a body past its deadline ends with (uploads answer 408).
#[derive(Debug, thiserror::Error)]
#[error("the request body took longer than the configured limit")]
pub struct BodyTimedOut;

impl Deadline {
    pub fn new(inner: RequestBody, deadline: tokio::time::Instant) -> Deadline {
        Deadline {
            inner,
            deadline,
            timer: None,
        }
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
            return Poll::Ready(frame);
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

/// Whether a body error (however wrapped) is `BodyTimedOut`.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_timeouts_are_found_through_wrappers() {
        #[derive(Debug, thiserror::Error)]
        #[error("reading the body")]
        struct Wrapper(#[source] BodyTimedOut);
        assert!(is_body_timeout(&BodyTimedOut));
        assert!(is_body_timeout(&Wrapper(BodyTimedOut)));
        let other = std::io::Error::other("reset");
        assert!(!is_body_timeout(&other));
    }
}
