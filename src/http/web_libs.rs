//! Optional third-party browser libraries, fetched from the npm registry by `scripts/web-libs`
//! into `--web-libs` (never committed): three.js for the 360° video and 3D model viewers, and
//! hls.js for HLS in browsers without native HLS. A page asks [`available`] before it loads
//! one, so without the libraries the unit pages still work: a 360° video plays flat, a model is
//! offered as a download, and a browser without native HLS plays the progressive rung.

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

/// A library the pages may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    Three,
    /// hls.js, its light build (no subtitles or alternate audio in the library: the page's own
    /// `<track>` elements carry the captions).
    Hls,
    /// scorm-again's SCORM 1.2 runtime, put into a SCORM 1.2 SCO's launch page.
    Scorm12,
    /// scorm-again's SCORM 2004 runtime.
    Scorm2004,
}

impl Lib {
    /// The package's folder under `--web-libs` and its URL under `/vendor/`.
    fn package(self) -> &'static str {
        match self {
            Lib::Three => "three",
            Lib::Hls => "hls.js",
            Lib::Scorm12 | Lib::Scorm2004 => "scorm-again",
        }
    }

    /// The module a page loads.
    fn entry(self) -> &'static str {
        match self {
            Lib::Three => "build/three.module.js",
            Lib::Hls => "dist/hls.light.min.mjs",
            Lib::Scorm12 => "dist/scorm12.min.js",
            Lib::Scorm2004 => "dist/scorm2004.min.js",
        }
    }

    /// Where a page loads it from.
    pub fn url(self) -> String {
        format!("/vendor/{}/{}", self.package(), self.entry())
    }

    /// Only the package's ES modules are served, by plain relative paths (no `..`, no hidden
    /// files): three's `build/*.js` and `examples/jsm/**.js`, hls.js's `dist/*.mjs`.
    fn servable(self, path: &str) -> bool {
        let plain = path.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
        let flat_in = |dir: &str| {
            path.strip_prefix(dir)
                .is_some_and(|file| !file.contains('/'))
        };
        let inside = match self {
            Lib::Three => flat_in("build/") || path.starts_with("examples/jsm/"),
            Lib::Hls => flat_in("dist/") && path.ends_with(".mjs"),
            // The two runtimes (one route serves both).
            Lib::Scorm12 | Lib::Scorm2004 => {
                path == Lib::Scorm12.entry() || path == Lib::Scorm2004.entry()
            }
        };
        plain && inside && (path.ends_with(".js") || path.ends_with(".mjs"))
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/vendor/three/{*path}",
            get(|state, path, request| serve(Lib::Three, state, path, request)),
        )
        .route(
            "/vendor/hls.js/{*path}",
            get(|state, path, request| serve(Lib::Hls, state, path, request)),
        )
        .route(
            "/vendor/scorm-again/{*path}",
            get(|state, path, request| serve(Lib::Scorm12, state, path, request)),
        )
}

/// Whether the library is installed where the settings say.
pub fn available(settings: &Settings, lib: Lib) -> bool {
    settings
        .web_libs
        .join(lib.package())
        .join(lib.entry())
        .is_file()
}

async fn serve(
    lib: Lib,
    State(state): State<AppState>,
    Path(path): Path<String>,
    request: Request,
) -> Result<Response> {
    if !lib.servable(&path) {
        return Err(Error::NotFound);
    }
    let file = state.settings.web_libs.join(lib.package()).join(&path);
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
    use super::Lib;

    fn servable(path: &str) -> bool {
        Lib::Three.servable(path)
    }

    #[test]
    fn only_hls_js_modules_are_served() {
        assert!(Lib::Hls.servable("dist/hls.light.min.mjs"));
        assert!(Lib::Hls.servable("dist/hls.mjs"));
        for bad in [
            "dist/hls.light.min.mjs.map",
            "package.json",
            "dist/../package.json",
            "src/hls.ts",
            "dist/hls.worker.js",
        ] {
            assert!(!Lib::Hls.servable(bad), "{bad}");
        }
        assert!(!Lib::Three.servable("dist/hls.mjs"));
    }

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
