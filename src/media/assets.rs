//! Asset records: one uploaded source plus every rendition derived from it.

use serde::Serialize;
use utoipa::ToSchema;

use super::AssetKind;
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

const COLUMNS: &str =
    "id, org_id, user_id, source_sha256, filename, kind, mime, status, progress, error_code, \
                       error_detail, duration_ms, width, height, spherical, job_id";

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

pub async fn get(db: &Db, id: &str) -> Result<AssetRow> {
    sqlx::query_as::<_, AssetRow>(&format!("SELECT {COLUMNS} FROM assets WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn renditions(db: &Db, asset_id: &str) -> Result<Vec<RenditionRow>> {
    Ok(sqlx::query_as::<_, RenditionRow>(
        "SELECT name, role, sha256, bytes, mime, width, height, bitrate, codecs, language, label, fragments \
         FROM renditions WHERE asset_id = $1 ORDER BY role, height, name",
    )
    .bind(asset_id)
    .fetch_all(&db.pool)
    .await?)
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
    sqlx::query(
        "INSERT INTO assets (id, org_id, user_id, source_sha256, filename, kind, mime, status, job_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $9)",
    )
    .bind(&id)
    .bind(new.org_id)
    .bind(new.user_id)
    .bind(new.sha.as_str())
    .bind(new.filename)
    .bind(new.kind.as_str())
    .bind(new.mime)
    .bind(&job_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let Some(upload) = new.upload_id {
        let linked =
            sqlx::query("UPDATE uploads SET asset_id = $1 WHERE id = $2 AND asset_id IS NULL")
                .bind(&id)
                .bind(upload)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if linked == 0 {
            tx.rollback().await?;
            let existing: Option<String> =
                sqlx::query_scalar("SELECT asset_id FROM uploads WHERE id = $1")
                    .bind(upload)
                    .fetch_one(&db.pool)
                    .await?;
            return existing.ok_or(Error::NotFound);
        }
    }
    if let Some(unit) = new.unit_id {
        sqlx::query("UPDATE units SET asset_id = $1 WHERE id = $2")
            .bind(&id)
            .bind(unit)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

pub async fn set_status(db: &Db, id: &str, status: &str, progress: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE assets SET status = $1, progress = $2, updated_at = $3 WHERE id = $4")
        .bind(status)
        .bind(progress)
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn set_progress(db: &Db, id: &str, progress: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE assets SET progress = $1, updated_at = $2 WHERE id = $3 AND status = 'processing'",
    )
    .bind(progress)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn set_failed(db: &Db, id: &str, code: &str, detail: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE assets SET status = 'failed', error_code = $1, error_detail = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(code)
    .bind(detail)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
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

/// Inserts or replaces a rendition (a retried job writes the same names again).
pub async fn put_rendition<'e, E>(db: E, asset_id: &str, r: NewRendition<'_>) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO renditions (asset_id, name, role, sha256, bytes, mime, width, height, bitrate, codecs, language, label, fragments) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (asset_id, name) DO UPDATE SET role = excluded.role, sha256 = excluded.sha256, \
         bytes = excluded.bytes, mime = excluded.mime, width = excluded.width, height = excluded.height, \
         bitrate = excluded.bitrate, codecs = excluded.codecs, language = excluded.language, \
         label = excluded.label, fragments = excluded.fragments",
    )
    .bind(asset_id)
    .bind(r.name)
    .bind(r.role)
    .bind(r.sha256.as_str())
    .bind(r.bytes as i64)
    .bind(r.mime)
    .bind(r.width)
    .bind(r.height)
    .bind(r.bitrate)
    .bind(r.codecs)
    .bind(r.language)
    .bind(r.label)
    .bind(r.fragments)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a video as 360° (equirectangular) or not: the player then shows it in the viewer.
pub async fn set_spherical(db: &Db, asset_id: &str, spherical: bool) -> Result<()> {
    sqlx::query("UPDATE assets SET spherical = $1, updated_at = $2 WHERE id = $3")
        .bind(spherical)
        .bind(crate::db::time::now_ms())
        .bind(asset_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
