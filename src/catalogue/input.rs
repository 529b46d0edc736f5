//! Parsing course fields from requests: every problem is collected as a field error, so a
//! teacher sees all of them at once.

use serde::Deserialize;
use utoipa::ToSchema;

use super::store;
use crate::{
    db::Db,
    error::{Error, FieldError, Result},
    values::{LanguageTag, Text},
};

/// The editable fields of a course; on create the required ones must be present.
#[derive(Deserialize, ToSchema, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct CourseFields {
    /// Owning organisation (create only).
    pub org_id: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// A domain slug from `GET /api/v1/domains`.
    pub domain: Option<String>,
    /// 1 = entry … 5 = expert.
    pub level: Option<i64>,
    /// Target group slugs from `GET /api/v1/target-groups`.
    pub target_groups: Option<Vec<String>>,
    /// BCP 47 language tag, e.g. `zh-CN`.
    pub language: Option<String>,
    pub credit_value: Option<f64>,
    pub estimated_minutes: Option<i64>,
    pub tags: Option<Vec<String>>,
    /// Only `draft` may be given here; publishing is `POST /courses/{id}/publish`.
    pub visibility: Option<String>,
    /// The unit whose poster shows on the course's card and page (update only); `""` goes back
    /// to the first unit with a poster.
    pub poster_unit_id: Option<String>,
    /// An image asset (uploaded like any file) for the course's card and page, before any
    /// unit's poster (update only); `""` goes back to the units' posters.
    pub poster_asset_id: Option<String>,
}

/// Validated values; `None` means "not given" (keep the current value on update).
#[derive(Default, Debug)]
pub struct Parsed {
    pub title: Option<Text>,
    pub summary: Option<String>,
    pub domain: Option<String>,
    pub level: Option<i64>,
    pub target_groups: Option<Vec<String>>,
    pub language: Option<LanguageTag>,
    pub credit_value: Option<f64>,
    pub estimated_minutes: Option<i64>,
    pub tags: Option<Vec<String>>,
    pub poster_unit_id: Option<String>,
    pub poster_asset_id: Option<String>,
}

pub async fn parse(db: &Db, f: CourseFields, creating: bool) -> Result<Parsed> {
    let mut errors = Vec::new();
    let mut err = |field: &str, m: &str| errors.push(FieldError::new(field, m));
    let mut out = Parsed::default();

    if creating {
        for (name, present) in [
            ("title", f.title.is_some()),
            ("domain", f.domain.is_some()),
            ("level", f.level.is_some()),
            ("language", f.language.is_some()),
        ] {
            if !present {
                err(name, "is required");
            }
        }
    }
    if let Some(unit) = f.poster_unit_id {
        if creating {
            err(
                "poster_unit_id",
                "a new course has no units yet; choose its poster afterwards",
            );
        } else if unit.len() > 64 {
            err("poster_unit_id", "is not a unit id");
        } else {
            out.poster_unit_id = Some(unit);
        }
    }
    if let Some(asset) = f.poster_asset_id {
        if creating {
            err(
                "poster_asset_id",
                "a new course has no uploads yet; choose its poster afterwards",
            );
        } else if asset.len() > 64 {
            err("poster_asset_id", "is not an asset id");
        } else {
            out.poster_asset_id = Some(asset);
        }
    }
    if let Some(v) = f.visibility.as_deref() {
        if v != "draft" {
            err("visibility", "new and edited courses stay drafts; publish with POST /api/v1/courses/{id}/publish");
        }
    }
    if let Some(t) = f.title {
        match Text::parse(&t, 200) {
            Ok(t) => out.title = Some(t),
            Err(m) => err("title", &m),
        }
    }
    if let Some(s) = f.summary {
        if s.chars().count() > 5000 {
            err("summary", "must be at most 5000 characters");
        } else {
            out.summary = Some(s.trim().to_owned());
        }
    }
    if let Some(level) = f.level {
        if (1..=5).contains(&level) {
            out.level = Some(level);
        } else {
            err("level", "must be 1 (entry) to 5 (expert)");
        }
    }
    if let Some(lang) = f.language {
        match LanguageTag::parse(&lang) {
            Ok(l) => out.language = Some(l),
            Err(m) => err("language", m),
        }
    }
    if let Some(c) = f.credit_value {
        if c.is_finite() && (0.0..=1000.0).contains(&c) {
            out.credit_value = Some(c);
        } else {
            err("credit_value", "must be between 0 and 1000");
        }
    }
    if let Some(m) = f.estimated_minutes {
        if (0..=100_000).contains(&m) {
            out.estimated_minutes = Some(m);
        } else {
            err("estimated_minutes", "must be between 0 and 100000");
        }
    }
    if let Some(tags) = f.tags {
        let mut clean: Vec<String> = Vec::new();
        for tag in tags {
            let t = tag.trim().to_lowercase();
            if t.is_empty() || t.chars().count() > 50 {
                err("tags", "each tag must be 1–50 characters");
            } else if !clean.contains(&t) {
                clean.push(t);
            }
        }
        if clean.len() > 20 {
            err("tags", "at most 20 tags");
        }
        out.tags = Some(clean);
    }
    if let Some(domain) = f.domain {
        let known = store::vocab::count_domains(db, &domain).await?;
        if known == 0 {
            err("domain", "is not a known domain (see GET /api/v1/domains)");
        } else {
            out.domain = Some(domain);
        }
    }
    if let Some(groups) = f.target_groups {
        let mut clean: Vec<String> = Vec::new();
        for g in groups {
            let known = store::vocab::count_target_groups(db, &g).await?;
            if known == 0 {
                err(
                    "target_groups",
                    "contains an unknown target group (see GET /api/v1/target-groups)",
                );
            } else if !clean.contains(&g) {
                clean.push(g);
            }
        }
        out.target_groups = Some(clean);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Validation(errors))
    }
}
