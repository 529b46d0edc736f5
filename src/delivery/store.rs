//! The delivery area's SQL: the URL signing keys, who an asset's bytes reach, and what an
//! offline bundle holds.

use crate::{
    accounts::User,
    catalogue::visibility,
    db::{Db, Flag, Placeholders},
    orgs::store::staff_membership,
};

/// A URL signing key as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    pub kid: String,
    /// The secret, hex.
    pub secret: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

/// Every URL signing key, newest first.
pub(crate) async fn signing_keys(db: &Db) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as::<_, KeyRow>(
        "SELECT kid, secret, active FROM signing_keys ORDER BY created_at DESC",
    )
    .fetch_all(&db.pool)
    .await
}

/// Deactivates every signing key and adds `kid` as the active one, together.
pub(crate) async fn add_active_signing_key(
    db: &Db,
    kid: &str,
    secret: &str,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE signing_keys SET active = FALSE")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, secret, active, created_at) VALUES ($1, $2, TRUE, $3)",
    )
    .bind(kid)
    .bind(secret)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Which assets a question is about.
#[derive(Clone, Copy)]
pub(crate) enum Carrier<'a> {
    Asset(&'a str),
    /// Every asset with a rendition stored as this blob.
    Blob(&'a str),
}

impl Carrier<'_> {
    /// `(SELECT asset ids)` with its one placeholder, and the value it binds.
    fn assets(&self, ph: &mut Placeholders) -> (String, String) {
        let p = ph.take();
        match self {
            Carrier::Asset(id) => (format!("(SELECT {p})"), (*id).to_owned()),
            Carrier::Blob(sha) => (
                format!("(SELECT asset_id FROM renditions WHERE sha256 = {p})"),
                (*sha).to_owned(),
            ),
        }
    }
}

/// Whether the user is a teacher or admin of an organisation owning one of the assets.
pub(crate) async fn staff_of_owner(
    db: &Db,
    user: &User,
    carrier: Carrier<'_>,
) -> sqlx::Result<bool> {
    let mut ph = Placeholders::default();
    let (assets, bind) = carrier.assets(&mut ph);
    let u = ph.take();
    let staff = staff_membership("m", &u, "a.org_id");
    let sql = format!("SELECT COUNT(*) FROM assets a WHERE a.id IN {assets} AND EXISTS ({staff})");
    let n: i64 = sqlx::query_scalar(&sql)
        .bind(bind)
        .bind(&user.id)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

/// Whether a unit carrying one of the assets is in a course the viewer sees and, when it
/// reuses another organisation's unit, whose source course the viewer sees too.
pub(crate) async fn reaches(
    db: &Db,
    viewer: Option<&User>,
    carrier: Carrier<'_>,
) -> sqlx::Result<bool> {
    let mut ph = Placeholders::default();
    let (assets, asset_bind) = carrier.assets(&mut ph);
    let mut binds = vec![asset_bind];
    let course = visibility::predicate_on("c", viewer, &mut ph, &mut binds);
    let source = visibility::predicate_on("sc", viewer, &mut ph, &mut binds);
    let sql = format!(
        "SELECT COUNT(*) FROM units u JOIN courses c ON c.id = u.course_id \
         LEFT JOIN units su ON su.id = u.source_unit_id \
         LEFT JOIN courses sc ON sc.id = su.course_id \
         WHERE u.asset_id IN {assets} AND {course} \
         AND (u.source_unit_id IS NULL OR sc.org_id = c.org_id OR {source})"
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql);
    for b in binds {
        query = query.bind(b);
    }
    Ok(query.fetch_one(&db.pool).await? > 0)
}

/// A unit lent by another course goes into a bundle only when its source course reaches
/// everyone the bundle's course reaches (a bundle, once signed or public, has no viewer to
/// check): a source of the same organisation (its own decision), a public source, or a
/// consortium source lent to an organisation-only course of a current consortium partner.
const LENT_REACHES_COURSE: &str = "(u.source_unit_id IS NULL OR EXISTS ( \
    SELECT 1 FROM units su JOIN courses sc ON sc.id = su.course_id WHERE su.id = u.source_unit_id \
    AND (sc.visibility = 'public' \
      OR sc.org_id = c.org_id \
      OR (sc.visibility = 'consortium' AND c.visibility = 'org' AND EXISTS ( \
          SELECT 1 FROM consortium_members ma JOIN consortium_members mb \
          ON ma.consortium_id = mb.consortium_id WHERE ma.org_id = sc.org_id \
          AND mb.org_id = c.org_id AND ma.status = 'active' AND mb.status = 'active')))))";

/// `(unit id, asset id)` of the course's units whose asset is ready and may go into a bundle,
/// in course order.
pub(crate) async fn bundle_units(db: &Db, course_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(&format!(
        "SELECT u.id, u.asset_id FROM units u JOIN assets a ON a.id = u.asset_id \
         JOIN courses c ON c.id = u.course_id \
         WHERE u.course_id = $1 AND a.status = 'ready' AND {LENT_REACHES_COURSE} \
         ORDER BY u.position, u.id"
    ))
    .bind(course_id)
    .fetch_all(&db.pool)
    .await
}

/// Records a blob's CRC-32.
pub(crate) async fn record_crc32(db: &Db, sha: &str, crc: u32) -> sqlx::Result<()> {
    sqlx::query("UPDATE blobs SET crc32 = $1 WHERE sha256 = $2")
        .bind(i64::from(crc))
        .bind(sha)
        .execute(&db.pool)
        .await?;
    Ok(())
}
