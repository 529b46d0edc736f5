//! The media area's SQL: assets, their renditions, and what processing reads of uploads and
//! blobs.

use super::assets::{AssetRow, CoursePosterRow, NewAsset, NewRendition, RenditionRow};
use crate::db::Db;

const COLUMNS: &str =
    "id, org_id, user_id, source_sha256, filename, kind, mime, status, progress, error_code, \
                       error_detail, duration_ms, width, height, spherical, job_id";

/// The asset of this id.
pub(crate) async fn asset(db: &Db, id: &str) -> sqlx::Result<Option<AssetRow>> {
    sqlx::query_as::<_, AssetRow>(&format!("SELECT {COLUMNS} FROM assets WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// The asset's renditions, by role, height and name.
pub(crate) async fn renditions(db: &Db, asset_id: &str) -> sqlx::Result<Vec<RenditionRow>> {
    sqlx::query_as::<_, RenditionRow>(
        "SELECT name, role, sha256, bytes, mime, width, height, bitrate, codecs, language, label, fragments \
         FROM renditions WHERE asset_id = $1 ORDER BY role, height, name",
    )
    .bind(asset_id)
    .fetch_all(&db.pool)
    .await
}

/// Poster renditions (`poster`, `poster-large`) for these courses: an uploaded poster image
/// first, then the chosen poster unit's asset, then the units' by position.
pub(crate) async fn course_posters(
    db: &Db,
    course_ids: &[String],
) -> sqlx::Result<Vec<CoursePosterRow>> {
    if course_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (1..=course_ids.len()).map(|i| format!("${i}")).collect();
    let list = list.join(", ");
    let sql = format!(
        "SELECT course_id, asset_id, role, sha256, mime, width, height FROM ( \
           SELECT c.id AS course_id, c.poster_asset_id AS asset_id, r.role, r.sha256, r.mime, \
                  r.width, r.height, 0 AS prio, 0 AS position \
           FROM courses c JOIN renditions r ON r.asset_id = c.poster_asset_id \
           WHERE c.id IN ({list}) AND r.role IN ('poster', 'poster-large') \
           UNION ALL \
           SELECT u.course_id, u.asset_id, r.role, r.sha256, r.mime, r.width, r.height, \
                  CASE WHEN u.id = c.poster_unit_id THEN 1 ELSE 2 END AS prio, u.position \
           FROM units u JOIN courses c ON c.id = u.course_id \
           JOIN renditions r ON r.asset_id = u.asset_id \
           WHERE u.course_id IN ({list}) AND r.role IN ('poster', 'poster-large') \
         ) p ORDER BY course_id, prio, position, role"
    );
    let mut query = sqlx::query_as::<_, CoursePosterRow>(&sql);
    for id in course_ids {
        query = query.bind(id);
    }
    query.fetch_all(&db.pool).await
}

/// Inserts a queued asset processed by the job `job_id`.
pub(crate) async fn insert_asset(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    new: &NewAsset<'_>,
    job_id: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    // Without a job there is nothing to process: the asset is ready as it is.
    let status = if job_id.is_some() { "queued" } else { "ready" };
    sqlx::query(
        "INSERT INTO assets (id, org_id, user_id, source_sha256, filename, kind, mime, status, job_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9, $9)",
    )
    .bind(id)
    .bind(new.org_id)
    .bind(new.user_id)
    .bind(new.sha.as_str())
    .bind(new.filename)
    .bind(new.kind.as_str())
    .bind(new.mime)
    .bind(job_id)
    .bind(now)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes an asset (its renditions go with it); blobs stay, as other assets may share them.
pub(crate) async fn delete_asset(db: &Db, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM assets WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Links the upload to the asset unless it has one already; returns the rows updated.
pub(crate) async fn link_upload(
    conn: &mut sqlx::AnyConnection,
    asset_id: &str,
    upload_id: &str,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE uploads SET asset_id = $1 WHERE id = $2 AND asset_id IS NULL")
            .bind(asset_id)
            .bind(upload_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The asset the upload made, if any.
pub(crate) async fn upload_asset_id(db: &Db, upload_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT asset_id FROM uploads WHERE id = $1")
        .bind(upload_id)
        .fetch_one(&db.pool)
        .await
}

/// Attaches the asset to the unit.
pub(crate) async fn attach_to_unit(
    conn: &mut sqlx::AnyConnection,
    asset_id: &str,
    unit_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE units SET asset_id = $1 WHERE id = $2")
        .bind(asset_id)
        .bind(unit_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the asset's status and progress.
pub(crate) async fn set_status(
    db: &Db,
    id: &str,
    status: &str,
    progress: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE assets SET status = $1, progress = $2, updated_at = $3 WHERE id = $4")
        .bind(status)
        .bind(progress)
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Sets the progress of an asset that is processing.
pub(crate) async fn set_progress(db: &Db, id: &str, progress: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE assets SET progress = $1, updated_at = $2 WHERE id = $3 AND status = 'processing'",
    )
    .bind(progress)
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Marks the asset failed with the error's code and detail.
pub(crate) async fn set_failed(
    db: &Db,
    id: &str,
    code: &str,
    detail: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE assets SET status = 'failed', error_code = $1, error_detail = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(code)
    .bind(detail)
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Sets whether the asset is a 360° video.
pub(crate) async fn set_spherical(
    db: &Db,
    asset_id: &str,
    spherical: bool,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE assets SET spherical = $1, updated_at = $2 WHERE id = $3")
        .bind(spherical)
        .bind(now)
        .bind(asset_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// What probing found of an audio or video source.
pub(crate) struct Probed<'a> {
    pub kind: &'a str,
    pub duration_ms: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub spherical: bool,
}

/// Records the probed kind, duration, size and projection on the asset.
pub(crate) async fn set_probed(
    db: &Db,
    asset_id: &str,
    p: Probed<'_>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE assets SET kind = $1, duration_ms = $2, width = $3, height = $4, spherical = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(p.kind)
    .bind(p.duration_ms)
    .bind(p.width)
    .bind(p.height)
    .bind(p.spherical)
    .bind(now)
    .bind(asset_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Sets the facts of a restored asset.
pub(crate) async fn set_facts(
    db: &Db,
    asset_id: &str,
    f: &super::assets::Facts,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE assets SET duration_ms = $1, width = $2, height = $3, spherical = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(f.duration_ms)
    .bind(f.width)
    .bind(f.height)
    .bind(f.spherical)
    .bind(now)
    .bind(asset_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Makes the asset a glTF model served file by file.
pub(crate) async fn set_model_package(db: &Db, asset_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE assets SET kind = 'model', mime = 'model/gltf+json' WHERE id = $1")
        .bind(asset_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Inserts the rendition, or replaces the asset's rendition of the same name.
pub(crate) async fn upsert_rendition<'e, E>(
    db: E,
    asset_id: &str,
    r: NewRendition<'_>,
) -> sqlx::Result<()>
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

/// The number of asset pairs (0 or 1) of these two ids that share an organisation.
pub(crate) async fn same_org_count(db: &Db, asset_id: &str, other_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM assets a JOIN assets b ON a.org_id = b.org_id WHERE a.id = $1 AND b.id = $2",
    )
    .bind(asset_id)
    .bind(other_id)
    .fetch_one(&db.pool)
    .await
}

/// The Upload-Metadata (JSON) of the upload that made the asset.
pub(crate) async fn upload_metadata(db: &Db, asset_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT metadata FROM uploads WHERE asset_id = $1")
        .bind(asset_id)
        .fetch_optional(&db.pool)
        .await
}

/// The number of assets besides `asset_id`, failed ones left out, whose source is this blob.
pub(crate) async fn other_source_users(db: &Db, sha: &str, asset_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM assets WHERE source_sha256 = $1 AND status <> 'failed' AND id <> $2",
    )
    .bind(sha)
    .bind(asset_id)
    .fetch_one(&db.pool)
    .await
}

/// Deletes the blob's row.
pub(crate) async fn delete_blob(db: &Db, sha: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM blobs WHERE sha256 = $1")
        .bind(sha)
        .execute(&db.pool)
        .await?;
    Ok(())
}
