//! The document resources: State (`/xapi/activities/state`), Activity Profile
//! (`/xapi/activities/profile`) and Agent Profile (`/xapi/agents/profile`). Each is PUT
//! (replace), POST (merge JSON), GET (one document, or the ids of a context's documents) and
//! DELETE, with ETag preconditions (Communication 2.2-2.7 and 3.1).

use std::collections::HashMap;

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Lrs;
use crate::{
    error::{Error, Result},
    http::AppState,
    http::{extract::Query, header_value},
    lrs::xapi::{self, XapiVersion},
    lrs::{
        documents::{self, Context, DocumentError, Kind, Preconditions, Tags, Write},
        identity, Principal, Scopes,
    },
};

/// The document store's refusals as the problems xAPI clients see (codes unchanged).
impl From<DocumentError> for Error {
    fn from(e: DocumentError) -> Self {
        let detail = e.to_string();
        match e {
            DocumentError::PreconditionFailed(_) => Error::PreconditionFailed {
                code: "xapi-precondition-failed",
                detail,
            },
            DocumentError::NotMergeable(_) => {
                Error::bad_request("xapi-document-not-mergeable", detail)
            }
            DocumentError::ExistsWithoutPrecondition => Error::conflict("If-Match", detail),
            DocumentError::KeptChanging => Error::conflict("document", detail),
            DocumentError::Database(e) => e.into(),
            DocumentError::Internal(e) => Error::Internal(e),
        }
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_state, put_state, post_state, delete_state))
        .routes(routes!(
            get_activity_profile,
            put_activity_profile,
            post_activity_profile,
            delete_activity_profile
        ))
        .routes(routes!(
            get_agent_profile,
            put_agent_profile,
            post_agent_profile,
            delete_agent_profile
        ))
}

pub(super) fn invalid(detail: impl Into<String>) -> Error {
    Error::bad_request("xapi-invalid-parameter", detail)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Get,
    Put,
    Post,
    Delete,
}

/// A request's named parameters, after refusing unknown and repeated ones (Communication 3.2).
pub(super) fn named<'a>(
    params: &'a [(String, String)],
    allowed: &[&str],
) -> Result<HashMap<&'a str, &'a str>> {
    let mut out = HashMap::new();
    for (k, v) in params {
        if !allowed.contains(&k.as_str()) {
            return Err(invalid(format!(
                "Unknown parameter {k}; this request takes {}.",
                allowed.join(", ")
            )));
        }
        if out.insert(k.as_str(), v.as_str()).is_some() {
            return Err(invalid(format!("Parameter {k} is given twice.")));
        }
    }
    Ok(out)
}

/// Parses an `agent` parameter: an Agent (or, where allowed, a Group) with one identifier.
/// Returns the value and its normalised identifier.
pub(super) fn agent_param(raw: Option<&str>, allow_group: bool) -> Result<(Value, String)> {
    let raw = raw.ok_or_else(|| invalid("The agent parameter is required."))?;
    let value: Value =
        serde_json::from_str(raw).map_err(|_| invalid("agent must be a JSON Agent object."))?;
    xapi::validate_agent_param(&value, allow_group).map_err(|e| {
        let at = if e.path.is_empty() {
            "agent".to_owned()
        } else {
            format!("agent.{}", e.path)
        };
        invalid(format!("{at}: {}", e.message))
    })?;
    let ifi = xapi::normalise_agent_ifi(&value).ok_or_else(|| {
        invalid("agent must have exactly one identifier (mbox, mbox_sha1sum, openid or account).")
    })?;
    Ok((value, ifi))
}

pub(super) fn activity_param(raw: Option<&str>) -> Result<String> {
    let id = raw.ok_or_else(|| invalid("The activityId parameter is required."))?;
    if !xapi::is_absolute_iri(id) {
        return Err(invalid("activityId must be an IRI."));
    }
    Ok(id.to_owned())
}

/// What one resource takes and which scope guards it.
struct Resource {
    kind: Kind,
    id_param: &'static str,
    scope: Scopes,
}

const STATE: Resource = Resource {
    kind: Kind::State,
    id_param: "stateId",
    scope: Scopes::STATE,
};
const ACTIVITY_PROFILE: Resource = Resource {
    kind: Kind::ActivityProfile,
    id_param: "profileId",
    scope: Scopes::PROFILE,
};
const AGENT_PROFILE: Resource = Resource {
    kind: Kind::AgentProfile,
    id_param: "profileId",
    scope: Scopes::PROFILE,
};

/// The documents a request addresses.
struct Target {
    cx: Context,
    id: Option<String>,
    since: Option<i64>,
}

fn target(
    state: &AppState,
    lrs: &Lrs,
    res: &Resource,
    op: Op,
    params: &[(String, String)],
) -> Result<Target> {
    let mut names: Vec<&str> = match res.kind {
        Kind::State => vec!["activityId", "agent", "registration", "stateId"],
        Kind::ActivityProfile => vec!["activityId", "profileId"],
        Kind::AgentProfile => vec!["agent", "profileId"],
    };
    if op == Op::Get {
        names.push("since");
    }
    let may = match op {
        Op::Get => lrs.principal.can_read(res.scope),
        _ => lrs.principal.can_write(res.scope),
    };
    if !may {
        return Err(Error::Forbidden);
    }
    let p = named(params, &names)?;
    let (activity_id, agent) = match res.kind {
        Kind::State => (
            activity_param(p.get("activityId").copied())?,
            Some(agent_param(p.get("agent").copied(), true)?),
        ),
        Kind::ActivityProfile => (activity_param(p.get("activityId").copied())?, None),
        Kind::AgentProfile => (
            String::new(),
            Some(agent_param(p.get("agent").copied(), false)?),
        ),
    };
    let registration = match p.get("registration") {
        Some(r) if xapi::is_valid_uuid(r) => r.to_ascii_lowercase(),
        Some(_) => return Err(invalid("registration must be a UUID.")),
        None => String::new(),
    };
    let id = p.get(res.id_param).map(|s| s.to_string());
    // Launch data is the LMS's to write (cmi5 10): an AU and its learner only read it.
    if res.kind == Kind::State
        && op != Op::Get
        && matches!(lrs.principal, Principal::Learner(_))
        && id.as_deref() == Some(crate::packages::cmi5::vocab::STATE_LAUNCH_DATA)
    {
        return Err(Error::Denied {
            code: "xapi-launch-data-read-only",
            detail: "LMS.LaunchData is written by the LMS; an AU may only read it.".into(),
        });
    }
    let id_required =
        matches!(op, Op::Put | Op::Post) || (op == Op::Delete && res.kind != Kind::State);
    if id.is_none() && id_required {
        return Err(invalid(format!(
            "The {} parameter is required.",
            res.id_param
        )));
    }
    let since = match p.get("since") {
        Some(s) if id.is_none() => Some(timestamp(s, lrs.version)?),
        _ => None,
    };
    if let (Principal::Learner(user), Some((value, _))) = (&lrs.principal, &agent) {
        if !identity::agent_is_user(value, &state.settings.public_url, user) {
            return Err(Error::Denied {
                code: "xapi-not-your-document",
                detail: "Learners may only use documents about themselves.".into(),
            });
        }
    }
    Ok(Target {
        cx: Context {
            tenant: lrs.principal.tenant(),
            kind: res.kind,
            activity_id,
            agent: agent.map(|a| a.1).unwrap_or_default(),
            registration,
        },
        id,
        since,
    })
}

fn timestamp(value: &str, version: XapiVersion) -> Result<i64> {
    if !xapi::is_valid_timestamp(value, version) {
        return Err(invalid("since must be an ISO 8601 timestamp."));
    }
    crate::db::time::parse_rfc3339(value)
        .ok_or_else(|| invalid("since must be an RFC 3339 timestamp with a time zone."))
}

fn preconditions(headers: &HeaderMap) -> Preconditions {
    let tags = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(Tags::parse)
    };
    Preconditions {
        if_match: tags(header::IF_MATCH),
        if_none_match: tags(header::IF_NONE_MATCH),
    }
}

fn http_date(ms: i64) -> axum::http::HeaderValue {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    header_value(&httpdate::fmt_http_date(time))
}

async fn get(
    state: AppState,
    lrs: Lrs,
    res: &Resource,
    params: &[(String, String)],
) -> Result<Response> {
    let t = target(&state, &lrs, res, Op::Get, params)?;
    let Some(id) = t.id else {
        let (ids, newest) = documents::ids(&state.db, &t.cx, t.since).await?;
        let json = serde_json::to_vec(&ids).map_err(anyhow::Error::from)?;
        let etag = format!("\"{}\"", documents::etag_of(&json));
        let mut response = (
            [
                (header::CONTENT_TYPE, header_value("application/json")),
                (header::ETAG, header_value(&etag)),
            ],
            json,
        )
            .into_response();
        if newest > 0 {
            response
                .headers_mut()
                .insert(header::LAST_MODIFIED, http_date(newest));
        }
        return Ok(response);
    };
    let doc = documents::get(&state.db, &t.cx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, header_value(&doc.content_type)),
            (header::ETAG, header_value(&format!("\"{}\"", doc.etag))),
            (header::LAST_MODIFIED, http_date(doc.updated_at)),
        ],
        doc.content,
    )
        .into_response())
}

async fn write(
    state: AppState,
    lrs: Lrs,
    res: &Resource,
    op: Op,
    params: &[(String, String)],
    headers: &HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let t = target(&state, &lrs, res, op, params)?;
    let id = t.id.expect("PUT and POST require an id");
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let mode = match op {
        // 1.0.3 exempts the State resource from the 409 (Communication 3.1.s3); 2.0.0 does not.
        Op::Put => Write::Replace {
            require_precondition: res.kind != Kind::State || lrs.version == XapiVersion::V2_0_0,
        },
        _ => Write::Merge,
    };
    let pre = preconditions(headers);
    // 1.0.3 (Communication 2.5.s3 / 2.6.s3, XAPI-00273): a profile PUT must say what it
    // expects, If-Match or If-None-Match, even for a new document. 2.0.0 keeps its own rules.
    if op == Op::Put
        && res.kind != Kind::State
        && lrs.version == XapiVersion::V1_0_3
        && pre.if_match.is_none()
        && pre.if_none_match.is_none()
    {
        return Err(Error::bad_request(
            "xapi-precondition-required",
            "Under xAPI 1.0.3 a PUT to a profile document needs If-Match or If-None-Match.",
        ));
    }
    documents::write(
        &state.db,
        &t.cx,
        &id,
        &pre,
        mode,
        body.to_vec(),
        content_type,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(
    state: AppState,
    lrs: Lrs,
    res: &Resource,
    params: &[(String, String)],
    headers: &HeaderMap,
) -> Result<StatusCode> {
    let t = target(&state, &lrs, res, Op::Delete, params)?;
    match t.id {
        Some(id) => documents::delete(&state.db, &t.cx, &id, &preconditions(headers)).await?,
        None => documents::delete_all(&state.db, &t.cx).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Describes the State resource's parameters for the OpenAPI document (the handlers read the
/// raw pairs so that unknown and repeated ones are refused).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct StateParams {
    /// The Activity's IRI.
    activityId: String,
    /// An Agent or identified Group as JSON, with one identifier.
    agent: String,
    /// A registration UUID.
    registration: Option<String>,
    /// The document; without it GET lists ids and DELETE deletes every document of the context.
    stateId: Option<String>,
    /// GET without stateId: only ids of documents changed after this timestamp.
    since: Option<String>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct ActivityProfileParams {
    /// The Activity's IRI.
    activityId: String,
    /// The document; without it GET lists ids.
    profileId: Option<String>,
    /// GET without profileId: only ids of documents changed after this timestamp.
    since: Option<String>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct AgentProfileParams {
    /// An Agent as JSON, with one identifier.
    agent: String,
    /// The document; without it GET lists ids.
    profileId: Option<String>,
    /// GET without profileId: only ids of documents changed after this timestamp.
    since: Option<String>,
}

type Params = Query<Vec<(String, String)>>;

/// Reads a state document (with its ETag), or lists the context's stateIds.
#[utoipa::path(get, path = "/xapi/activities/state", tag = "xapi", params(StateParams),
    responses((status = 200, description = "The document as stored, or an array of stateIds"),
        (status = 400, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn get_state(State(s): State<AppState>, lrs: Lrs, Query(p): Params) -> Result<Response> {
    get(s, lrs, &STATE, &p).await
}

/// Stores a state document (any content type), honouring If-Match / If-None-Match.
#[utoipa::path(put, path = "/xapi/activities/state", tag = "xapi", params(StateParams),
    request_body(content = Vec<u8>, description = "The document, of any content type"),
    responses((status = 204, description = "Stored"), (status = 400, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn put_state(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    write(s, lrs, &STATE, Op::Put, &p, &headers, body).await
}

/// Merges a JSON object into a state document (or stores it when there is none).
#[utoipa::path(post, path = "/xapi/activities/state", tag = "xapi", params(StateParams),
    request_body(content = Object, description = "A JSON object to merge"),
    responses((status = 204, description = "Merged"), (status = 400, body = crate::http::problem::Problem),
        (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn post_state(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    write(s, lrs, &STATE, Op::Post, &p, &headers, body).await
}

/// Deletes a state document, or every state document of the context without stateId.
#[utoipa::path(delete, path = "/xapi/activities/state", tag = "xapi", params(StateParams),
    responses((status = 204, description = "Deleted"), (status = 400, body = crate::http::problem::Problem),
        (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn delete_state(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
) -> Result<StatusCode> {
    delete(s, lrs, &STATE, &p, &headers).await
}

/// Reads an activity profile document (with its ETag), or lists the activity's profileIds.
#[utoipa::path(get, path = "/xapi/activities/profile", tag = "xapi", params(ActivityProfileParams),
    responses((status = 200, description = "The document as stored, or an array of profileIds"),
        (status = 400, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn get_activity_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
) -> Result<Response> {
    get(s, lrs, &ACTIVITY_PROFILE, &p).await
}

/// Stores an activity profile document; replacing one needs If-Match (409 without).
#[utoipa::path(put, path = "/xapi/activities/profile", tag = "xapi", params(ActivityProfileParams),
    request_body(content = Vec<u8>, description = "The document, of any content type"),
    responses((status = 204, description = "Stored"), (status = 400, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn put_activity_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    write(s, lrs, &ACTIVITY_PROFILE, Op::Put, &p, &headers, body).await
}

/// Merges a JSON object into an activity profile document (or stores it when there is none).
#[utoipa::path(post, path = "/xapi/activities/profile", tag = "xapi", params(ActivityProfileParams),
    request_body(content = Object, description = "A JSON object to merge"),
    responses((status = 204, description = "Merged"), (status = 400, body = crate::http::problem::Problem),
        (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn post_activity_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    write(s, lrs, &ACTIVITY_PROFILE, Op::Post, &p, &headers, body).await
}

/// Deletes an activity profile document.
#[utoipa::path(delete, path = "/xapi/activities/profile", tag = "xapi", params(ActivityProfileParams),
    responses((status = 204, description = "Deleted"), (status = 400, body = crate::http::problem::Problem),
        (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn delete_activity_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
) -> Result<StatusCode> {
    delete(s, lrs, &ACTIVITY_PROFILE, &p, &headers).await
}

/// Reads an agent profile document (with its ETag), or lists the agent's profileIds.
#[utoipa::path(get, path = "/xapi/agents/profile", tag = "xapi", params(AgentProfileParams),
    responses((status = 200, description = "The document as stored, or an array of profileIds"),
        (status = 400, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn get_agent_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
) -> Result<Response> {
    get(s, lrs, &AGENT_PROFILE, &p).await
}

/// Stores an agent profile document; replacing one needs If-Match (409 without).
#[utoipa::path(put, path = "/xapi/agents/profile", tag = "xapi", params(AgentProfileParams),
    request_body(content = Vec<u8>, description = "The document, of any content type"),
    responses((status = 204, description = "Stored"), (status = 400, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn put_agent_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    write(s, lrs, &AGENT_PROFILE, Op::Put, &p, &headers, body).await
}

/// Merges a JSON object into an agent profile document (or stores it when there is none).
#[utoipa::path(post, path = "/xapi/agents/profile", tag = "xapi", params(AgentProfileParams),
    request_body(content = Object, description = "A JSON object to merge"),
    responses((status = 204, description = "Merged"), (status = 400, body = crate::http::problem::Problem),
        (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn post_agent_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    write(s, lrs, &AGENT_PROFILE, Op::Post, &p, &headers, body).await
}

/// Deletes an agent profile document.
#[utoipa::path(delete, path = "/xapi/agents/profile", tag = "xapi", params(AgentProfileParams),
    responses((status = 204, description = "Deleted"), (status = 400, body = crate::http::problem::Problem),
        (status = 412, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn delete_agent_profile(
    State(s): State<AppState>,
    lrs: Lrs,
    Query(p): Params,
    headers: HeaderMap,
) -> Result<StatusCode> {
    delete(s, lrs, &AGENT_PROFILE, &p, &headers).await
}
