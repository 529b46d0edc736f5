//! Packages other systems made: cmi5 courses and SCORM 1.2 and 2004 packages imported as
//! units, their files served to the learner's browser from a sandboxed origin, cmi5 AUs
//! launched against Caravan's own LRS, and SCORM items played with a runtime whose data Caravan
//! keeps per learner and attempt.

pub mod caravan;
pub mod cmi5;
pub mod export;
pub mod import;
pub mod scorm;
mod store;

pub use cmi5::{Launch, LaunchRequest};
pub use store::{AuRow, SessionRow};

use crate::{
    accounts::User,
    context::Context,
    delivery::signing::Signer,
    error::{Error, Result},
};

/// What a path segment of a package file's URL must escape.
pub(crate) const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Launches a package unit as the learner: a SCORM item, or a cmi5 AU.
pub async fn launch(
    cx: &Context,
    signer: &Signer,
    user: &User,
    course_id: &str,
    unit_id: &str,
    req: LaunchRequest,
) -> Result<Launch> {
    if let Some(sco) = scorm::launchable(cx, user, course_id, unit_id).await? {
        if req.registration.is_some() {
            return Err(Error::field(
                "registration",
                "is for cmi5 AUs: a SCORM launch resumes your attempt or starts the next one",
            ));
        }
        let mode = req.mode()?;
        let fresh = req.new_attempt.unwrap_or(false);
        return scorm::launch(cx, signer, user, &sco, mode, fresh).await;
    }
    if req.new_attempt.is_some() {
        return Err(Error::field("new_attempt", "is for SCORM items"));
    }
    cmi5::launch(cx, signer, user, course_id, unit_id, req).await
}

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
