//! Packages other systems made: cmi5 courses imported as units, their files served to the
//! learner's browser from a sandboxed origin, and their AUs launched against Caravan's own LRS.

pub mod cmi5;
pub mod import;
mod store;

pub use store::{AuRow, SessionRow};

/// The type a package's file is served with, from its extension.
pub fn mime_for(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "vtt" => "text/vtt",
        "pdf" => "application/pdf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        "glb" => "model/gltf-binary",
        "gltf" => "model/gltf+json",
        _ => "application/octet-stream",
    }
}

/// The path a package's files are served under; a grant signs this prefix, so the package's
/// relative links keep working inside it.
pub fn content_prefix(asset_id: &str) -> String {
    format!("/content/{asset_id}/")
}

/// The URL of a package's file for a browser, valid for `ttl_secs`.
pub fn content_url(
    public_url: &str,
    signer: &crate::delivery::signing::Signer,
    asset_id: &str,
    path: &str,
    ttl_secs: i64,
) -> String {
    let prefix = content_prefix(asset_id);
    let grant = signer.grant(&prefix, ttl_secs);
    format!("{public_url}{prefix}{grant}/{path}")
}
