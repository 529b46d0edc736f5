//! Assets: their processing state, renditions and playlists.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json, Path};
use crate::media::pipeline::{PlaylistInfo, URI_PLACEHOLDER};
use crate::{
    app::AppState,
    authz,
    error::{AppError, AppResult},
    jobs,
    media::assets::{self, AssetRow, RenditionRow},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_asset))
        .routes(routes!(cancel_asset))
        .routes(routes!(hls_playlist))
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
    renditions: Vec<RenditionView>,
    /// Master playlist for video and audio.
    hls: Option<String>,
    poster: Option<String>,
}

pub fn media_url(sha: &str) -> String {
    format!("/media/{sha}")
}

async fn view(state: &AppState, a: AssetRow) -> AppResult<AssetView> {
    let renditions = assets::renditions(&state.db, &a.id).await?;
    let poster = renditions
        .iter()
        .find(|r| r.role == "poster")
        .map(|r| media_url(&r.sha256));
    let has_ladder = renditions
        .iter()
        .any(|r| r.role == "video" || r.role == "audio");
    Ok(AssetView {
        hls: (has_ladder && a.status == "ready")
            .then(|| format!("/api/v1/assets/{}/hls/master.m3u8", a.id)),
        poster,
        renditions: renditions
            .into_iter()
            .map(|r| RenditionView {
                url: media_url(&r.sha256),
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
    })
}

/// An asset's processing state and renditions.
#[utoipa::path(get, path = "/api/v1/assets/{asset_id}", tag = "assets",
    responses((status = 200, body = AssetView), (status = 404, body = crate::error::Problem)))]
async fn get_asset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<AssetView>> {
    let asset = assets::get(&state.db, &id).await?;
    if !assets::visible_to(&state.db, caller.0.as_ref(), &asset).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(view(&state, asset).await?))
}

/// Stop processing an asset (teachers and admins of its organisation).
#[utoipa::path(post, path = "/api/v1/assets/{asset_id}/cancel", tag = "assets",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AssetView), (status = 409, body = crate::error::Problem)))]
async fn cancel_asset(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<AssetView>> {
    let user = caller.user()?;
    let asset = assets::get(&state.db, &id).await?;
    authz::require_org_role(&state.db, user, &asset.org_id, authz::author).await?;
    let cancelled = match &asset.job_id {
        Some(job) => jobs::cancel(&state.db, job).await?,
        None => false,
    };
    if !cancelled {
        return Err(AppError::conflict(
            "status",
            "This asset is not being processed.",
        ));
    }
    assets::set_failed(&state.db, &id, "cancelled", "Processing was cancelled.").await?;
    Ok(Json(
        view(&state, assets::get(&state.db, &id).await?).await?,
    ))
}

const MPEGURL: &str = "application/vnd.apple.mpegurl";

/// HLS playlists of a ready asset: `master.m3u8`, one per rung (`video-360.m3u8`, `audio.m3u8`)
/// and one per captions track (`captions-zh-CN.m3u8`). Rungs are single fMP4 files addressed by
/// byte ranges, so the same file also plays progressively and downloads whole.
#[utoipa::path(get, path = "/api/v1/assets/{asset_id}/hls/{playlist}", tag = "assets",
    responses((status = 200, content_type = "application/vnd.apple.mpegurl"),
              (status = 404, body = crate::error::Problem)))]
async fn hls_playlist(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, playlist)): Path<(String, String)>,
) -> AppResult<axum::response::Response> {
    use axum::{http::header, response::IntoResponse};
    let asset = assets::get(&state.db, &id).await?;
    if asset.status != "ready" || !assets::visible_to(&state.db, caller.0.as_ref(), &asset).await? {
        return Err(AppError::NotFound);
    }
    let name = playlist.strip_suffix(".m3u8").ok_or(AppError::NotFound)?;
    let renditions = assets::renditions(&state.db, &id).await?;
    let body = if name == "master" {
        master(&id, &renditions)
    } else {
        let r = renditions
            .iter()
            .find(|r| r.name == name)
            .ok_or(AppError::NotFound)?;
        media_playlist(r, asset.duration_ms).ok_or(AppError::NotFound)?
    };
    Ok((
        [
            (header::CONTENT_TYPE, MPEGURL),
            (header::CACHE_CONTROL, "private, max-age=60"),
        ],
        body,
    )
        .into_response())
}

fn master(asset_id: &str, renditions: &[RenditionRow]) -> String {
    use crate::media::hls::{master_playlist, SubtitleTrack, Variant};
    let variant = |r: &RenditionRow| -> Option<Variant> {
        let info: PlaylistInfo = serde_json::from_str(r.fragments.as_deref()?).ok()?;
        Some(Variant {
            uri: format!("{}.m3u8", r.name),
            bandwidth: info.bandwidth,
            average_bandwidth: info.average_bandwidth,
            resolution: r.width.zip(r.height).map(|(w, h)| (w as u32, h as u32)),
            codecs: r.codecs.clone().unwrap_or_default(),
        })
    };
    let mut videos: Vec<Variant> = renditions
        .iter()
        .filter(|r| r.role == "video")
        .filter_map(variant)
        .collect();
    videos.sort_by_key(|v| v.bandwidth);
    let audio = renditions
        .iter()
        .find(|r| r.role == "audio")
        .and_then(variant);
    let subtitles: Vec<SubtitleTrack> = renditions
        .iter()
        .filter(|r| r.role == "captions")
        .map(|r| {
            let language = r.language.clone().unwrap_or_else(|| "und".into());
            SubtitleTrack {
                name: r.label.clone().unwrap_or_else(|| language.clone()),
                default: false,
                uri: format!("{}.m3u8", r.name),
                language,
            }
        })
        .collect();
    let _ = asset_id;
    master_playlist(&videos, audio.as_ref(), &subtitles)
}

fn media_playlist(r: &RenditionRow, duration_ms: Option<i64>) -> Option<String> {
    let url = media_url(&r.sha256);
    if r.role == "captions" {
        // A WebVTT track is one segment lasting the whole video.
        let secs = duration_ms.unwrap_or(0) as f64 / 1000.0;
        return Some(format!(
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{}\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:{secs:.3},\n{url}\n#EXT-X-ENDLIST\n",
            secs.ceil().max(1.0) as u64
        ));
    }
    let info: PlaylistInfo = serde_json::from_str(r.fragments.as_deref()?).ok()?;
    Some(info.media_playlist.replace(URI_PLACEHOLDER, &url))
}
