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
mod packages;
pub mod pages;
mod playlists;
pub mod problem;
mod progress;
mod quizzes;
mod registration;
mod reports;
mod scorm;
mod state;
mod training;
mod tus;
mod vocab;
mod wallet;
mod web_libs;
pub mod xapi;

use std::{convert::Infallible, time::Duration};

use axum::{
    body::Body,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, Request, StatusCode},
    response::Response,
    Router,
};
use tower::{Layer, Service, ServiceExt};
use tower_http::{
    compression::CompressionLayer, set_header::SetResponseHeaderLayer, timeout::TimeoutLayer,
};
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

pub use state::AppState;

use crate::error::Error;

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
        .merge(registration::routes())
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
        .merge(training::routes())
        .split_for_parts()
}

/// The xAPI LRS: its own version negotiation and a body limit that fits batches and attachments.
fn lrs(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::new().merge(xapi::routes()).split_for_parts();
    let router = xapi::versioned(router, state).layer(DefaultBodyLimit::max(LRS_BODY_LIMIT));
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

/// Packages: an import streams its body and unpacks it, and a launched AU loads the package's
/// files: no timeout, no body limit (the import sets its own).
fn packages() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::new()
        .merge(packages::routes())
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

/// The one service every request goes through, in this order: a request id, credentials
/// marked sensitive, a trace span carrying the id, the metrics hook (counts and latency,
/// `GET /metrics`) and the headers of every response (`observe`); CORS; then the media fast
/// path (anonymous or signed GET/HEAD of `/media/{sha256}`, answered without routing or
/// extractors: they cost more than the bytes of a small file), the rewrite of xAPI
/// alternate-syntax requests, and the router. Built once; [`Edge::connection`] makes each
/// connection's copy.
#[derive(Clone)]
pub struct Edge {
    shared: std::sync::Arc<Shared>,
    observe: observe::ObserveLayer,
}

struct Shared {
    state: AppState,
    router: Router,
    cors: cors::Cors,
}

pub fn service(state: AppState) -> Edge {
    Edge {
        observe: observe::ObserveLayer::new(state.metrics.clone()),
        shared: std::sync::Arc::new(Shared {
            cors: cors::Cors::new(&state.settings.cors_origins),
            router: router(state.clone()),
            state,
        }),
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
        let shared = self.shared.clone();
        self.observe.layer(tower::service_fn(move |req| {
            let shared = shared.clone();
            async move { Ok(answer(&shared, peer, req).await) }
        }))
    }
}

/// Everything inside the observe layer: CORS, the media fast path, the xAPI rewrite, the router.
async fn answer(shared: &Shared, peer: std::net::SocketAddr, req: Request<Body>) -> Response {
    let mut req = match shared.cors.preflight(req).await {
        Ok(preflight) => return preflight,
        Err(req) => req,
    };
    let origin = shared.cors.allowed_origin(req.headers());
    let state = &shared.state;
    let mut response =
        match delivery::fast_path(state, req.method(), req.uri(), req.headers()).await {
            Some(response) => response,
            None => {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let rewritten = if xapi::alternate::applies(&req) {
                    xapi::alternate::rewrite(req, LRS_BODY_LIMIT).await
                } else {
                    Ok(req)
                };
                match rewritten {
                    Ok(req) => {
                        let Ok(response) = shared.router.clone().oneshot(req).await;
                        response
                    }
                    Err(response) => response,
                }
            }
        };
    shared.cors.finish(origin, response.headers_mut());
    response
}

fn router(state: AppState) -> Router {
    let (api, mut openapi) = api();
    let (streaming, streaming_doc) = streaming();
    let (media_bytes, media_bytes_doc) = media_bytes();
    let (packages, packages_doc) = packages();
    let (lrs, lrs_doc) = lrs(&state);
    openapi.merge(packages_doc);
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
    .merge(packages)
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
