//! The outer layer of the edge service, in one future per request: a request id (the caller's
//! `x-request-id`, or one made here), credentials marked sensitive, a trace span carrying the id,
//! the metrics hook, and the headers every response carries (the id echoed back, `nosniff`,
//! `Referrer-Policy`). One hand-written
//! layer instead of five tower-http ones: on the media fast path their futures, body wrapper and
//! extension maps cost more than answering a 4 KiB file.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc,
    },
    task::{Context, Poll},
};

use super::metrics::{InFlight, Metrics};
use axum::{
    body::Body,
    http::{header, HeaderName, HeaderValue, Request},
    response::Response,
};
use tower::{Layer, Service};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids from a per-process prefix, the thread's number and a counter of the thread's:
/// unique, free of the random-number syscall a UUID costs, and of a counter shared between
/// cores.
#[derive(Clone)]
struct CountingRequestId {
    prefix: Arc<str>,
}

thread_local!(static THREAD_COUNTER: (u64, std::cell::Cell<u64>) = {
    static THREADS: AtomicU64 = AtomicU64::new(0);
    (THREADS.fetch_add(1, Relaxed), std::cell::Cell::new(0))
});

impl CountingRequestId {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        Self {
            prefix: prefix.into(),
        }
    }

    fn next(&self) -> HeaderValue {
        use std::io::Write as _;
        let (thread, n) = THREAD_COUNTER.with(|(thread, next)| {
            let n = next.get();
            next.set(n + 1);
            (*thread, n)
        });
        // Written on the stack: the header value is the id's only allocation.
        let mut buf = [0u8; 48];
        let mut w = std::io::Cursor::new(&mut buf[..]);
        let _ = write!(w, "{}-{thread}-{n}", self.prefix);
        let len = w.position() as usize;
        HeaderValue::from_bytes(&buf[..len]).unwrap_or_else(|_| HeaderValue::from_static("-"))
    }
}

#[derive(Clone)]
pub struct ObserveLayer {
    metrics: Arc<Metrics>,
    ids: CountingRequestId,
}

impl ObserveLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            ids: CountingRequestId::new(),
        }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: self.metrics.clone(),
            ids: self.ids.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
    ids: CountingRequestId,
}

impl<S> Service<Request<Body>> for Observe<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ObserveFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let headers = req.headers_mut();
        let id = match headers.get(&REQUEST_ID) {
            Some(id) => id.clone(),
            None => {
                let id = self.ids.next();
                headers.insert(REQUEST_ID, id.clone());
                id
            }
        };
        // Credentials stay out of any log that prints headers.
        for name in [header::AUTHORIZATION, header::COOKIE] {
            if let Some(value) = headers.get_mut(name) {
                value.set_sensitive(true);
            }
        }
        let span = tracing::info_span!(
            "request",
            method = %req.method(),
            uri = %req.uri(),
            request_id = id.to_str().unwrap_or("-"),
        );
        let in_flight = self.metrics.start();
        let answer = span.in_scope(|| self.inner.call(req));
        ObserveFuture {
            answer,
            span,
            state: Some((in_flight, id)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner answer, polled inside the request's span; its response counted and given the
    /// headers every response carries. A named future rather than a boxed one: no allocation
    /// per request.
    pub struct ObserveFuture<F> {
        #[pin]
        answer: F,
        span: tracing::Span,
        state: Option<(InFlight, HeaderValue)>,
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for ObserveFuture<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let Ok(mut response) = std::task::ready!(this.answer.poll(cx));
        let (in_flight, id) = this.state.take().expect("polled after completion");
        let status = response.status();
        let latency = in_flight.finish(status);
        if status.is_server_error() {
            tracing::error!(%status, ?latency, "response failed");
        } else {
            tracing::debug!(%status, ?latency, "finished processing request");
        }
        let headers = response.headers_mut();
        headers.entry(REQUEST_ID).or_insert(id);
        // Uploaded bytes are never sniffed into HTML; links leak no more than the origin.
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        Poll::Ready(Ok(response))
    }
}
