//! Courses and their target-group and tag lists.

use sqlx::AnyConnection;

use super::visibility;
use crate::{
    accounts::User,
    catalogue::{courses::CourseRow, input::Parsed},
    db::{optional_float, Db, Placeholders},
    values::{LanguageTag, Text},
};

const COLUMNS: &str = "c.id, c.org_id, c.title, c.summary, c.domain, c.level, c.language, \
    c.credit_value, c.estimated_minutes, c.visibility, c.published_at, c.created_at, c.updated_at, \
    c.poster_unit_id, c.poster_asset_id";

/// The values of a new draft course.
pub(crate) struct NewCourse<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub title: &'a str,
    pub summary: String,
    pub domain: String,
    pub level: i64,
    pub language: &'a str,
    pub credit_value: f64,
    pub estimated_minutes: i64,
    pub author: &'a str,
    pub now: i64,
}

/// Inserts a draft course.
pub(crate) async fn insert(conn: &mut AnyConnection, c: NewCourse<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO courses (id, org_id, title, summary, domain, level, language, credit_value, \
         estimated_minutes, visibility, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $11)",
    )
    .bind(c.id)
    .bind(c.org_id)
    .bind(c.title)
    .bind(c.summary)
    .bind(c.domain)
    .bind(c.level)
    .bind(c.language)
    .bind(c.credit_value)
    .bind(c.estimated_minutes)
    .bind(c.author)
    .bind(c.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the given fields of a course (the `None` ones keep their value) and its `updated_at`.
pub(crate) async fn update(
    conn: &mut AnyConnection,
    id: &str,
    p: &Parsed,
    now: i64,
) -> sqlx::Result<()> {
    let (has_credit_value, credit_value) = optional_float(p.credit_value);
    sqlx::query(
        "UPDATE courses SET title = COALESCE($1, title), summary = COALESCE($2, summary), \
         domain = COALESCE($3, domain), level = COALESCE($4, level), language = COALESCE($5, language), \
         credit_value = CASE WHEN $11 THEN $6 ELSE credit_value END, \
         estimated_minutes = COALESCE($7, estimated_minutes), \
         poster_unit_id = CASE WHEN $10 IS NULL THEN poster_unit_id WHEN $10 = '' THEN NULL ELSE $10 END, \
         poster_asset_id = CASE WHEN $12 IS NULL THEN poster_asset_id WHEN $12 = '' THEN NULL ELSE $12 END, \
         updated_at = $8 WHERE id = $9",
    )
    .bind(p.title.as_ref().map(Text::as_str))
    .bind(p.summary.as_deref())
    .bind(p.domain.as_deref())
    .bind(p.level)
    .bind(p.language.as_ref().map(LanguageTag::as_str))
    .bind(credit_value)
    .bind(p.estimated_minutes)
    .bind(now)
    .bind(id)
    .bind(p.poster_unit_id.as_deref())
    .bind(has_credit_value)
    .bind(p.poster_asset_id.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the course changed at `now`.
pub(crate) async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE courses SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Titles of the course's units lent by another organisation's course that is not public, in
/// unit order.
pub(crate) async fn lent_units_not_public(db: &Db, id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.title FROM units u JOIN courses c ON c.id = u.course_id \
         LEFT JOIN units su ON su.id = u.source_unit_id \
         LEFT JOIN courses sc ON sc.id = su.course_id \
         WHERE u.course_id = $1 AND u.source_unit_id IS NOT NULL \
         AND (sc.org_id IS NULL OR sc.org_id <> c.org_id) \
         AND (sc.visibility IS NULL OR sc.visibility <> 'public') ORDER BY u.position",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
}

/// Sets the visibility; `published_at` None clears the publication date, else keeps the first.
pub(crate) async fn set_visibility(
    db: &Db,
    id: &str,
    visibility: &str,
    published_at: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE courses SET visibility = $1, published_at = CASE WHEN $2 IS NULL THEN NULL \
         ELSE COALESCE(published_at, $2) END, updated_at = $3 WHERE id = $4",
    )
    .bind(visibility)
    .bind(published_at)
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Deletes the course.
pub(crate) async fn delete(db: &Db, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM courses WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The course's row, if it exists.
pub(crate) async fn row(db: &Db, id: &str) -> sqlx::Result<Option<CourseRow>> {
    sqlx::query_as::<_, CourseRow>(&format!("SELECT {COLUMNS} FROM courses c WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// The user who created the course.
pub(crate) async fn created_by(db: &Db, id: &str) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT created_by FROM courses WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
}

/// Whether the course exists and the viewer may see it.
pub(crate) async fn is_visible(db: &Db, viewer: Option<&User>, id: &str) -> sqlx::Result<bool> {
    let mut ph = Placeholders::default();
    let mut binds = Vec::new();
    let pred = visibility::predicate(viewer, &mut ph, &mut binds);
    let idp = ph.take();
    let sql = format!("SELECT COUNT(*) FROM courses c WHERE c.id = {idp} AND {pred}");
    let mut q = sqlx::query_scalar::<_, i64>(&sql);
    for b in binds {
        q = q.bind(b);
    }
    Ok(q.bind(id).fetch_one(&db.pool).await? > 0)
}

/// The filters of a course listing, already validated; each one given narrows it.
pub(crate) struct Filter {
    /// Text to find in title, summary or tags (trimmed, not empty).
    pub text: Option<String>,
    pub domain: Option<String>,
    pub level: Option<i64>,
    pub target_group: Option<String>,
    /// A normalised language tag; also matches its subtags.
    pub language: Option<String>,
    pub org_id: Option<String>,
    /// Only ids below this one.
    pub cursor: Option<String>,
}

fn like_pattern(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Up to `limit` rows the viewer may see that pass the filter, newest id first.
pub(crate) async fn list(
    db: &Db,
    viewer: Option<&User>,
    f: Filter,
    limit: i64,
) -> sqlx::Result<Vec<CourseRow>> {
    let mut ph = Placeholders::default();
    let mut binds = Vec::new();
    let mut clauses = vec![visibility::predicate(viewer, &mut ph, &mut binds)];
    let mut push = |clause: &dyn Fn(&str) -> String, value: String, ph: &mut Placeholders| {
        let p = ph.take();
        clauses.push(clause(&p));
        binds.push(value);
    };
    if let Some(text) = f.text {
        push(
            &|p| {
                format!("(LOWER(c.title) LIKE {p} ESCAPE '\\' OR LOWER(c.summary) LIKE {p} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM course_tags t WHERE t.course_id = c.id AND t.tag LIKE {p} ESCAPE '\\'))")
            },
            like_pattern(&text),
            &mut ph,
        );
    }
    if let Some(d) = f.domain {
        push(&|p| format!("c.domain = {p}"), d, &mut ph);
    }
    if let Some(level) = f.level {
        push(
            &|p| format!("c.level = CAST({p} AS INTEGER)"),
            level.to_string(),
            &mut ph,
        );
    }
    if let Some(g) = f.target_group {
        push(
            &|p| {
                format!("EXISTS (SELECT 1 FROM course_target_groups g WHERE g.course_id = c.id AND g.target_group = {p})")
            },
            g,
            &mut ph,
        );
    }
    if let Some(lang) = f.language {
        push(
            &|p| format!("(c.language = {p} OR c.language LIKE {p} || '-%')"),
            lang,
            &mut ph,
        );
    }
    if let Some(org) = f.org_id {
        push(&|p| format!("c.org_id = {p}"), org, &mut ph);
    }
    if let Some(cursor) = f.cursor {
        push(&|p| format!("c.id < {p}"), cursor, &mut ph);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM courses c WHERE {} ORDER BY c.id DESC LIMIT {limit}",
        clauses.join(" AND "),
    );
    let mut query = sqlx::query_as::<_, CourseRow>(&sql);
    for b in binds {
        query = query.bind(b);
    }
    query.fetch_all(&db.pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A course edited without its credit value and then with one, on the same connection:
    /// the second must not meet a statement PostgreSQL typed from the first's NULL.
    #[tokio::test]
    async fn an_edit_without_credits_then_one_with_them_on_one_connection() {
        let db = crate::db::scratch_postgres().await;
        let mut conn = db.pool.acquire().await.unwrap();
        let without = Parsed {
            summary: Some("first".into()),
            ..Default::default()
        };
        update(&mut conn, "no-such-course", &without, 1)
            .await
            .unwrap();
        let with = Parsed {
            credit_value: Some(2.5),
            ..Default::default()
        };
        update(&mut conn, "no-such-course", &with, 2).await.unwrap();
    }
}
