//! CORS for the edge service. Preflights (OPTIONS carrying `Access-Control-Request-Method`) are
//! answered by tower-http's CORS layer. Every other request gets the headers a CORS response
//! carries from values computed once here: tower-http's layer would build a header map for each
//! request and merge it into the response, which costs more than the bytes of a small media
//! file. Plain OPTIONS requests (tus clients discovering the server, no Origin) go to the routes.

use std::{convert::Infallible, future::Ready, time::Duration};

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request},
    response::Response,
};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::{observe::REQUEST_ID, tus, xapi};

type Unreachable = tower::util::ServiceFn<fn(Request<Body>) -> Ready<Result<Response, Infallible>>>;

pub struct Cors {
    preflight: tower_http::cors::Cors<Unreachable>,
    origins: Origins,
    expose: HeaderValue,
}

enum Origins {
    Any,
    List(Vec<HeaderValue>),
}

/// Every response varies by these, preflight or not, so caches keep one answer per origin.
const VARY: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);

impl Cors {
    /// `origins` as configured: `*` allows any.
    pub fn new(origins: &[String]) -> Self {
        let tus_headers = tus::TUS_HEADERS.map(HeaderName::from_static);
        let exposed: Vec<HeaderName> = [
            header::CONTENT_RANGE,
            header::CONTENT_LENGTH,
            header::ACCEPT_RANGES,
            header::ETAG,
            header::LOCATION,
            header::LAST_MODIFIED,
            xapi::VERSION_HEADER,
            xapi::CONSISTENT_THROUGH,
            REQUEST_ID,
        ]
        .into_iter()
        .chain(tus_headers.clone())
        .collect();
        let layer = CorsLayer::new()
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers(
                [
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::RANGE,
                    header::IF_RANGE,
                    header::IF_NONE_MATCH,
                    header::IF_MATCH,
                    xapi::VERSION_HEADER,
                ]
                .into_iter()
                .chain(tus_headers)
                .collect::<Vec<_>>(),
            )
            .max_age(Duration::from_secs(3600))
            // Added to every response by `finish` instead.
            .vary([]);
        let (layer, origins) = if origins.iter().any(|o| o == "*") {
            (layer.allow_origin(tower_http::cors::Any), Origins::Any)
        } else {
            let list: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
            (
                layer.allow_origin(AllowOrigin::list(list.clone())),
                Origins::List(list),
            )
        };
        let expose = exposed
            .iter()
            .map(HeaderName::as_str)
            .collect::<Vec<_>>()
            .join(",");
        Cors {
            preflight: layer.layer(tower::service_fn(unreachable as _)),
            origins,
            expose: HeaderValue::from_str(&expose).expect("header names join into a header value"),
        }
    }

    /// A preflight's answer, or `req` back when it is not a preflight.
    pub async fn preflight(&self, req: Request<Body>) -> Result<Response, Request<Body>> {
        let is_preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if !is_preflight {
            return Err(req);
        }
        let Ok(mut response) = self.preflight.clone().oneshot(req).await;
        response.headers_mut().append(header::VARY, VARY);
        Ok(response)
    }

    /// The origin a non-preflight response from `request_headers` may be read by.
    pub fn allowed_origin(&self, request_headers: &HeaderMap) -> Option<HeaderValue> {
        match &self.origins {
            Origins::Any => Some(HeaderValue::from_static("*")),
            Origins::List(list) => request_headers
                .get(header::ORIGIN)
                .filter(|origin| list.contains(origin))
                .cloned(),
        }
    }

    /// Adds what a non-preflight CORS response carries.
    pub fn finish(&self, allowed_origin: Option<HeaderValue>, response: &mut HeaderMap) {
        if let Some(origin) = allowed_origin {
            response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        response.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, self.expose.clone());
        response.append(header::VARY, VARY);
    }
}

/// tower-http's layer answers preflights itself; nothing else reaches it.
fn unreachable(_: Request<Body>) -> Ready<Result<Response, Infallible>> {
    std::future::ready(Ok(Response::new(Body::empty())))
}
