//! The learning account: a learner's totals and transcript, an organisation's credit rules and
//! its export for a credit bank, and the learner's choice of how credentials name them.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{negotiate, Caller, Format, Json, Path, Query};
use crate::{
    accounts::preferences,
    authz,
    credentials::{
        account::{self, Account, ExportRow, EXPORT_COLUMNS},
        rules::{self, CreditRules},
    },
    db::time::{now_ms, parse_rfc3339, to_rfc3339},
    error::{Error, Result},
    http::AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_account))
        .routes(routes!(my_transcript))
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(export_credits))
        .routes(routes!(get_preferences, put_preferences))
}

/// The caller's learning account: totals by domain and level, what converts to credit, and
/// every entry (revoked ones marked, counted in no total).
#[utoipa::path(get, path = "/api/v1/me/account", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Account), (status = 401, body = crate::http::problem::Problem)))]
async fn my_account(State(state): State<AppState>, caller: Caller) -> Result<Json<Account>> {
    let user = caller.user()?;
    let entries = account::entries(&state.db, &user.id).await?;
    Ok(Json(account::summarise(entries)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json`, `csv` or `html`; overrides the `Accept` header.
    format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Transcript {
    learner: TranscriptLearner,
    #[schema(value_type = String, format = DateTime)]
    generated_at: String,
    #[serde(flatten)]
    account: Account,
}

#[derive(Serialize, ToSchema)]
struct TranscriptLearner {
    id: String,
    name: String,
}

/// The caller's transcript: JSON, CSV (`Accept: text/csv` or `format=csv`) or a printable HTML
/// page (`Accept: text/html` or `format=html`), in Chinese or English by `Accept-Language`.
#[utoipa::path(get, path = "/api/v1/me/transcript", tag = "credentials", params(FormatQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content((Transcript = "application/json"), (String = "text/csv"), (String = "text/html"))),
              (status = 401, body = crate::http::problem::Problem)))]
async fn my_transcript(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<FormatQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let user = caller.user()?;
    let format = negotiate(q.format.as_deref(), &headers, &["json", "csv", "html"])
        .map_err(|e| Error::Validation(vec![e]))?;
    let entries = account::entries(&state.db, &user.id).await?;
    let transcript = Transcript {
        learner: TranscriptLearner {
            id: user.id.clone(),
            name: user.display_name.clone(),
        },
        generated_at: to_rfc3339(now_ms()),
        account: account::summarise(entries),
    };
    match format {
        Format::Json => Ok(Json(transcript).into_response()),
        Format::Csv => {
            let mut out = crate::spreadsheet::Sheet::default();
            let head = [
                "credential_id",
                "achievement",
                "issuer",
                "domain",
                "level",
                "hours",
                "credits",
                "convertible",
                "earned_at",
                "revoked_at",
            ];
            out.row(head)?;
            for e in &transcript.account.entries {
                out.row([
                    e.credential_id.clone(),
                    e.name.clone(),
                    e.org_name.clone(),
                    e.domain.clone().unwrap_or_default(),
                    e.level.map(|l| l.to_string()).unwrap_or_default(),
                    e.hours.to_string(),
                    e.credits.to_string(),
                    e.convertible.to_string(),
                    to_rfc3339(e.earned_at),
                    e.revoked_at.map(to_rfc3339).unwrap_or_default(),
                ])?;
            }
            let body = out.finish()?;
            Ok(download(
                "text/csv; charset=utf-8; header=present",
                "transcript.csv",
                body,
            ))
        }
        Format::Html => {
            let zh = super::pages::prefers_chinese(&headers);
            Ok(axum::response::Html(super::pages::transcript::render(
                &transcript.learner.name,
                &transcript.generated_at,
                &transcript.account,
                zh,
            )?)
            .into_response())
        }
    }
}

fn download(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The organisation's credit rules (org admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/credit-rules", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CreditRules), (status = 403, body = crate::http::problem::Problem)))]
async fn get_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<CreditRules>> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    Ok(Json(rules::load(&state.db, &org_id).await?))
}

/// Set how the organisation converts learning to credits (org admins): hours per credit for
/// learning without a credit value, level multipliers, and which outside certificates count.
/// Applies to credentials issued from now on; entries already recorded keep their conversion.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/credit-rules", tag = "credentials",
    request_body = CreditRules, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CreditRules), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(input): Json<CreditRules>,
) -> Result<Json<CreditRules>> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    rules::save(&state.db, &org_id, &user.id, &input).await?;
    Ok(Json(input))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only rows issued or revoked at or after this time (RFC 3339).
    since: Option<String>,
    /// `jsonl` (JSON Lines, the default) or `csv`; overrides the `Accept` header.
    format: Option<String>,
}

/// The organisation's learning-account entries for a credit bank (org admins), oldest change
/// first: JSON Lines or CSV, pseudonymous (the learner's stable id only), with stable entry and
/// credential ids, so exporting the same period again gives the same rows.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/credits:export", tag = "credentials",
    params(ExportQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, content((ExportRow = "application/x-ndjson"), (String = "text/csv"))),
              (status = 403, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
async fn export_credits(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<ExportQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    let format = negotiate(q.format.as_deref(), &headers, &["jsonl", "csv"])
        .map_err(|e| Error::Validation(vec![e]))?;
    let since = match q.since.as_deref() {
        None | Some("") => 0,
        Some(s) => {
            parse_rfc3339(s).ok_or_else(|| Error::field("since", "must be an RFC 3339 time"))?
        }
    };
    let rows = account::export(&state.db, &org_id, since).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        user,
        "credits.exported",
        &org_id,
        serde_json::json!({"rows": rows.len(), "since": q.since}),
    )
    .await;
    if format == Format::Csv {
        let mut out = crate::spreadsheet::Sheet::default();
        out.row(EXPORT_COLUMNS)?;
        for r in &rows {
            out.row(r.cells())?;
        }
        let body = out.finish()?;
        return Ok(download(
            "text/csv; charset=utf-8; header=present",
            "credits.csv",
            body,
        ));
    }
    let mut body = Vec::new();
    for r in &rows {
        serde_json::to_writer(&mut body, r).map_err(|e| Error::Internal(e.into()))?;
        body.push(b'\n');
    }
    Ok(download("application/x-ndjson", "credits.jsonl", body))
}

impl ExportRow {
    fn cells(&self) -> [String; 14] {
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        [
            self.entry_id.clone(),
            self.credential_id.clone(),
            self.learner_id.clone(),
            self.org_id.clone(),
            opt(&self.course_id),
            self.achievement.clone(),
            opt(&self.domain),
            self.level.map(|l| l.to_string()).unwrap_or_default(),
            self.hours.to_string(),
            self.credits.to_string(),
            self.convertible.to_string(),
            to_rfc3339(self.earned_at),
            self.revoked_at.map(to_rfc3339).unwrap_or_default(),
            to_rfc3339(self.updated_at),
        ]
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialPreferences {
    /// Name the learner by their plain e-mail address in credentials issued from now on
    /// (default false: a salted hash of it, which a verifier who knows the address can check).
    plain_email: bool,
}

/// How the caller's credentials name them.
#[utoipa::path(get, path = "/api/v1/me/credential-preferences", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CredentialPreferences), (status = 401, body = crate::http::problem::Problem)))]
async fn get_preferences(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CredentialPreferences>> {
    let user = caller.user()?;
    Ok(Json(CredentialPreferences {
        plain_email: preferences::credential_email(&state.db, &user.id).await?,
    }))
}

/// Choose how credentials issued from now on name the caller.
#[utoipa::path(put, path = "/api/v1/me/credential-preferences", tag = "credentials",
    request_body = CredentialPreferences, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CredentialPreferences), (status = 401, body = crate::http::problem::Problem)))]
async fn put_preferences(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<CredentialPreferences>,
) -> Result<Json<CredentialPreferences>> {
    let user = caller.user()?;
    preferences::set_credential_email(&state.db, &user.id, input.plain_email).await?;
    Ok(Json(input))
}
