//! Assets: their processing state, renditions and playlists.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::{
    authz,
    error::{Error, Result},
    http::AppState,
    jobs,
    media::assets::{self, AssetRow, RenditionRow},
};

#[derive(utoipa::OpenApi)]
#[openapi(paths(asset_file))]
struct FilesDoc;

pub fn routes() -> OpenApiRouter<AppState> {
    use utoipa::OpenApi;
    // The files route takes a multi-segment path, which axum spells `{*path}`; it is documented
    // separately with a plain `{path}` parameter.
    OpenApiRouter::with_openapi(FilesDoc::openapi())
        .route(
            "/api/v1/assets/{asset_id}/files/{*path}",
            axum::routing::get(asset_file),
        )
        .routes(routes!(get_asset, update_asset))
        .routes(routes!(cancel_asset))
}

#[derive(Serialize, ToSchema)]
pub struct AssetError {
    code: String,
    detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct RenditionView {
    #[serde(flatten)]
    row: RenditionRow,
    /// Where the bytes are served (content-addressed, cacheable forever).
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct AssetView {
    id: String,
    org_id: String,
    /// `video`, `audio`, `document`, `model`, `captions` or `archive`.
    kind: String,
    filename: String,
    /// `queued`, `processing`, `ready` or `failed`.
    status: String,
    /// 0–100.
    progress: i64,
    error: Option<AssetError>,
    duration_seconds: Option<f64>,
    width: Option<i64>,
    height: Option<i64>,
    /// An equirectangular 360° video: show it in a 360 viewer.
    spherical: bool,
    /// For models: the file a viewer loads (a GLB, or a package's .gltf whose relative
    /// references resolve next to it).
    model: Option<String>,
    renditions: Vec<RenditionView>,
    /// Master playlist for video and audio.
    hls: Option<String>,
    /// At most 640 px on the long side: what phones show.
    poster: Option<String>,
    /// At most 1280 px, for big screens.
    poster_large: Option<String>,
}

/// The asset as its viewer may use it: URLs are plain when a public course uses the asset, and
/// signed (valid for hours) otherwise, so players and downloads need no cookies.
pub(super) async fn view(state: &AppState, a: AssetRow) -> Result<AssetView> {
    let renditions = assets::renditions(&state.db, &a.id).await?;
    let public = crate::delivery::access::asset_is_public(&state.db, &a.id).await?;
    let url = |r: &RenditionRow| state.delivery.media_url(&r.sha256, &r.mime, public);
    let poster = renditions.iter().find(|r| r.role == "poster").map(url);
    let poster_large = renditions
        .iter()
        .find(|r| r.role == "poster-large")
        .map(url);
    let has_ladder = renditions
        .iter()
        .any(|r| r.role == "video" || r.role == "audio");
    let model = match renditions.iter().find(|r| r.role == "model") {
        Some(main) => Some(format!("/api/v1/assets/{}/files/{}", a.id, main.name)),
        None if a.kind == "model" => renditions.iter().find(|r| r.role == "original").map(url),
        None => None,
    };
    Ok(AssetView {
        hls: (has_ladder && a.status == "ready")
            .then(|| super::playlists::playlist_url(state, &a.id, "master", public)),
        poster,
        poster_large,
        renditions: renditions
            .into_iter()
            .map(|r| RenditionView {
                url: url(&r),
                row: r,
            })
            .collect(),
        error: match (a.error_code, a.error_detail) {
            (Some(code), detail) => Some(AssetError {
                code,
                detail: detail.unwrap_or_default(),
            }),
            _ => None,
        },
        id: a.id,
        org_id: a.org_id,
        kind: a.kind,
        filename: a.filename,
        status: a.status,
        progress: a.progress,
        duration_seconds: a.duration_ms.map(|ms| ms as f64 / 1000.0),
        width: a.width,
        height: a.height,
        spherical: a.spherical,
        model,
    })
}

/// An asset's processing state and renditions.
#[utoipa::path(get, path = "/api/v1/assets/{asset_id}", tag = "assets",
    responses((status = 200, body = AssetView), (status = 404, body = crate::http::problem::Problem)))]
async fn get_asset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AssetView>> {
    let asset = assets::get(&state.db, &id).await?;
    if !crate::delivery::access::asset_visible(&state.db, caller.0.as_ref(), &asset.id).await? {
        return Err(Error::NotFound);
    }
    Ok(Json(view(&state, asset).await?))
}

/// Stop processing an asset (teachers and admins of its organisation).
#[utoipa::path(post, path = "/api/v1/assets/{asset_id}/cancel", tag = "assets",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AssetView), (status = 409, body = crate::http::problem::Problem)))]
async fn cancel_asset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AssetView>> {
    let user = caller.user()?;
    let asset = assets::get(&state.db, &id).await?;
    authz::require_org_role(&state.db, user, &asset.org_id, authz::author).await?;
    let cancelled = match &asset.job_id {
        Some(job) => jobs::cancel(&state.db, job).await?,
        None => false,
    };
    if !cancelled {
        return Err(Error::conflict(
            "status",
            "This asset is not being processed.",
        ));
    }
    assets::set_failed(&state.db, &id, "cancelled", "Processing was cancelled.").await?;
    Ok(Json(
        view(&state, assets::get(&state.db, &id).await?).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAsset {
    /// Mark a video as equirectangular 360° (when its file carries no spherical metadata).
    spherical: Option<bool>,
}

/// Correct what the file could not say about itself (teachers and admins of its organisation).
#[utoipa::path(patch, path = "/api/v1/assets/{asset_id}", tag = "assets", request_body = UpdateAsset,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AssetView), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn update_asset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<UpdateAsset>,
) -> Result<Json<AssetView>> {
    let user = caller.user()?;
    let asset = assets::get(&state.db, &id).await?;
    authz::require_org_role(&state.db, user, &asset.org_id, authz::author).await?;
    if let Some(spherical) = req.spherical {
        if asset.kind != "video" {
            return Err(Error::field(
                "spherical",
                "only a video can be a 360° video",
            ));
        }
        assets::set_spherical(&state.db, &id, spherical).await?;
    }
    Ok(Json(
        view(&state, assets::get(&state.db, &id).await?).await?,
    ))
}

/// A file of a model package by its path in the package (`scene.gltf`, `textures/wood.png`), so
/// a glTF's relative references resolve. Readers of the asset, or a signed URL for the path.
#[utoipa::path(get, path = "/api/v1/assets/{asset_id}/files/{path}", tag = "assets",
    params(("asset_id" = String, Path), ("path" = String, Path, description = "Path inside the package")),
    responses((status = 200), (status = 206), (status = 404, body = crate::http::problem::Problem)))]
async fn asset_file(
    State(state): State<AppState>,
    caller: Caller,
    method: axum::http::Method,
    headers: axum::http::HeaderMap,
    Path((id, path)): Path<(String, String)>,
    super::extract::Query(signature): super::extract::Query<super::delivery::Signature>,
) -> Result<axum::response::Response> {
    use crate::delivery::access::{asset_is_public, Access};
    let asset = assets::get(&state.db, &id).await?;
    let signed = super::delivery::verify_signature(
        &state,
        &format!("/api/v1/assets/{id}/files/{path}"),
        &signature,
    )?;
    if signed.is_none()
        && !crate::delivery::access::asset_visible(&state.db, caller.0.as_ref(), &asset.id).await?
    {
        return Err(Error::NotFound);
    }
    let file = assets::renditions(&state.db, &id)
        .await?
        .into_iter()
        .find(|r| r.name == path && (r.role == "model" || r.role == "model-file"))
        .ok_or(Error::NotFound)?;
    let sha = crate::blobs::Sha256Hex::parse(&file.sha256).ok_or(Error::NotFound)?;
    let access = if asset_is_public(&state.db, &id).await? {
        Access::Public
    } else {
        Access::Allowed
    };
    super::delivery::serve_blob(&state, &method, &headers, &sha, signed, access).await
}

/// A course's poster as an `<img>` takes it: `src` (the phone-sized image), `srcset` with the
/// big-screen one where made, and the small one's size (no layout shift while it loads).
pub(super) fn poster_image(
    state: &AppState,
    poster: &crate::media::assets::CoursePoster,
    public: bool,
) -> serde_json::Value {
    let url =
        |s: &crate::media::assets::Still| state.delivery.media_url(&s.sha256, &s.mime, public);
    let small = url(&poster.small);
    let mut srcset = format!("{small} {}w", poster.small.width.unwrap_or(640));
    if let Some(large) = &poster.large {
        srcset.push_str(&format!(
            ", {} {}w",
            url(large),
            large.width.unwrap_or(1280)
        ));
    }
    serde_json::json!({
        "src": small,
        "srcset": srcset,
        "width": poster.small.width,
        "height": poster.small.height,
    })
}
