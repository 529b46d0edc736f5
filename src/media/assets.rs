//! Asset records: one uploaded source plus every rendition derived from it.

use serde::Serialize;
use utoipa::ToSchema;

use super::{store, AssetKind};
use crate::{
    blobs::Sha256Hex,
    db::{time::now_ms, Db},
    error::{Error, Result},
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssetRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub source_sha256: String,
    pub filename: String,
    pub kind: String,
    pub mime: String,
    pub status: String,
    pub progress: i64,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    pub duration_ms: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    #[sqlx(try_from = "crate::db::Flag")]
    pub spherical: bool,
    pub job_id: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, ToSchema)]
pub struct RenditionRow {
    /// Unique within the asset, e.g. `video-720`, `audio`, `poster`, `captions-zh-CN`.
    pub name: String,
    /// `video` or `audio` for ladder rungs; `poster`, `thumbnail`, `storyboard`,
    /// `storyboard-vtt`, `captions`, `original` for the rest.
    pub role: String,
    pub sha256: String,
    pub bytes: i64,
    pub mime: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub bitrate: Option<i64>,
    pub codecs: Option<String>,
    pub language: Option<String>,
    pub label: Option<String>,
    #[serde(skip)]
    pub fragments: Option<String>,
}

/// The asset of this id; `NotFound` when there is none.
pub async fn get(db: &Db, id: &str) -> Result<AssetRow> {
    find(db, id).await?.ok_or(Error::NotFound)
}

pub async fn find(db: &Db, id: &str) -> Result<Option<AssetRow>> {
    Ok(store::asset(db, id).await?)
}

/// The asset's renditions, by role, height and name.
pub async fn renditions(db: &Db, asset_id: &str) -> Result<Vec<RenditionRow>> {
    Ok(store::renditions(db, asset_id).await?)
}

/// A poster rendition of a course's unit, as read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CoursePosterRow {
    pub course_id: String,
    pub asset_id: String,
    pub role: String,
    #[sqlx(flatten)]
    pub still: Still,
}

/// One image of a poster.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Still {
    pub sha256: String,
    pub mime: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// A course's poster: its first unit with one (a teacher's choice is not stored yet), the
/// phone-sized image and, where made, the big-screen one.
#[derive(Debug, Clone)]
pub struct CoursePoster {
    pub small: Still,
    pub large: Option<Still>,
}

/// The posters of these courses, by course id (courses without a poster are left out).
pub async fn course_posters(
    db: &Db,
    course_ids: &[String],
) -> Result<std::collections::HashMap<String, CoursePoster>> {
    let rows = store::course_posters(db, course_ids).await?;
    let mut out = std::collections::HashMap::<String, (String, CoursePoster)>::new();
    // Rows come by course and unit position: the first unit with a `poster` gives the poster.
    for r in rows.iter().filter(|r| r.role == "poster") {
        out.entry(r.course_id.clone()).or_insert_with(|| {
            let poster = CoursePoster {
                small: r.still.clone(),
                large: None,
            };
            (r.asset_id.clone(), poster)
        });
    }
    for r in rows.iter().filter(|r| r.role == "poster-large") {
        if let Some((asset, poster)) = out.get_mut(&r.course_id) {
            if *asset == r.asset_id {
                poster.large = Some(r.still.clone());
            }
        }
    }
    Ok(out.into_iter().map(|(k, (_, p))| (k, p)).collect())
}

/// What a new asset is made of.
pub struct NewAsset<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
    pub filename: &'a str,
    pub sha: &'a Sha256Hex,
    pub kind: AssetKind,
    pub mime: &'a str,
    /// Attach the asset to this unit.
    pub unit_id: Option<&'a str>,
    /// The upload it came from: claimed in the same transaction, so an upload makes one asset.
    pub upload_id: Option<&'a str>,
}

/// Creates the asset and its processing job, and links the upload and unit, in one transaction:
/// a crash leaves either all or none of it. Returns the asset id (for an upload finished
/// concurrently by another request, that request's asset).
pub async fn create(db: &Db, new: NewAsset<'_>) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let payload = serde_json::json!({"asset_id": id});
    let job_id = crate::jobs::enqueue(&mut *tx, super::process::KIND, &payload, 3).await?;
    store::insert_asset(&mut tx, &id, &new, Some(&job_id), now).await?;
    if let Some(upload) = new.upload_id {
        let linked = store::link_upload(&mut tx, &id, upload).await?;
        if linked == 0 {
            tx.rollback().await?;
            let existing = store::upload_asset_id(db, upload).await?;
            return existing.ok_or(Error::NotFound);
        }
    }
    if let Some(unit) = new.unit_id {
        store::attach_to_unit(&mut tx, &id, unit).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Creates an asset that needs no processing (an imported package whose files the caller adds
/// as renditions): it is ready at once and has no job.
pub async fn create_ready(db: &Db, new: NewAsset<'_>) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut conn = db.pool.acquire().await?;
    store::insert_asset(&mut conn, &id, &new, None, now_ms()).await?;
    Ok(id)
}

/// Deletes an asset and its renditions (an import taken back).
pub async fn delete(db: &Db, id: &str) -> Result<()> {
    Ok(store::delete_asset(db, id).await?)
}

/// Sets the asset's status and progress.
pub async fn set_status(db: &Db, id: &str, status: &str, progress: i64) -> sqlx::Result<()> {
    store::set_status(db, id, status, progress, now_ms()).await
}

/// Sets the progress of an asset that is processing.
pub async fn set_progress(db: &Db, id: &str, progress: i64) -> sqlx::Result<()> {
    store::set_progress(db, id, progress, now_ms()).await
}

/// Marks the asset failed, with the code and the sentence its owner is shown.
pub async fn set_failed(db: &Db, id: &str, code: &str, detail: &str) -> sqlx::Result<()> {
    store::set_failed(db, id, code, detail, now_ms()).await
}

pub struct NewRendition<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub sha256: &'a Sha256Hex,
    pub bytes: u64,
    pub mime: &'a str,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub bitrate: Option<i64>,
    pub codecs: Option<&'a str>,
    pub language: Option<&'a str>,
    pub label: Option<&'a str>,
    pub fragments: Option<String>,
}

impl<'a> NewRendition<'a> {
    /// A file of a package (a model's texture, a cmi5 AU's page): no media properties.
    pub fn file(
        name: &'a str,
        role: &'a str,
        sha256: &'a Sha256Hex,
        bytes: u64,
        mime: &'a str,
    ) -> Self {
        Self {
            name,
            role,
            sha256,
            bytes,
            mime,
            width: None,
            height: None,
            bitrate: None,
            codecs: None,
            language: None,
            label: None,
            fragments: None,
        }
    }
}

/// Inserts or replaces a rendition (a retried job writes the same names again).
pub async fn put_rendition<'e, E>(db: E, asset_id: &str, r: NewRendition<'_>) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    store::upsert_rendition(db, asset_id, r).await
}

/// What an asset's processing found (duration, size, projection), as another server recorded it.
pub struct Facts {
    pub duration_ms: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub spherical: bool,
}

/// Records facts on an asset restored from a course package, whose processing happened there.
pub async fn restore_facts(db: &Db, asset_id: &str, f: Facts) -> Result<()> {
    store::set_facts(db, asset_id, &f, now_ms()).await?;
    Ok(())
}

/// Marks a video as 360° (equirectangular) or not: the player then shows it in the viewer.
pub async fn set_spherical(db: &Db, asset_id: &str, spherical: bool) -> Result<()> {
    store::set_spherical(db, asset_id, spherical, now_ms()).await?;
    Ok(())
}
