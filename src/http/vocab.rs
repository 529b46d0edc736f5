//! The platform's vocabularies: domains (extensible by admins) and target groups.

use axum::{extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Caller, Json};
use crate::{
    accounts,
    catalogue::vocab::{self, Term, Vocabulary},
    error::{Error, FieldError, Result},
    http::AppState,
    values::{Slug, Text},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_domains, create_domain))
        .routes(routes!(list_target_groups))
        .routes(routes!(list_levels))
}

#[derive(Serialize, ToSchema)]
pub struct Level {
    level: u8,
    label_en: &'static str,
    label_zh: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct LevelList {
    items: Vec<Level>,
}

/// The graded level scale of courses (1 entry … 5 expert, as the five grades of vocational
/// skill certificates); credentials align their achievements to it.
#[utoipa::path(get, path = "/api/v1/vocabulary/levels", tag = "vocabulary",
    responses((status = 200, body = LevelList)))]
async fn list_levels() -> Json<LevelList> {
    let scale = [
        (1, "Entry (level 5 certificate)", "初级工（五级）"),
        (2, "Intermediate (level 4 certificate)", "中级工（四级）"),
        (3, "Advanced (level 3 certificate)", "高级工（三级）"),
        (4, "Technician (level 2 certificate)", "技师（二级）"),
        (5, "Expert (level 1 certificate)", "高级技师（一级）"),
    ];
    Json(LevelList {
        items: scale
            .into_iter()
            .map(|(level, label_en, label_zh)| Level {
                level,
                label_en,
                label_zh,
            })
            .collect(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct TermList {
    items: Vec<Term>,
}

/// Course domains with English and Chinese labels.
#[utoipa::path(get, path = "/api/v1/domains", tag = "vocabulary", responses((status = 200, body = TermList)))]
async fn list_domains(State(state): State<AppState>) -> Result<Json<TermList>> {
    let items = vocab::list(&state.db, Vocabulary::Domains).await?;
    Ok(Json(TermList { items }))
}

/// Add a domain (superadmins and organisation admins).
#[utoipa::path(post, path = "/api/v1/domains", tag = "vocabulary", request_body = Term,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Term), (status = 403, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem)))]
async fn create_domain(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<Term>,
) -> Result<(StatusCode, Json<Term>)> {
    let user = caller.user()?;
    if !user.is_superadmin {
        let memberships = accounts::memberships(&state.db, &user.id).await?;
        if !memberships.iter().any(|m| m.role == "admin") {
            return Err(Error::Forbidden);
        }
    }
    let mut errors = Vec::new();
    let slug = Slug::parse(&req.slug)
        .map_err(|m| errors.push(FieldError::new("slug", m)))
        .ok();
    let en = Text::parse(&req.label_en, 100)
        .map_err(|m| errors.push(FieldError::new("label_en", m)))
        .ok();
    let zh = Text::parse(&req.label_zh, 100)
        .map_err(|m| errors.push(FieldError::new("label_zh", m)))
        .ok();
    let (Some(slug), Some(en), Some(zh)) = (slug, en, zh) else {
        return Err(Error::Validation(errors));
    };
    vocab::add_domain(&state.db, &slug, &en, &zh).await?;
    let term = Term {
        slug: slug.into_string(),
        label_en: en.into_string(),
        label_zh: zh.into_string(),
    };
    Ok((StatusCode::CREATED, Json(term)))
}

/// Target groups of vocational training with English and Chinese labels.
#[utoipa::path(get, path = "/api/v1/target-groups", tag = "vocabulary", responses((status = 200, body = TermList)))]
async fn list_target_groups(State(state): State<AppState>) -> Result<Json<TermList>> {
    let items = vocab::list(&state.db, Vocabulary::TargetGroups).await?;
    Ok(Json(TermList { items }))
}
