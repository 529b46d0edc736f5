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
mod offline;
mod orgs;
pub mod pages;
mod playlists;
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
    response::{IntoResponse, Response},
    Router,
};
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::{
    compression::CompressionLayer,
    cors::{AllowOrigin, Any, CorsLayer},
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveRequestHeadersLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

pub use state::AppState;

use crate::error::AppError;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(OpenApi)]
#[openapi(
    info(title = "Caravan", description = "Learning-content delivery server for micro-courses"),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::Problem))
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

/// Request ids from a per-process prefix and a counter: unique, and free of the random-number
/// syscall a UUID costs on every request.
#[derive(Clone)]
struct CountingRequestId {
    prefix: std::sync::Arc<str>,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl CountingRequestId {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        Self {
            prefix: prefix.into(),
            next: Default::default(),
        }
    }
}

impl tower_http::request_id::MakeRequestId for CountingRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<tower_http::request_id::RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(Into::into)
    }
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

/// The one service every request goes through, in this order: the metrics hook (counts and
/// latency, `GET /metrics`), sensitive headers hidden from logs, a request id, a trace span, the id echoed back, `nosniff` and `Referrer-Policy` on
/// every response, CORS; then the media fast path (anonymous or signed GET/HEAD of
/// `/media/{sha256}`, answered without routing or extractors: they cost more than the bytes of
/// a small file), the rewrite of xAPI alternate-syntax requests, and the router.
pub fn service(
    state: AppState,
) -> impl Service<Request<Body>, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + 'static {
    let cors = cors::PreflightCorsLayer(cors(&state.settings.cors_origins));
    let metrics = state.metrics.clone();
    let router = router(state.clone());
    let inner = tower::service_fn(move |req: Request<Body>| {
        let (state, router) = (state.clone(), router.clone());
        async move {
            if let Some(response) =
                delivery::fast_path(&state, req.method(), req.uri(), req.headers()).await
            {
                return Ok(response);
            }
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
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let request_id = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id)
    });
    ServiceBuilder::new()
        .map_response(IntoResponse::into_response)
        .map_future(move |answer| {
            let metrics = metrics.clone();
            async move {
                let in_flight = metrics.start();
                let response: Result<Response<_>, Infallible> = answer.await;
                if let Ok(r) = &response {
                    in_flight.finish(r.status());
                }
                response
            }
        })
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .layer(SetRequestIdLayer::new(REQUEST_ID, CountingRequestId::new()))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Uploaded bytes are never sniffed into HTML; links leak no more than the origin.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(cors)
        .service(inner)
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
    .fallback(|| async { AppError::NotFound })
    .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
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
        .max_age(Duration::from_secs(3600));
    if origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        let list: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
        layer.allow_origin(AllowOrigin::list(list))
    }
}
