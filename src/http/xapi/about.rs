//! `GET /xapi/about`: the versions this LRS speaks (open to anyone, no version header needed).

use axum::response::IntoResponse;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::http::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(about))
}

/// The xAPI versions this LRS supports.
#[utoipa::path(get, path = "/xapi/about", tag = "xapi",
    responses((status = 200, description = "Supported versions")))]
async fn about() -> impl IntoResponse {
    axum::Json(json!({
        "version": ["2.0.0", "1.0.3"],
        "extensions": {
            "https://caravan.example/xapi/about/software": {
                "name": "Caravan",
                "version": env!("CARGO_PKG_VERSION"),
            }
        }
    }))
}
