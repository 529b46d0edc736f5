//! Course records: create, edit, publish, read and list with filters and a cursor.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{input::Parsed, units::UnitView, visibility, Visibility};
use crate::{
    accounts::User,
    db::{time::now_ms, Db, Placeholders},
    error::{AppError, AppResult},
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourseRow {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub summary: String,
    pub domain: String,
    pub level: i64,
    pub language: String,
    pub credit_value: f64,
    pub estimated_minutes: i64,
    pub visibility: String,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "c.id, c.org_id, c.title, c.summary, c.domain, c.level, c.language, \
    c.credit_value, c.estimated_minutes, c.visibility, c.published_at, c.created_at, c.updated_at";

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseView {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub summary: String,
    pub domain: String,
    pub level: i64,
    pub target_groups: Vec<String>,
    pub language: String,
    pub credit_value: f64,
    pub estimated_minutes: i64,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// In order; present on single-course responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<UnitView>>,
}

impl CourseView {
    fn from_row(r: CourseRow, target_groups: Vec<String>, tags: Vec<String>) -> Self {
        use crate::db::time::to_rfc3339;
        let visibility = match r.visibility.as_str() {
            "org" => Visibility::Org,
            "consortium" => Visibility::Consortium,
            "public" => Visibility::Public,
            _ => Visibility::Draft,
        };
        Self {
            id: r.id,
            org_id: r.org_id,
            title: r.title,
            summary: r.summary,
            domain: r.domain,
            level: r.level,
            target_groups,
            language: r.language,
            credit_value: r.credit_value,
            estimated_minutes: r.estimated_minutes,
            tags,
            visibility,
            published_at: r.published_at.map(to_rfc3339),
            created_at: to_rfc3339(r.created_at),
            updated_at: to_rfc3339(r.updated_at),
            units: None,
        }
    }
}

pub async fn create(db: &Db, org_id: &str, author: &str, p: Parsed) -> AppResult<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let (Some(title), Some(domain), Some(level), Some(language)) =
        (p.title, p.domain, p.level, p.language)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "course input parsed without required fields"
        )));
    };
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO courses (id, org_id, title, summary, domain, level, language, credit_value, \
         estimated_minutes, visibility, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $11)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(title.as_str())
    .bind(p.summary.unwrap_or_default())
    .bind(domain)
    .bind(level)
    .bind(language.as_str())
    .bind(p.credit_value.unwrap_or(0.0))
    .bind(p.estimated_minutes.unwrap_or(0))
    .bind(author)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    replace_lists(&mut tx, &id, p.target_groups, p.tags).await?;
    tx.commit().await?;
    Ok(id)
}

async fn replace_lists(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    target_groups: Option<Vec<String>>,
    tags: Option<Vec<String>>,
) -> AppResult<()> {
    if let Some(groups) = target_groups {
        sqlx::query("DELETE FROM course_target_groups WHERE course_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for g in groups {
            sqlx::query(
                "INSERT INTO course_target_groups (course_id, target_group) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(g)
            .execute(&mut **tx)
            .await?;
        }
    }
    if let Some(tags) = tags {
        sqlx::query("DELETE FROM course_tags WHERE course_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for t in tags {
            sqlx::query("INSERT INTO course_tags (course_id, tag) VALUES ($1, $2)")
                .bind(id)
                .bind(t)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

pub async fn update(db: &Db, id: &str, p: Parsed) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "UPDATE courses SET title = COALESCE($1, title), summary = COALESCE($2, summary), \
         domain = COALESCE($3, domain), level = COALESCE($4, level), language = COALESCE($5, language), \
         credit_value = COALESCE($6, credit_value), estimated_minutes = COALESCE($7, estimated_minutes), \
         updated_at = $8 WHERE id = $9",
    )
    .bind(p.title.map(|t| t.into_string()))
    .bind(p.summary)
    .bind(p.domain)
    .bind(p.level)
    .bind(p.language.map(|l| l.into_string()))
    .bind(p.credit_value)
    .bind(p.estimated_minutes)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    replace_lists(&mut tx, id, p.target_groups, p.tags).await?;
    tx.commit().await?;
    Ok(())
}

/// Titles of the course's units lent by another organisation's course that is not public: such a
/// course cannot be made public (its audience would outgrow what the owners shared).
pub async fn lent_units_not_public(db: &Db, id: &str) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.title FROM units u JOIN courses c ON c.id = u.course_id \
         LEFT JOIN units su ON su.id = u.source_unit_id \
         LEFT JOIN courses sc ON sc.id = su.course_id \
         WHERE u.course_id = $1 AND u.source_unit_id IS NOT NULL \
         AND (sc.org_id IS NULL OR sc.org_id <> c.org_id) \
         AND (sc.visibility IS NULL OR sc.visibility <> 'public') ORDER BY u.position",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?)
}

/// The refusal to make public a course holding these shared units.
pub fn not_public_error(titles: &[String]) -> AppError {
    AppError::Status {
        status: 409,
        code: "shared-units-not-public",
        detail: format!(
            "These units are shared with your organisation but not published to everyone by \
             their owners, so the course cannot be public: {}. Publish it to your organisation \
             or consortium, or remove them.",
            titles.join(", ")
        ),
    }
}

pub async fn set_visibility(db: &Db, id: &str, visibility: Visibility) -> AppResult<()> {
    if visibility == Visibility::Public {
        let lent = lent_units_not_public(db, id).await?;
        if !lent.is_empty() {
            return Err(not_public_error(&lent));
        }
    }
    let now = now_ms();
    let published_at = (visibility != Visibility::Draft).then_some(now);
    sqlx::query(
        "UPDATE courses SET visibility = $1, published_at = CASE WHEN $2 IS NULL THEN NULL \
         ELSE COALESCE(published_at, $2) END, updated_at = $3 WHERE id = $4",
    )
    .bind(visibility.as_str())
    .bind(published_at)
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM courses WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The raw row, whoever asks (for authorisation decisions).
pub async fn row(db: &Db, id: &str) -> AppResult<CourseRow> {
    sqlx::query_as::<_, CourseRow>(&format!("SELECT {COLUMNS} FROM courses c WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn is_visible(db: &Db, viewer: Option<&User>, id: &str) -> AppResult<bool> {
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

/// One course with its units, if the viewer may see it.
pub async fn get(db: &Db, viewer: Option<&User>, id: &str) -> AppResult<CourseView> {
    if !is_visible(db, viewer, id).await? {
        return Err(AppError::NotFound);
    }
    view(db, id).await
}

/// One course with its units, for a caller already allowed to see it.
pub async fn view(db: &Db, id: &str) -> AppResult<CourseView> {
    let row = row(db, id).await?;
    let mut view = views(db, vec![row])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    view.units = Some(super::units::list(db, id).await?);
    Ok(view)
}

#[derive(Deserialize, IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Text to find in title, summary or tags.
    pub q: Option<String>,
    pub domain: Option<String>,
    pub level: Option<i64>,
    pub target_group: Option<String>,
    /// A language tag; `zh` also matches `zh-CN`.
    pub language: Option<String>,
    pub org_id: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CoursePage {
    pub items: Vec<CourseView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn like_pattern(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Newest first; ids are UUIDv7, so the last id of a page is the cursor.
pub async fn list(db: &Db, viewer: Option<&User>, q: ListQuery) -> AppResult<CoursePage> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid-query",
            "limit must be between 1 and 100",
        ));
    }
    let mut ph = Placeholders::default();
    let mut binds = Vec::new();
    let mut clauses = vec![visibility::predicate(viewer, &mut ph, &mut binds)];
    let mut push = |clause: &dyn Fn(&str) -> String, value: String, ph: &mut Placeholders| {
        let p = ph.take();
        clauses.push(clause(&p));
        binds.push(value);
    };
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        push(
            &|p| {
                format!("(LOWER(c.title) LIKE {p} ESCAPE '\\' OR LOWER(c.summary) LIKE {p} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM course_tags t WHERE t.course_id = c.id AND t.tag LIKE {p} ESCAPE '\\'))")
            },
            like_pattern(text),
            &mut ph,
        );
    }
    if let Some(d) = q.domain {
        push(&|p| format!("c.domain = {p}"), d, &mut ph);
    }
    if let Some(level) = q.level {
        if !(1..=5).contains(&level) {
            return Err(AppError::bad_request(
                "invalid-query",
                "level must be between 1 and 5",
            ));
        }
        push(
            &|p| format!("c.level = CAST({p} AS INTEGER)"),
            level.to_string(),
            &mut ph,
        );
    }
    if let Some(g) = q.target_group {
        push(
            &|p| {
                format!("EXISTS (SELECT 1 FROM course_target_groups g WHERE g.course_id = c.id AND g.target_group = {p})")
            },
            g,
            &mut ph,
        );
    }
    if let Some(lang) = q.language {
        let tag = crate::values::LanguageTag::parse(&lang)
            .map_err(|m| AppError::bad_request("invalid-query", format!("language {m}")))?;
        push(
            &|p| format!("(c.language = {p} OR c.language LIKE {p} || '-%')"),
            tag.into_string(),
            &mut ph,
        );
    }
    if let Some(org) = q.org_id {
        push(&|p| format!("c.org_id = {p}"), org, &mut ph);
    }
    if let Some(cursor) = q.cursor {
        push(&|p| format!("c.id < {p}"), cursor, &mut ph);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM courses c WHERE {} ORDER BY c.id DESC LIMIT {}",
        clauses.join(" AND "),
        limit + 1
    );
    let mut query = sqlx::query_as::<_, CourseRow>(&sql);
    for b in binds {
        query = query.bind(b);
    }
    let mut rows = query.fetch_all(&db.pool).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok(CoursePage {
        items: views(db, rows).await?,
        next_cursor,
    })
}

/// Attaches target groups and tags to a page of rows in two queries.
async fn views(db: &Db, rows: Vec<CourseRow>) -> AppResult<Vec<CourseView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut ph = Placeholders::default();
    let list = rows
        .iter()
        .map(|_| ph.take())
        .collect::<Vec<_>>()
        .join(", ");
    let mut lists: [HashMap<String, Vec<String>>; 2] = Default::default();
    for (i, sql) in [
        format!("SELECT course_id, target_group FROM course_target_groups WHERE course_id IN ({list}) ORDER BY target_group"),
        format!("SELECT course_id, tag FROM course_tags WHERE course_id IN ({list}) ORDER BY tag"),
    ]
    .iter()
    .enumerate()
    {
        let mut q = sqlx::query_as::<_, (String, String)>(sql);
        for r in &rows {
            q = q.bind(&r.id);
        }
        for (course, value) in q.fetch_all(&db.pool).await? {
            lists[i].entry(course).or_default().push(value);
        }
    }
    let [mut groups, mut tags] = lists;
    Ok(rows
        .into_iter()
        .map(|r| {
            let g = groups.remove(&r.id).unwrap_or_default();
            let t = tags.remove(&r.id).unwrap_or_default();
            CourseView::from_row(r, g, t)
        })
        .collect())
}
