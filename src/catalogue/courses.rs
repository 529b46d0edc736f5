//! Course records: create, edit, publish, read and list with filters and a cursor.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    input::Parsed,
    store::{self, courses::NewCourse},
    units::{self, UnitView},
    Visibility,
};
use crate::{
    accounts::User,
    db::{time::now_ms, Db},
    error::{Error, Result},
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
    pub poster_unit_id: Option<String>,
    pub poster_asset_id: Option<String>,
}

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
    /// The unit whose poster stands for the course; null: its first unit with a poster.
    pub poster_unit_id: Option<String>,
    /// An image asset uploaded for the course's poster; it goes before any unit's.
    pub poster_asset_id: Option<String>,
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
            poster_unit_id: r.poster_unit_id,
            poster_asset_id: r.poster_asset_id,
            units: None,
        }
    }
}

pub async fn create(db: &Db, org_id: &str, author: &str, p: Parsed) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let (Some(title), Some(domain), Some(level), Some(language)) =
        (p.title, p.domain, p.level, p.language)
    else {
        return Err(Error::Internal(anyhow::anyhow!(
            "course input parsed without required fields"
        )));
    };
    let mut tx = db.pool.begin().await?;
    store::courses::insert(
        &mut tx,
        NewCourse {
            id: &id,
            org_id,
            title: title.as_str(),
            summary: p.summary.unwrap_or_default(),
            domain,
            level,
            language: language.as_str(),
            credit_value: p.credit_value.unwrap_or(0.0),
            estimated_minutes: p.estimated_minutes.unwrap_or(0),
            author,
            now,
        },
    )
    .await?;
    store::course_lists::replace(&mut tx, &id, p.target_groups, p.tags).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update(db: &Db, id: &str, p: Parsed) -> Result<()> {
    if let Some(unit) = p.poster_unit_id.as_deref().filter(|u| !u.is_empty()) {
        units::get(db, id, unit).await.map_err(|e| match e {
            Error::NotFound => Error::field(
                "poster_unit_id",
                "must be a unit of this course (or \"\" for its first unit's poster)",
            ),
            e => e,
        })?;
    }
    if let Some(asset) = p.poster_asset_id.as_deref().filter(|a| !a.is_empty()) {
        let course = row(db, id).await?;
        let image = crate::media::assets::find(db, asset).await?;
        if !image.is_some_and(|a| a.kind == "image" && a.org_id == course.org_id) {
            return Err(Error::field(
                "poster_asset_id",
                "must be an image uploaded by this course's organisation (or \"\" for a unit's poster)",
            ));
        }
    }
    let mut tx = db.pool.begin().await?;
    store::courses::update(&mut tx, id, &p, now_ms()).await?;
    store::course_lists::replace(&mut tx, id, p.target_groups, p.tags).await?;
    tx.commit().await?;
    Ok(())
}

/// Titles of the course's units lent by another organisation's course that is not public: such a
/// course cannot be made public (its audience would outgrow what the owners shared).
pub async fn lent_units_not_public(db: &Db, id: &str) -> Result<Vec<String>> {
    Ok(store::courses::lent_units_not_public(db, id).await?)
}

/// The refusal to make public a course holding these shared units.
pub fn not_public_error(titles: &[String]) -> Error {
    Error::Refused {
        code: "shared-units-not-public",
        detail: format!(
            "These units are shared with your organisation but not published to everyone by \
             their owners, so the course cannot be public: {}. Publish it to your organisation \
             or consortium, or remove them.",
            titles.join(", ")
        ),
    }
}

pub async fn set_visibility(db: &Db, id: &str, visibility: Visibility) -> Result<()> {
    if visibility == Visibility::Public {
        let lent = lent_units_not_public(db, id).await?;
        if !lent.is_empty() {
            return Err(not_public_error(&lent));
        }
    }
    let now = now_ms();
    let published_at = (visibility != Visibility::Draft).then_some(now);
    store::courses::set_visibility(db, id, visibility.as_str(), published_at, now).await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> Result<()> {
    Ok(store::courses::delete(db, id).await?)
}

/// The raw row, whoever asks (for authorisation decisions).
pub async fn row(db: &Db, id: &str) -> Result<CourseRow> {
    store::courses::row(db, id).await?.ok_or(Error::NotFound)
}

pub async fn is_visible(db: &Db, viewer: Option<&User>, id: &str) -> Result<bool> {
    Ok(store::courses::is_visible(db, viewer, id).await?)
}

/// One course with its units, if the viewer may see it.
pub async fn get(db: &Db, viewer: Option<&User>, id: &str) -> Result<CourseView> {
    if !is_visible(db, viewer, id).await? {
        return Err(Error::NotFound);
    }
    view(db, id).await
}

/// One course with its units, for a caller already allowed to see it.
pub async fn view(db: &Db, id: &str) -> Result<CourseView> {
    let row = row(db, id).await?;
    let mut view = views(db, vec![row]).await?.pop().ok_or(Error::NotFound)?;
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

/// Newest first; ids are UUIDv7, so the last id of a page is the cursor.
pub async fn list(db: &Db, viewer: Option<&User>, q: ListQuery) -> Result<CoursePage> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(Error::bad_request(
            "invalid-query",
            "limit must be between 1 and 100",
        ));
    }
    if q.level.is_some_and(|level| !(1..=5).contains(&level)) {
        return Err(Error::bad_request(
            "invalid-query",
            "level must be between 1 and 5",
        ));
    }
    let language = q
        .language
        .map(|lang| {
            crate::values::LanguageTag::parse(&lang)
                .map(crate::values::LanguageTag::into_string)
                .map_err(|m| Error::bad_request("invalid-query", format!("language {m}")))
        })
        .transpose()?;
    let filter = store::courses::Filter {
        text: q
            .q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        domain: q.domain,
        level: q.level,
        target_group: q.target_group,
        language,
        org_id: q.org_id,
        cursor: q.cursor,
    };
    let mut rows = store::courses::list(db, viewer, filter, limit + 1).await?;
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
async fn views(db: &Db, rows: Vec<CourseRow>) -> Result<Vec<CourseView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut groups = store::course_lists::target_groups_of(db, &ids).await?;
    let mut tags = store::course_lists::tags_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let g = groups.remove(&r.id).unwrap_or_default();
            let t = tags.remove(&r.id).unwrap_or_default();
            CourseView::from_row(r, g, t)
        })
        .collect())
}
