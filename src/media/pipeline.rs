//! Audio and video: probe, validate, one ffmpeg run for the whole ladder, stills, and every
//! output stored as a content-addressed rendition with what its HLS playlist needs.

use std::{path::Path, time::Duration};

use serde::{Deserialize, Serialize};

use super::{
    assets::{self, AssetRow, NewRendition},
    fmp4, hls,
    ladder::{self, LadderConfig},
    probe::{self, Limits, MediaKind},
    stills, store,
};
use crate::{
    blobs::{self, Sha256Hex},
    context::Context,
    db::time::now_ms,
    jobs::worker::{JobContext, JobError},
};

/// The placeholder in a stored media playlist where the rung's URL goes at serve time (URLs
/// may be signed per learner, so they cannot be baked in).
pub const URI_PLACEHOLDER: &str = "{{uri}}";

/// What a ladder rung keeps for building playlists later.
#[derive(Debug, Serialize, Deserialize)]
pub struct PlaylistInfo {
    pub media_playlist: String,
    pub bandwidth: u64,
    pub average_bandwidth: u64,
    pub duration_secs: f64,
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retryable(anyhow::anyhow!("{e}"))
}

pub async fn process_av(
    state: &Context,
    asset: &AssetRow,
    sha: &Sha256Hex,
    ctx: &JobContext,
) -> Result<(), JobError> {
    let settings = &state.settings;
    if super::ffmpeg_available(&settings.ffmpeg, &settings.ffprobe)
        .await
        .is_none()
    {
        assets::set_status(&state.db, &asset.id, "queued", 0).await?;
        return Err(JobError::Deferred {
            reason: super::FFMPEG_MISSING.to_owned(),
            delay: Duration::from_secs(60),
        });
    }
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("source");
    blobs::download(&state.store, &blobs::key(sha), &source).await?;

    let probed = match probe::probe_with(&settings.ffprobe, &source, Duration::from_secs(60)).await
    {
        Ok(p) => p,
        Err(e) => {
            return Err(match e.as_rejection() {
                Some(r) => JobError::Permanent {
                    code: r.code,
                    detail: r.detail,
                },
                // ffprobe missing or stuck: the file may be fine, so try again later.
                None => retry(format!("ffprobe: {e}")),
            });
        }
    };
    let limits = Limits {
        max_duration: state.settings.max_media_duration,
        ..Limits::default()
    };
    let kind = probe::check(&probed, &limits).map_err(|r| JobError::Permanent {
        code: r.code,
        detail: r.detail,
    })?;
    let (width, height) = probed
        .video
        .as_ref()
        .map(|v| (v.display_width as i64, v.display_height as i64))
        .unzip();
    let spherical = probed.video.as_ref().is_some_and(|v| v.spherical);
    let facts = store::Probed {
        kind: if kind == MediaKind::Video {
            "video"
        } else {
            "audio"
        },
        duration_ms: (probed.duration_secs * 1000.0).round() as i64,
        width,
        height,
        spherical,
    };
    store::set_probed(&state.db, &asset.id, facts, now_ms()).await?;

    let cfg = LadderConfig {
        preset: settings.ffmpeg_preset.clone(),
        ffmpeg: settings.ffmpeg.clone(),
        ..LadderConfig::default()
    };
    let rungs = ladder::plan(&probed, &cfg);
    let out = dir.path().join("out");
    tokio::fs::create_dir_all(&out).await?;
    let timeout = Duration::from_secs_f64((probed.duration_secs * 20.0).max(600.0));

    let progress = ctx.progress_sender();
    let forward = forward_progress(state.db.clone(), asset.id.clone(), progress.subscribe());
    let files = ladder::transcode(
        &source,
        &out,
        &rungs,
        &cfg,
        probed.duration_secs,
        move |p| {
            progress.send_replace(i64::from(p) * 90 / 100);
        },
        ctx.cancel_receiver(),
        timeout,
    )
    .await;
    forward.abort();
    let files = files.map_err(|e| match e {
        super::ffmpeg::FfmpegError::Cancelled => JobError::Cancelled,
        other => retry(format!("ffmpeg: {other}")),
    })?;

    for file in &files {
        let idx = fmp4::index_file(&file.path)?;
        let variant = hls::Variant::from_index(URI_PLACEHOLDER, &idx, None);
        let info = PlaylistInfo {
            media_playlist: hls::media_playlist(URI_PLACEHOLDER, &idx),
            bandwidth: variant.bandwidth,
            average_bandwidth: variant.average_bandwidth,
            duration_secs: idx.duration_secs(),
        };
        let mime = if file.role == "video" {
            "video/mp4"
        } else {
            "audio/mp4"
        };
        let (fsha, bytes) = blobs::put_file(&state.store, &state.db, &file.path, mime).await?;
        let name = if file.role == "video" {
            format!("video-{}", file.height.min(file.width))
        } else {
            "audio".to_owned()
        };
        let codecs = hls::codecs(&idx);
        assets::put_rendition(
            &state.db.pool,
            &asset.id,
            NewRendition {
                name: &name,
                role: file.role,
                sha256: &fsha,
                bytes,
                mime,
                width: (file.role == "video").then_some(file.width as i64),
                height: (file.role == "video").then_some(file.height as i64),
                bitrate: Some(variant.bandwidth as i64),
                codecs: Some(&codecs),
                language: None,
                label: None,
                fragments: Some(serde_json::to_string(&info)?),
            },
        )
        .await?;
    }
    ctx.set_progress(95);

    if kind == MediaKind::Video {
        let stills_dir = dir.path().join("stills");
        tokio::fs::create_dir_all(&stills_dir).await?;
        let still = stills::stills_with(
            &settings.ffmpeg,
            &source,
            &stills_dir,
            probed.duration_secs,
            Duration::from_secs(300),
        )
        .await
        .map_err(|e| retry(format!("stills: {e}")))?;
        store_still(
            state,
            &asset.id,
            "poster",
            "poster",
            &still.poster,
            "image/jpeg",
        )
        .await?;
        store_still(
            state,
            &asset.id,
            "poster-large",
            "poster-large",
            &still.poster_large,
            "image/jpeg",
        )
        .await?;
        for (i, thumb) in still.thumbnails.iter().enumerate() {
            store_still(
                state,
                &asset.id,
                &format!("thumbnail-{}", i + 1),
                "thumbnail",
                thumb,
                "image/jpeg",
            )
            .await?;
        }
        let sprite = store_still(
            state,
            &asset.id,
            "storyboard",
            "storyboard",
            &still.sprite,
            "image/jpeg",
        )
        .await?;
        let vtt = stills::storyboard_vtt(
            &format!("/media/{}.jpg", sprite.as_str()),
            probed.duration_secs,
        );
        let vtt_path = dir.path().join("storyboard.vtt");
        tokio::fs::write(&vtt_path, vtt).await?;
        store_still(
            state,
            &asset.id,
            "storyboard-vtt",
            "storyboard-vtt",
            &vtt_path,
            "text/vtt",
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn store_still(
    state: &Context,
    asset_id: &str,
    name: &str,
    role: &str,
    path: &Path,
    mime: &str,
) -> Result<Sha256Hex, JobError> {
    let (sha, bytes) = blobs::put_file(&state.store, &state.db, path, mime).await?;
    let dims = if mime == "image/jpeg" {
        jpeg_size(path).await
    } else {
        None
    };
    assets::put_rendition(
        &state.db.pool,
        asset_id,
        NewRendition {
            name,
            role,
            sha256: &sha,
            bytes,
            mime,
            width: dims.map(|d| d.0),
            height: dims.map(|d| d.1),
            bitrate: None,
            codecs: None,
            language: None,
            label: None,
            fragments: None,
        },
    )
    .await?;
    Ok(sha)
}

/// Width and height from a baseline or progressive JPEG's SOF marker.
async fn jpeg_size(path: &Path) -> Option<(i64, i64)> {
    let bytes = tokio::fs::read(path).await.ok()?;
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(marker, 0xC0..=0xC3) {
            let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            return Some((i64::from(w), i64::from(h)));
        }
        i += 2 + len;
    }
    None
}

/// Mirrors job progress onto the asset about once a second, for the teacher's progress bar.
fn forward_progress(
    db: crate::db::Db,
    asset_id: String,
    mut rx: tokio::sync::watch::Receiver<i64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = -1;
        while rx.changed().await.is_ok() {
            let p = *rx.borrow_and_update();
            if p != last {
                last = p;
                let _ = assets::set_progress(&db, &asset_id, p).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
}
