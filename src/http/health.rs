use axum::{extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Json;
use crate::http::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    status: &'static str,
    database: Check,
    store: Check,
    /// ffmpeg and ffprobe; when missing the server still serves, and media jobs wait.
    media: Check,
}

#[derive(Serialize, ToSchema)]
pub struct Check {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl<E: std::fmt::Display> From<Result<(), E>> for Check {
    fn from(r: Result<(), E>) -> Self {
        match r {
            Ok(()) => Self {
                ok: true,
                detail: None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "readiness check failed");
                Self {
                    ok: false,
                    detail: Some(first_line(&e.to_string())),
                }
            }
        }
    }
}

// Enough to tell an operator which dependency is down, without dumping internals.
fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

/// The database and the store answer; 503 with the failing part otherwise.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let settings = &state.settings;
    let (db, store, media) = tokio::join!(
        state.db.ping(),
        state.store.ping(),
        crate::media::ffmpeg_available(&settings.ffmpeg, &settings.ffprobe)
    );
    let (database, store): (Check, Check) = (db.into(), store.into());
    let media = match media {
        Some(version) => Check {
            ok: true,
            detail: Some(version),
        },
        None => Check {
            ok: false,
            detail: Some(crate::media::FFMPEG_MISSING.to_owned()),
        },
    };
    let ready = database.ok && store.ok;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if ready { "ready" } else { "unavailable" },
        database,
        store,
        media,
    };
    (status, Json(body))
}
