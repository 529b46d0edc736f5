//! CORS that leaves plain OPTIONS requests alone.
//!
//! tower-http's CORS layer answers every OPTIONS request as a preflight, but tus clients send
//! OPTIONS to discover the server's capabilities, without any Origin. Only requests that carry
//! `Access-Control-Request-Method` are preflights; the rest go to the routes.

use std::task::{Context, Poll};

use axum::http::{header, Method, Request};
use tower::{Layer, Service};
use tower_http::cors::{Cors, CorsLayer};

#[derive(Clone)]
pub struct PreflightCorsLayer(pub CorsLayer);

impl<S: Clone> Layer<S> for PreflightCorsLayer {
    type Service = PreflightCors<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PreflightCors {
            cors: self.0.layer(inner.clone()),
            plain: inner,
        }
    }
}

#[derive(Clone)]
pub struct PreflightCors<S> {
    cors: Cors<S>,
    plain: S,
}

impl<S, B> Service<Request<B>> for PreflightCors<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    Cors<S>: Service<Request<B>, Response = S::Response, Error = S::Error>,
    <Cors<S> as Service<Request<B>>>::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::Either<S::Future, <Cors<S> as Service<Request<B>>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.cors.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.plain.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if req.method() == Method::OPTIONS && !preflight {
            futures::future::Either::Left(self.plain.call(req))
        } else {
            futures::future::Either::Right(self.cors.call(req))
        }
    }
}
