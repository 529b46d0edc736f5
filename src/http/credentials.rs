//! Credentials: issued for recognised learning by org admins, read by their learner and issuer
//! (as JSON-LD or VC-JWT), revoked, verified by anyone; the issuers' keys and status lists are
//! public at stable addresses.

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{accepts, Caller, Json, Path, Query};
use crate::{
    accounts::User,
    authz,
    credentials::{
        document::{issuer_profile, Achievement},
        issue, jwt,
        keys::{self, PublicKey},
        proof,
        records::{self, CredentialView, Record},
        status,
        verify::{self, Presented, Verdict},
    },
    db::time::{now_ms, to_rfc3339},
    error::{Error, FieldError, Result},
    http::AppState,
    values::{Email, Text},
};

pub const JWT: &str = "application/vc+jwt";
pub const JSON_LD: &str = "application/vc";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_credential, list_org_credentials))
        .routes(routes!(my_credentials))
        .routes(routes!(get_credential))
        .routes(routes!(revoke_credential))
        .routes(routes!(verify_credential))
        .routes(routes!(verify_vc_api))
        .routes(routes!(status_list))
        .routes(routes!(issuer))
        .routes(routes!(rotate_key))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// A member of the organisation.
    learner_email: String,
    achievement: Achievement,
    /// What shows the learning: Open Badges `Evidence` objects (`id` a URL, `name`,
    /// `description`, `narrative`, `genre`, `audience`), at most 20.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    evidence: Vec<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct CredentialList {
    items: Vec<CredentialView>,
}

fn validate(req: &IssueRequest) -> Result<Achievement> {
    let mut errors = Vec::new();
    let a = &req.achievement;
    let mut text = |field: &str, value: &str, min: usize, max: usize| {
        let n = value.trim().chars().count();
        if n < min || n > max {
            errors.push(FieldError::new(
                field,
                format!("must be {min} to {max} characters"),
            ));
        }
    };
    text("achievement.name", &a.name, 1, 200);
    text("achievement.description", &a.description, 0, 2000);
    text("achievement.criteria", &a.criteria, 0, 2000);
    if a.level.is_some_and(|l| !(1..=5).contains(&l)) {
        errors.push(FieldError::new("achievement.level", "must be 1 to 5"));
    }
    for (field, v) in [
        ("achievement.credits", a.credits),
        ("achievement.hours", a.hours),
    ] {
        if !(v.is_finite() && (0.0..=10_000.0).contains(&v)) {
            errors.push(FieldError::new(field, "must be between 0 and 10000"));
        }
    }
    if req.evidence.len() > 20 {
        errors.push(FieldError::new("evidence", "at most 20 items"));
    }
    for (i, e) in req.evidence.iter().enumerate() {
        if let Err(m) = evidence_ok(e) {
            errors.push(FieldError::new(format!("evidence[{i}]"), m));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let mut a = a.clone();
    a.name = a.name.trim().to_owned();
    Ok(a)
}

/// Evidence is limited to the Open Badges `Evidence` terms, so it always signs.
fn evidence_ok(e: &Value) -> Result<(), &'static str> {
    let Some(map) = e.as_object() else {
        return Err("must be an object");
    };
    for (k, v) in map {
        match k.as_str() {
            "id" => match v.as_str().map(url::Url::parse) {
                Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => {}
                _ => return Err("id must be an http(s) URL"),
            },
            "type" => {}
            "name" | "description" | "narrative" | "genre" | "audience" => {
                if v.as_str().is_none_or(|s| s.chars().count() > 2000) {
                    return Err("name, description, narrative, genre and audience are texts");
                }
            }
            _ => return Err("allowed keys: id, name, description, narrative, genre, audience"),
        }
    }
    Ok(())
}

/// Issue a credential for learning done elsewhere (org admins), e.g. a recognised skill
/// certificate, with evidence. It is signed, recorded in the learner's learning account, and
/// counts toward credits if the organisation's rules recognise it.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/credentials", tag = "credentials",
    request_body = IssueRequest, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CredentialView), (status = 403, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn issue_credential(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<IssueRequest>,
) -> Result<(StatusCode, Json<CredentialView>)> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    let email = Email::parse(&req.learner_email).map_err(|m| Error::field("learner_email", m))?;
    let mut achievement = validate(&req)?;
    if let Some(domain) = &achievement.domain {
        if !crate::catalogue::vocab::is_domain(&state.db, domain).await? {
            return Err(Error::field("achievement.domain", "is not a known domain"));
        }
    }
    let learner = match crate::accounts::find_by_email(&state.db, &email).await? {
        Some(u)
            if crate::accounts::role_in(&state.db, &u.id, &org_id)
                .await?
                .is_some() =>
        {
            Some(u.id)
        }
        _ => None,
    };
    let Some(learner) = learner else {
        return Err(Error::field(
            "learner_email",
            "is not a member of this organisation",
        ));
    };
    achievement.description = Text::parse(&achievement.description, 2000)
        .map(|t| t.into_string())
        .unwrap_or_default();
    let evidence = req
        .evidence
        .into_iter()
        .map(|mut e| {
            e["type"] = serde_json::json!(["Evidence"]);
            e
        })
        .collect();
    let id = issue::issue(
        &state,
        issue::Request {
            org_id: &org_id,
            user_id: &learner,
            course_id: None,
            language: None,
            achievement,
            evidence,
        },
    )
    .await?;
    let record = records::get(&state.db, &id).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        user,
        "credential.issued",
        &id,
        serde_json::json!({"learner": req.learner_email, "name": record.name}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(record.view()?)))
}

/// The credentials an organisation issued, newest first (org admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/credentials", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CredentialList), (status = 403, body = crate::http::problem::Problem)))]
async fn list_org_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<Json<CredentialList>> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    let items = records::of_org(&state.db, &org_id, 1000)
        .await?
        .iter()
        .map(Record::view)
        .collect::<Result<_>>()?;
    Ok(Json(CredentialList { items }))
}

/// The caller's credentials (their wallet), newest first.
#[utoipa::path(get, path = "/api/v1/me/credentials", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CredentialList), (status = 401, body = crate::http::problem::Problem)))]
async fn my_credentials(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CredentialList>> {
    let user = caller.user()?;
    let items = records::of_learner(&state.db, &user.id)
        .await?
        .iter()
        .map(Record::view)
        .collect::<Result<_>>()?;
    Ok(Json(CredentialList { items }))
}

/// The credential if the caller is its learner or an admin of its issuer; 404 otherwise.
pub async fn readable(state: &AppState, user: &User, id: &str) -> Result<Record> {
    let record = records::get(&state.db, id).await?;
    if record.user_id == user.id {
        return Ok(record);
    }
    authz::require_org_role(&state.db, user, &record.org_id, authz::admin)
        .await
        .map_err(Error::hidden)?;
    Ok(record)
}

/// The signed credential as its learner (or its issuer's admins) download it: JSON-LD with a
/// Data Integrity proof, or with `Accept: application/vc+jwt` the same credential as a VC-JWT.
pub async fn credential_response(
    state: &AppState,
    record: &Record,
    as_jwt: bool,
) -> Result<Response> {
    let filename = format!("credential-{}", record.id);
    if as_jwt {
        let mut unsigned = record.document()?;
        if let Some(map) = unsigned.as_object_mut() {
            map.remove("proof");
        }
        let key = keys::by_id(&state.db, &state.sealer, &record.key_id).await?;
        let token = jwt::encode(&unsigned, &key.signing, &key.verification_method())
            .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
        return Ok((
            [
                (header::CONTENT_TYPE, JWT.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}.jwt\""),
                ),
            ],
            token,
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, JSON_LD.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}.json\""),
            ),
        ],
        record.document.clone(),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// `jwt` for the VC-JWT (as with `Accept: application/vc+jwt`), `json` for JSON-LD.
    format: Option<String>,
}

/// One credential (its learner or its issuer's admins): the signed JSON-LD, or a VC-JWT with
/// `Accept: application/vc+jwt` or `format=jwt`.
#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "credentials", params(DownloadQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content((Object = "application/vc"), (String = "application/vc+jwt"))),
              (status = 404, body = crate::http::problem::Problem)))]
async fn get_credential(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let user = caller.user()?;
    let as_jwt = match q.format.as_deref() {
        Some("jwt") => true,
        Some("json") => false,
        Some(_) => return Err(Error::field("format", "use json or jwt")),
        None => accepts(&headers, JWT),
    };
    let record = readable(&state, user, &id).await?;
    credential_response(&state, &record, as_jwt).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    reason: String,
}

/// Revoke a credential (admins of its issuer). Its status list shows it at once; revoking again
/// keeps the first reason and date.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/revoke", tag = "credentials",
    request_body = RevokeRequest, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CredentialView), (status = 404, body = crate::http::problem::Problem),
              (status = 422, body = crate::http::problem::Problem)))]
async fn revoke_credential(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<RevokeRequest>,
) -> Result<Json<CredentialView>> {
    let user = caller.user()?;
    let record = records::get(&state.db, &id).await?;
    match authz::require_org_role(&state.db, user, &record.org_id, authz::admin).await {
        Ok(()) => {}
        // The learner may see it but not revoke it; others do not learn it exists.
        Err(Error::Forbidden) if record.user_id == user.id => return Err(Error::Forbidden),
        Err(Error::Forbidden) => return Err(Error::NotFound),
        Err(e) => return Err(e),
    }
    let reason = Text::parse(&req.reason, 500).map_err(|m| Error::field("reason", m))?;
    records::revoke(&state.db, &id, &user.id, reason.as_str()).await?;
    crate::audit::record(
        &state.db,
        &record.org_id,
        user,
        "credential.revoked",
        &id,
        serde_json::json!({"reason": reason.as_str()}),
    )
    .await;
    Ok(Json(records::get(&state.db, &id).await?.view()?))
}

/// The request body of a verification: a credential (JSON-LD with a proof), a VC-JWT string,
/// or either wrapped as `{"verifiableCredential": …}` (VC-API). A JWT may also be sent as the
/// whole body with `Content-Type: application/vc+jwt`.
fn presented(headers: &HeaderMap, body: &[u8]) -> Result<Presented> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::bad_request("credential-malformed", "the body is not UTF-8"))?
        .trim();
    let is_jwt_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(JWT));
    if is_jwt_body || (!text.starts_with('{') && text.split('.').count() == 3) {
        return Ok(Presented::Jwt(text.to_owned()));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::bad_request(
            "credential-malformed",
            format!("not a credential (JSON or JWT): {e}"),
        )
    })?;
    let inner = value.get("verifiableCredential").cloned().unwrap_or(value);
    match inner {
        Value::String(jwt) => Ok(Presented::Jwt(jwt)),
        Value::Object(_) => Ok(Presented::Embedded(inner)),
        _ => Err(Error::bad_request(
            "credential-malformed",
            "a credential is a JSON object or a JWT",
        )),
    }
}

/// Verify a credential (anyone): its proof, that its key is the issuer's, its validity period
/// and revocation status. Always 200 for a readable credential; `verified` and each check say
/// what was found.
#[utoipa::path(post, path = "/api/v1/credentials/verify", tag = "credentials",
    request_body(content = Object, description = "A credential, a VC-JWT, or {\"verifiableCredential\": …}"),
    responses((status = 200, body = Verdict), (status = 400, body = crate::http::problem::Problem)))]
async fn verify_credential(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Verdict>> {
    Ok(Json(
        verify::verify(&state, presented(&headers, &body)?).await?,
    ))
}

/// VC-API verification (`POST /credentials/verify`): 200 with the verdict when verified, 400
/// with the same body when not.
#[utoipa::path(post, path = "/credentials/verify", tag = "credentials",
    request_body(content = Object, description = "{\"verifiableCredential\": …, \"options\": {}}"),
    responses((status = 200, body = Verdict), (status = 400, body = Verdict)))]
async fn verify_vc_api(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Verdict>)> {
    let verdict = verify::verify(&state, presented(&headers, &body)?).await?;
    let status = if verdict.verified {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, Json(verdict)))
}

/// A status list credential (anyone): a signed `BitstringStatusListCredential` whose set bits
/// are revoked credentials; a VC-JWT with `Accept: application/vc+jwt`.
#[utoipa::path(get, path = "/api/v1/credentials/status/{key_id}/{list}", tag = "credentials",
    responses((status = 200, content((Object = "application/vc"), (String = "application/vc+jwt"))),
              (status = 404, body = crate::http::problem::Problem)))]
async fn status_list(
    State(state): State<AppState>,
    Path((key_id, list)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response> {
    let Some(org_name) = keys::org_name_of(&state.db, &key_id).await? else {
        return Err(Error::NotFound);
    };
    if !(0..=i64::from(u16::MAX)).contains(&list) {
        return Err(Error::NotFound);
    }
    let key = keys::by_id(&state.db, &state.sealer, &key_id).await?;
    let revoked = status::revoked(&state.db, &key_id, list).await?;
    let url = status::list_url(&state.settings.public_url, &key_id, list);
    let now = now_ms();
    let issuer = json!({"id": key.did(), "name": org_name});
    let unsigned = status::list_credential(&url, issuer, &to_rfc3339(now - now % 1000), &revoked);
    let no_cache = (header::CACHE_CONTROL, "no-cache".to_owned());
    if accepts(&headers, JWT) {
        let token = jwt::encode(&unsigned, &key.signing, &key.verification_method())
            .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
        return Ok(([(header::CONTENT_TYPE, JWT.to_owned()), no_cache], token).into_response());
    }
    let method = key.verification_method();
    let created = to_rfc3339(now - now % 1000);
    let signed = tokio::task::spawn_blocking(move || {
        proof::sign(&unsigned, &key.signing, &method, &created)
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
    .map_err(|e| Error::Internal(anyhow::anyhow!("signing a status list: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, JSON_LD.to_owned()), no_cache],
        signed.to_string(),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct Issuer {
    /// The Open Badges issuer profile (its id is the active key's did:key).
    #[schema(value_type = Object)]
    profile: Value,
    /// Every key the organisation signs or signed with; credentials signed by a retired key
    /// still verify.
    keys: Vec<PublicKey>,
}

/// An organisation's issuer profile and public keys (anyone), at a stable address.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/issuer", tag = "credentials",
    responses((status = 200, body = Issuer), (status = 404, body = crate::http::problem::Problem)))]
async fn issuer(State(state): State<AppState>, Path(org_id): Path<String>) -> Result<Json<Issuer>> {
    let name = crate::orgs::get(&state.db, &org_id).await?.name;
    let active = keys::active(&state.db, &state.sealer, &org_id).await?;
    Ok(Json(Issuer {
        profile: issuer_profile(&state.settings.public_url, &org_id, &name, &active.did()),
        keys: keys::published(&state.db, &org_id).await?,
    }))
}

/// Rotate the organisation's signing key (org admins): new credentials are signed with a new
/// key; those signed before keep verifying.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/issuer/keys", tag = "credentials",
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Issuer), (status = 403, body = crate::http::problem::Problem)))]
async fn rotate_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<(StatusCode, Json<Issuer>)> {
    let user = caller.user()?;
    authz::require_org_role(&state.db, user, &org_id, authz::admin).await?;
    keys::rotate(&state.db, &state.sealer, &org_id).await?;
    crate::audit::record(
        &state.db,
        &org_id,
        user,
        "issuer.key_rotated",
        &org_id,
        serde_json::json!({}),
    )
    .await;
    let Json(issuer) = issuer(State(state), Path(org_id)).await?;
    Ok((StatusCode::CREATED, Json(issuer)))
}
