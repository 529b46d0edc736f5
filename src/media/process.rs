//! The `process-asset` job: validate a finished upload by its bytes and derive its renditions.

use serde::Deserialize;

use super::{assets, store, AssetKind};
use crate::{
    blobs::{self, Sha256Hex},
    context::Context,
    jobs::{
        worker::{JobContext, JobError},
        Job,
    },
};

pub const KIND: &str = "process-asset";

#[derive(Deserialize)]
struct Payload {
    asset_id: String,
}

/// Models and captions are validated in memory; larger ones are refused rather than loaded.
const MAX_IN_MEMORY: i64 = 256 << 20;

fn permanent(code: &'static str, detail: impl Into<String>) -> JobError {
    JobError::Permanent {
        code,
        detail: detail.into(),
    }
}

/// Runs the `process-asset` jobs; registered with the workers by the composition root.
pub struct Runner;

impl crate::jobs::worker::Runner for Runner {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(
        &'a self,
        ctx: &'a Context,
        job: &'a Job,
        progress: JobContext,
    ) -> futures::future::BoxFuture<'a, Result<(), JobError>> {
        Box::pin(run(ctx, job, progress))
    }

    fn failed_for_good<'a>(
        &'a self,
        ctx: &'a Context,
        job: &'a Job,
        err: &'a JobError,
    ) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(mark_failed(ctx, job, err))
    }
}

pub async fn run(state: &Context, job: &Job, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload =
        serde_json::from_str(&job.payload).map_err(|e| permanent("job-invalid", e.to_string()))?;
    let asset = assets::get(&state.db, &payload.asset_id).await?;
    let kind = AssetKind::parse(&asset.kind)
        .ok_or_else(|| permanent("job-invalid", "unknown asset kind"))?;
    let sha = Sha256Hex::parse(&asset.source_sha256)
        .ok_or_else(|| permanent("job-invalid", "bad source hash"))?;
    assets::set_status(&state.db, &asset.id, "processing", 0).await?;
    let source_bytes = blobs::mime_of(&state.db, &sha)
        .await?
        .map(|(_, b)| b)
        .unwrap_or(0);

    match kind {
        AssetKind::Video | AssetKind::Audio => {
            super::pipeline::process_av(state, &asset, &sha, &ctx).await?
        }
        AssetKind::Document => {
            let tail_start = (source_bytes as u64).saturating_sub(1024);
            let tail = state
                .store
                .object_store()
                .get_range(&blobs::key(&sha), tail_start..source_bytes as u64)
                .await?;
            if !tail.windows(5).any(|w| w == b"%%EOF") {
                return Err(permanent(
                    "document-truncated",
                    "This PDF ends before its end-of-file marker: it was probably cut off. Export it again and re-upload.",
                ));
            }
            original(state, &asset.id, &sha, source_bytes, &asset.mime).await?;
        }
        AssetKind::Model => {
            let bytes = read_small(state, &sha, source_bytes, "gltf-invalid").await?;
            let summary = if asset.mime == "model/gltf-binary" {
                super::gltf::inspect_glb(&bytes)
            } else {
                super::gltf::inspect_gltf_json(&bytes)
            }
            .map_err(|e| permanent("gltf-invalid", e.to_string()))?;
            if let Some(uri) = summary.external_uris.first() {
                return Err(permanent(
                    "gltf-invalid",
                    format!(
                        "This model refers to the separate file \"{uri}\", which was not uploaded with it. \
                         Upload a .glb (one file), or a .gltf whose buffers and images are embedded."
                    ),
                ));
            }
            original(state, &asset.id, &sha, source_bytes, &asset.mime).await?;
        }
        AssetKind::Image => {
            let dir = tempfile::tempdir()?;
            let source = dir.path().join("source");
            blobs::download(&state.store, &blobs::key(&sha), &source).await?;
            let (poster, large) = super::stills::image_posters(
                &state.settings.ffmpeg,
                &source,
                dir.path(),
                std::time::Duration::from_secs(120),
            )
            .await
            .map_err(|e| {
                permanent(
                    "image-invalid",
                    format!("This image could not be read ({e}); it may be cut off. Export it again as JPEG or PNG and re-upload."),
                )
            })?;
            original(state, &asset.id, &sha, source_bytes, &asset.mime).await?;
            let store = |name, path| {
                super::pipeline::store_still(state, &asset.id, name, name, path, "image/jpeg")
            };
            store("poster", &poster).await?;
            store("poster-large", &large).await?;
        }
        AssetKind::Captions => {
            let bytes = read_small(state, &sha, source_bytes, "captions-invalid").await?;
            let vtt = super::captions::normalise(&bytes)
                .map_err(|e| permanent("captions-invalid", e.to_string()))?;
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("captions.vtt");
            tokio::fs::write(&path, vtt.as_bytes()).await?;
            let (vsha, vbytes) =
                blobs::put_file(&state.store, &state.db, &path, "text/vtt").await?;
            let language = asset_language(state, &asset.id).await;
            let name = format!("captions-{}", language.as_deref().unwrap_or("und"));
            let rendition = |_: ()| assets::NewRendition {
                name: &name,
                role: "captions",
                sha256: &vsha,
                bytes: vbytes,
                mime: "text/vtt",
                width: None,
                height: None,
                bitrate: None,
                codecs: None,
                language: language.as_deref(),
                label: None,
                fragments: None,
            };
            assets::put_rendition(&state.db.pool, &asset.id, rendition(())).await?;
            if let Some(video) = captions_target(state, &asset.id).await {
                assets::put_rendition(&state.db.pool, &video, rendition(())).await?;
            }
        }
        AssetKind::Archive => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("archive.zip");
            blobs::download(&state.store, &blobs::key(&sha), &path).await?;
            let zip = path.clone();
            let (checked, model) = tokio::task::spawn_blocking(move || {
                let file = std::fs::File::open(&zip)?;
                let checked = super::archive::inspect(file, &super::archive::Limits::default());
                let model = match checked {
                    Ok(_) => super::package::main_gltf(&zip)?,
                    Err(_) => None,
                };
                Ok::<_, std::io::Error>((checked, model))
            })
            .await??;
            let (_, unpacked) = checked.map_err(|r| permanent(r.code, r.detail))?;
            if model.is_some() {
                within_quota(state, &asset.org_id, unpacked).await?;
            }
            match model {
                // A .gltf with its buffers and textures: served file by file.
                Some(main) => super::package::process(state, &asset.id, &path, &main).await?,
                None => original(state, &asset.id, &sha, source_bytes, &asset.mime).await?,
            }
        }
    }
    if ctx.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    assets::set_status(&state.db, &asset.id, "ready", 100).await?;
    Ok(())
}

/// Refuses to unpack `unpacked` more bytes (as the archive declares them) past the
/// organisation's quota.
async fn within_quota(state: &Context, org_id: &str, unpacked: u64) -> Result<(), JobError> {
    let Some(quota) = state.settings.org_quota_bytes else {
        return Ok(());
    };
    let used = crate::blobs::org_usage(&state.db, org_id).await?;
    if used + unpacked > quota {
        return Err(permanent(
            "quota-exceeded",
            format!(
                "Unpacked, this package needs {unpacked} bytes; your organisation has {} of its \
                 {quota} bytes left.",
                quota.saturating_sub(used)
            ),
        ));
    }
    Ok(())
}

/// The source itself, served as-is (documents, models, packages).
async fn original(
    state: &Context,
    asset_id: &str,
    sha: &Sha256Hex,
    bytes: i64,
    mime: &str,
) -> Result<(), JobError> {
    let r = assets::NewRendition {
        name: "original",
        role: "original",
        sha256: sha,
        bytes: bytes as u64,
        mime,
        width: None,
        height: None,
        bitrate: None,
        codecs: None,
        language: None,
        label: None,
        fragments: None,
    };
    assets::put_rendition(&state.db.pool, asset_id, r).await?;
    Ok(())
}

async fn read_small(
    state: &Context,
    sha: &Sha256Hex,
    bytes: i64,
    code: &'static str,
) -> Result<Vec<u8>, JobError> {
    if bytes > MAX_IN_MEMORY {
        return Err(permanent(
            code,
            "This file is too large to be checked (the limit is 256 MiB).",
        ));
    }
    let data = state.store.object_store().get(&blobs::key(sha)).await?;
    Ok(data.bytes().await?.to_vec())
}

/// The `language` the uploader gave in Upload-Metadata, if any.
async fn asset_language(state: &Context, asset_id: &str) -> Option<String> {
    metadata_value(state, asset_id, "language")
        .await
        .and_then(|l| crate::values::LanguageTag::parse(&l).ok())
        .map(|l| l.into_string())
}

/// The video these captions belong to (`captions_for` in Upload-Metadata), if it is in the
/// same organisation.
async fn captions_target(state: &Context, asset_id: &str) -> Option<String> {
    let target = metadata_value(state, asset_id, "captions_for").await?;
    let same_org = store::same_org_count(&state.db, asset_id, &target)
        .await
        .ok()?;
    (same_org > 0).then_some(target)
}

async fn metadata_value(state: &Context, asset_id: &str, key: &str) -> Option<String> {
    let raw = store::upload_metadata(&state.db, asset_id).await.ok()?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&raw?).ok()?;
    map.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

/// A job that will not run again: record why on the asset, and drop a source no other asset
/// uses, so a rejected file leaves nothing behind.
pub async fn mark_failed(state: &Context, job: &Job, err: &JobError) {
    let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else {
        return;
    };
    let (code, detail) = match err {
        JobError::Permanent { code, detail } => (*code, detail.clone()),
        other => (
            "processing-failed",
            format!("Processing failed after {} attempts: {other}", job.attempts),
        ),
    };
    // The source goes first (unless another asset uses it), so whoever sees the asset failed
    // finds nothing of it left.
    if let Ok(asset) = assets::get(&state.db, &payload.asset_id).await {
        let users = store::other_source_users(&state.db, &asset.source_sha256, &asset.id)
            .await
            .unwrap_or(1);
        if let (0, Some(sha)) = (users, Sha256Hex::parse(&asset.source_sha256)) {
            let _ = state.store.object_store().delete(&blobs::key(&sha)).await;
            let _ = store::delete_blob(&state.db, sha.as_str()).await;
        }
    }
    if let Err(e) = assets::set_failed(&state.db, &payload.asset_id, code, &detail).await {
        tracing::warn!(error = %e, "recording the asset failure");
    }
}
