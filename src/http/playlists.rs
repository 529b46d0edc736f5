//! HLS playlists of an asset, with signed URLs for protected content and the learner's data
//! saver applied to the master playlist.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    delivery::{verify_signature, Signature},
    extract::{Caller, Json, Path, Query},
};
use crate::{
    accounts::preferences,
    delivery::{access::asset_is_public, SIGNED_URL_TTL_SECS},
    error::{Error, Result},
    http::AppState,
    media::{
        assets::{self, RenditionRow},
        hls::{master_playlist, SubtitleTrack, Variant},
        pipeline::{PlaylistInfo, URI_PLACEHOLDER},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(hls_playlist))
        .routes(routes!(get_preferences, put_preferences))
}

const MPEGURL: &str = "application/vnd.apple.mpegurl";
/// What `Save-Data: on` caps video at when the learner chose nothing.
const SAVE_DATA_HEIGHT: i64 = 360;

/// The URL of one of an asset's playlists: plain for public assets, signed otherwise (native
/// players cannot add an Authorization header).
pub fn playlist_url(state: &AppState, asset_id: &str, name: &str, public: bool) -> String {
    let path = format!("/api/v1/assets/{asset_id}/hls/{name}.m3u8");
    if public {
        path
    } else {
        state.delivery.signer.signed_url(&path, SIGNED_URL_TTL_SECS)
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PlaylistQuery {
    /// Cap video rungs at this height (remembered for a logged-in learner).
    max_height: Option<i64>,
    exp: Option<String>,
    kid: Option<String>,
    sig: Option<String>,
}

/// HLS playlists of a ready asset: `master.m3u8`, one per rung (`video-360.m3u8`, `audio.m3u8`)
/// and one per captions track (`captions-zh-CN.m3u8`). Rungs are single fMP4 files addressed by
/// byte ranges, so the same file also plays progressively and downloads whole. The master
/// honours `Save-Data: on`, `?max_height=` and the learner's saved cap: it then lists only the
/// audio rung and the video rungs up to that height.
#[utoipa::path(get, path = "/api/v1/assets/{asset_id}/hls/{playlist}", tag = "assets", params(PlaylistQuery),
    responses((status = 200, content_type = "application/vnd.apple.mpegurl"),
              (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)))]
async fn hls_playlist(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, playlist)): Path<(String, String)>,
    Query(q): Query<PlaylistQuery>,
) -> Result<Response> {
    let asset = assets::get(&state.db, &id).await?;
    let path = format!("/api/v1/assets/{id}/hls/{playlist}");
    let signature = Signature {
        exp: q.exp.clone(),
        kid: q.kid.clone(),
        sig: q.sig.clone(),
    };
    let signed = verify_signature(&state, &path, &signature)?.is_some();
    if asset.status != "ready"
        || !(signed
            || crate::delivery::access::asset_visible(&state.db, caller.0.as_ref(), &asset.id)
                .await?)
    {
        return Err(Error::NotFound);
    }
    let public = asset_is_public(&state.db, &id).await?;
    let name = playlist.strip_suffix(".m3u8").ok_or(Error::NotFound)?;
    let renditions = assets::renditions(&state.db, &id).await?;
    let body = if name == "master" {
        let cap = data_saver_cap(
            &state,
            caller.0.as_ref().map(|u| u.id.as_str()),
            &headers,
            q.max_height,
        )
        .await?;
        master(&state, &id, &renditions, public, cap)
    } else {
        let r = renditions
            .iter()
            .find(|r| r.name == name)
            .ok_or(Error::NotFound)?;
        media_playlist(&state, r, asset.duration_ms, public).ok_or(Error::NotFound)?
    };
    let cache = if public {
        "public, max-age=60"
    } else {
        "private, max-age=60"
    };
    Ok((
        [
            (header::CONTENT_TYPE, MPEGURL),
            (header::CACHE_CONTROL, cache),
            (header::VARY, "Save-Data"),
        ],
        body,
    )
        .into_response())
}

/// The video height cap: an explicit `max_height` (remembered for the learner), else
/// `Save-Data: on`, else the learner's saved choice.
async fn data_saver_cap(
    state: &AppState,
    user: Option<&str>,
    headers: &HeaderMap,
    explicit: Option<i64>,
) -> Result<Option<i64>> {
    if let Some(h) = explicit {
        if !(144..=4320).contains(&h) {
            return Err(Error::bad_request(
                "invalid-query",
                "max_height must be between 144 and 4320",
            ));
        }
        if let Some(user) = user {
            save_preference(state, user, Some(h)).await?;
        }
        return Ok(Some(h));
    }
    let save_data = headers
        .get("save-data")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("on"));
    if save_data {
        return Ok(Some(SAVE_DATA_HEIGHT));
    }
    match user {
        Some(user) => Ok(preference(state, user).await?.max_height),
        None => Ok(None),
    }
}

fn master(
    state: &AppState,
    asset_id: &str,
    renditions: &[RenditionRow],
    public: bool,
    cap: Option<i64>,
) -> String {
    let variant = |r: &RenditionRow| -> Option<Variant> {
        let info: PlaylistInfo = serde_json::from_str(r.fragments.as_deref()?).ok()?;
        Some(Variant {
            uri: if public {
                format!("{}.m3u8", r.name)
            } else {
                playlist_url(state, asset_id, &r.name, false)
            },
            bandwidth: info.bandwidth,
            average_bandwidth: info.average_bandwidth,
            resolution: r.width.zip(r.height).map(|(w, h)| (w as u32, h as u32)),
            codecs: r.codecs.clone().unwrap_or_default(),
        })
    };
    let mut video: Vec<&RenditionRow> = renditions.iter().filter(|r| r.role == "video").collect();
    video.sort_by_key(|r| r.height.unwrap_or(0).min(r.width.unwrap_or(0)));
    if let Some(cap) = cap {
        // The rung label is the shorter side (portrait video), and the lowest rung always stays.
        let short = |r: &&RenditionRow| r.height.unwrap_or(0).min(r.width.unwrap_or(0));
        let keep = video.iter().filter(|r| short(r) <= cap).count().max(1);
        video.truncate(keep);
    }
    let videos: Vec<Variant> = video.into_iter().filter_map(variant).collect();
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
                uri: if public {
                    format!("{}.m3u8", r.name)
                } else {
                    playlist_url(state, asset_id, &r.name, false)
                },
                language,
            }
        })
        .collect();
    master_playlist(&videos, audio.as_ref(), &subtitles)
}

fn media_playlist(
    state: &AppState,
    r: &RenditionRow,
    duration_ms: Option<i64>,
    public: bool,
) -> Option<String> {
    let url = state.delivery.media_url(&r.sha256, &r.mime, public);
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

#[derive(Serialize, Deserialize, ToSchema, Default)]
pub struct Preferences {
    /// Video rungs above this height are left out of playlists; null for no cap.
    max_height: Option<i64>,
}

async fn preference(state: &AppState, user: &str) -> Result<Preferences> {
    Ok(Preferences {
        max_height: preferences::max_height(&state.db, user).await?,
    })
}

async fn save_preference(state: &AppState, user: &str, max_height: Option<i64>) -> Result<()> {
    preferences::set_max_height(&state.db, user, max_height).await
}

/// The caller's playback preferences (the data-saver cap).
#[utoipa::path(get, path = "/api/v1/me/preferences", tag = "auth", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Preferences), (status = 401, body = crate::http::problem::Problem)))]
async fn get_preferences(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Preferences>> {
    Ok(Json(preference(&state, &caller.user()?.id).await?))
}

/// Set the data-saver cap (`null` to play every rung).
#[utoipa::path(put, path = "/api/v1/me/preferences", tag = "auth", request_body = Preferences,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Preferences), (status = 422, body = crate::http::problem::Problem)))]
async fn put_preferences(
    State(state): State<AppState>,
    caller: Caller,
    Json(p): Json<Preferences>,
) -> Result<Json<Preferences>> {
    let user = caller.user()?;
    if p.max_height.is_some_and(|h| !(144..=4320).contains(&h)) {
        return Err(Error::field(
            "max_height",
            "must be between 144 and 4320, or null",
        ));
    }
    save_preference(&state, &user.id, p.max_height).await?;
    Ok(Json(p))
}
