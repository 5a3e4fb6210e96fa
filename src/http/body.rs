//! The response body: empty, one buffer, or a stream of chunks produced by a reader task; and
//! the request body as handlers take it.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// A request's body: hyper's, or one made in-process (the console's requests on a user's behalf).
pub type RequestBody = http_body_util::combinators::BoxBody<Bytes, hyper::Error>;

pub fn request_body(
    body: impl http_body::Body<Data = Bytes, Error = hyper::Error> + Send + Sync + 'static,
) -> RequestBody {
    http_body_util::BodyExt::boxed(body)
}

/// A request body of these bytes.
pub fn request_bytes(data: impl Into<Bytes>) -> RequestBody {
    use http_body_util::BodyExt;
    http_body_util::Full::new(data.into()).map_err(|never| match never {}).boxed()
}

pub enum Body {
    Empty,
    Full(Option<Bytes>),
    Stream { rx: mpsc::Receiver<std::io::Result<Bytes>>, len: u64 },
}

impl Body {
    pub fn full(data: impl Into<Bytes>) -> Body {
        Body::Full(Some(data.into()))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut *self {
            Body::Empty => Poll::Ready(None),
            Body::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Body::Stream { rx, .. } => rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Empty => true,
            Body::Full(d) => d.is_none(),
            Body::Stream { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Empty => SizeHint::with_exact(0),
            Body::Full(d) => SizeHint::with_exact(d.as_ref().map_or(0, |d| d.len() as u64)),
            Body::Stream { len, .. } => SizeHint::with_exact(*len),
        }
    }
}
