//! Optional third-party browser libraries, fetched from the npm registry by `scripts/web-libs`
//! into `--web-libs` (never committed). Today that is three.js, for the 360° video and 3D model
//! viewers. A page asks [`available`] before it loads a viewer, so without the libraries the
//! unit pages still work: a 360° video plays flat and a model is offered as a download.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::extract::Path;
use crate::{
    config::Settings,
    error::{Error, Result},
    http::AppState,
};

/// The import map a viewer page puts in its head: `three` and `three/addons/…` resolve to the
/// files served below.
pub const IMPORT_MAP: &str = r#"{"imports":{"three":"/vendor/three/build/three.module.js","three/addons/":"/vendor/three/examples/jsm/"}}"#;

pub fn routes() -> Router<AppState> {
    Router::new().route("/vendor/three/{*path}", get(three))
}

/// Whether three.js is installed where the settings say.
pub fn available(settings: &Settings) -> bool {
    settings
        .web_libs
        .join("three/build/three.module.js")
        .is_file()
}

/// Only the package's ES modules are served: `build/*.js` and `examples/jsm/**.js`, by plain
/// relative paths (no `..`, no hidden files).
fn servable(path: &str) -> bool {
    let plain = path.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    let inside = match path.strip_prefix("build/") {
        Some(file) => !file.contains('/'),
        None => path.starts_with("examples/jsm/"),
    };
    plain && inside && path.ends_with(".js")
}

async fn three(
    State(state): State<AppState>,
    Path(path): Path<String>,
    request: Request,
) -> Result<Response> {
    if !servable(&path) {
        return Err(Error::NotFound);
    }
    let file = state.settings.web_libs.join("three").join(&path);
    if !file.is_file() {
        return Err(Error::NotFound);
    }
    let served = ServeFile::new(file)
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {});
    let mut response = served.into_response();
    // The version is pinned by web/package-lock.json; a day's caching spans an upgrade safely.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::servable;

    #[test]
    fn only_the_packages_modules_are_served() {
        for ok in [
            "build/three.module.js",
            "build/three.core.js",
            "examples/jsm/loaders/GLTFLoader.js",
            "examples/jsm/utils/BufferGeometryUtils.js",
        ] {
            assert!(servable(ok), "{ok}");
        }
        for bad in [
            "package.json",
            "build/../package.json",
            "build/sub/x.js",
            "examples/jsm/../../x.js",
            "examples/jsm/.hidden.js",
            "src/Three.js",
            "examples/jsm//x.js",
            "build/three.module.js.map",
            "examples/jsm/a b.js",
        ] {
            assert!(!servable(bad), "{bad}");
        }
    }
}
