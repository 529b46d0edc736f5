//! The HTTP edge: routes, middleware and the OpenAPI document generated from the handlers.

mod account;
pub(super) mod assets;
mod auth;
mod browser;
mod consortia;
mod cors;
mod courses;
mod credentials;
pub mod delivery;
pub mod extract;
mod health;
mod lrs_clients;
mod members;
mod metrics;
mod observe;
mod offline;
mod orgs;
pub mod pages;
mod playlists;
pub mod problem;
mod progress;
mod quizzes;
mod reports;
mod state;
mod tus;
mod vocab;
mod wallet;
mod web_libs;
pub mod xapi;

use std::{convert::Infallible, time::Duration};

use axum::{
    body::Body,
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method, Request, StatusCode},
    response::Response,
    Router,
};
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::{
    compression::CompressionLayer,
    cors::{AllowOrigin, Any, CorsLayer},
    sensitive_headers::SetSensitiveRequestHeadersLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
};
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

pub use state::AppState;

use crate::error::Error;

use observe::REQUEST_ID;

#[derive(OpenApi)]
#[openapi(
    info(title = "Caravan", description = "Learning-content delivery server for micro-courses"),
    modifiers(&SecuritySchemes),
    components(schemas(crate::http::problem::Problem))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(extract::SESSION_COOKIE))),
        );
    }
}

/// A header value from text we built; text that cannot be a header becomes empty rather than
/// failing the response.
pub(crate) fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Routes answered within the request timeout, with their OpenAPI description.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(assets::routes())
        .merge(playlists::routes())
        .merge(offline::routes())
        .merge(auth::routes())
        .merge(orgs::routes())
        .merge(members::routes())
        .merge(consortia::routes())
        .merge(vocab::routes())
        .merge(courses::routes())
        .merge(lrs_clients::routes())
        .merge(reports::routes())
        .merge(credentials::routes())
        .merge(account::routes())
        .merge(wallet::routes())
        .merge(quizzes::routes())
        .merge(progress::routes())
        .split_for_parts()
}

/// The xAPI LRS: its own version negotiation and a body limit that fits batches and attachments.
fn lrs() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::new().merge(xapi::routes()).split_for_parts();
    let router = xapi::versioned(router).layer(DefaultBodyLimit::max(LRS_BODY_LIMIT));
    (router, doc)
}

/// Largest statements request: a batch of 1,000 statements or a few attachments.
pub const LRS_BODY_LIMIT: usize = 32 << 20;

/// Media bytes: the hot path, with only the layers it needs (no timeout, nothing to compress).
fn media_bytes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::new()
        .merge(delivery::routes())
        .split_for_parts()
}

/// Uploads stream for as long as the link needs: no timeout, no body limit.
fn streaming() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::new().merge(tus::routes()).split_for_parts();
    let router = router.layer(SetResponseHeaderLayer::overriding(
        HeaderName::from_static("tus-resumable"),
        HeaderValue::from_static(tus::TUS_VERSION),
    ));
    (router, doc)
}

/// The one service every request goes through, in this order: a request id, a trace span
/// carrying it, the metrics hook (counts and latency, `GET /metrics`) and the headers of every
/// response (`observe`); sensitive headers hidden from logs; CORS; then the media fast path
/// (anonymous or signed GET/HEAD of `/media/{sha256}`, answered without routing or extractors:
/// they cost more than the bytes of a small file), the rewrite of xAPI alternate-syntax
/// requests, and the router. Built once; [`Edge::connection`] makes each connection's copy.
#[derive(Clone)]
pub struct Edge {
    state: AppState,
    router: Router,
    observe: observe::ObserveLayer,
    cors: cors::PreflightCorsLayer,
}

pub fn service(state: AppState) -> Edge {
    Edge {
        cors: cors::PreflightCorsLayer(cors(&state.settings.cors_origins)),
        observe: observe::ObserveLayer::new(state.metrics.clone()),
        router: router(state.clone()),
        state,
    }
}

impl Edge {
    /// The service for one connection from `peer` (handlers that need the address, like the
    /// sign-in throttle, read it as `ConnectInfo`).
    pub fn connection(
        &self,
        peer: std::net::SocketAddr,
    ) -> impl Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static>
           + Clone
           + Send
           + 'static {
        let (state, router) = (self.state.clone(), self.router.clone());
        let inner = tower::service_fn(move |mut req: Request<Body>| {
            let (state, router) = (state.clone(), router.clone());
            async move {
                if let Some(response) =
                    delivery::fast_path(&state, req.method(), req.uri(), req.headers()).await
                {
                    return Ok(response);
                }
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let req = if xapi::alternate::applies(&req) {
                    match xapi::alternate::rewrite(req, LRS_BODY_LIMIT).await {
                        Ok(req) => req,
                        Err(response) => return Ok(response),
                    }
                } else {
                    req
                };
                router.oneshot(req).await
            }
        });
        ServiceBuilder::new()
            .layer(self.observe.clone())
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
            ]))
            // What tower-http's CORS would compute and join for every response, as one constant.
            .layer(SetResponseHeaderLayer::appending(
                header::VARY,
                HeaderValue::from_static(
                    "origin, access-control-request-method, access-control-request-headers",
                ),
            ))
            .layer(self.cors.clone())
            .service(inner)
    }
}

fn router(state: AppState) -> Router {
    let (api, mut openapi) = api();
    let (streaming, streaming_doc) = streaming();
    let (media_bytes, media_bytes_doc) = media_bytes();
    let (lrs, lrs_doc) = lrs();
    openapi.merge(lrs_doc);
    openapi.merge(streaming_doc);
    openapi.merge(media_bytes_doc);
    openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let openapi = std::sync::Arc::new(openapi);
    let settings = state.settings.clone();

    let timeout = TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        settings.request_timeout.max(Duration::from_secs(1)),
    );

    api.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let doc = openapi.clone();
            async move { axum::Json(doc) }
        }),
    )
    .merge(pages::routes())
    .merge(web_libs::routes())
    .merge(lrs)
    .layer(timeout)
    .layer(CompressionLayer::new().compress_when(compressible()))
    .merge(streaming)
    .merge(media_bytes)
    .fallback(|| async { Error::NotFound })
    .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
    .layer(DefaultBodyLimit::max(settings.max_json_bytes))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        browser::guard,
    ))
    .with_state(state)
}

/// Text compresses; media is already compressed and must keep exact lengths for ranges.
fn compressible() -> impl tower_http::compression::Predicate {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    DefaultPredicate::new()
        .and(NotForContentType::const_new("video/"))
        .and(NotForContentType::const_new("audio/"))
        .and(NotForContentType::const_new("model/gltf-binary"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/octet-stream"))
}

fn cors(origins: &[String]) -> CorsLayer {
    let tus_headers = tus::TUS_HEADERS.map(HeaderName::from_static);
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
            .chain(tus_headers.clone())
            .collect::<Vec<_>>(),
        )
        .expose_headers(
            [
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
            .chain(tus_headers)
            .collect::<Vec<_>>(),
        )
        .max_age(Duration::from_secs(3600))
        // Sent by the edge as a constant instead (see `service`).
        .vary([]);
    if origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        let list: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
        layer.allow_origin(AllowOrigin::list(list))
    }
}
