//! Whether a connection has a request in flight, which decides the deadlines its reads wait
//! under (`read_deadline`). A request counts from the moment hyper hands it over until its
//! answer's body has been sent or dropped.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::http::body::Body;

/// One connection's requests: how many have begun, and how many are being answered.
#[derive(Debug, Default)]
pub struct InFlight {
    begun: AtomicU64,
    active: AtomicUsize,
}

impl InFlight {
    /// Counts a request until the returned guard is dropped.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.active.fetch_add(1, Ordering::AcqRel);
        self.begun.fetch_add(1, Ordering::AcqRel);
        RequestGuard(Arc::clone(self))
    }

    /// Whether a request is being answered, and how many have begun so far (a request can
    /// begin and end between two looks).
    pub fn now(&self) -> (bool, u64) {
        let active = self.active.load(Ordering::Acquire) > 0;
        (active, self.begun.load(Ordering::Acquire))
    }
}

pub struct RequestGuard(Arc<InFlight>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body that keeps its request counted until hyper is done with it.
pub struct CountedBody {
    body: Body,
    _request: RequestGuard,
}

impl CountedBody {
    pub fn new(body: Body, request: RequestGuard) -> CountedBody {
        CountedBody {
            body,
            _request: request,
        }
    }
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
