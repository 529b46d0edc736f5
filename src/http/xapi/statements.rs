//! The Statement resource: PUT one by id, POST one or many, GET one or a filtered page.

use std::collections::HashSet;

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{multipart, Lrs, CONSISTENT_THROUGH};
use crate::{
    db::time::{now_ms, to_rfc3339},
    error::{Error, Result},
    http::AppState,
    http::{extract::Query, header_value},
    lrs::xapi::{self, XapiVersion},
    lrs::{
        self,
        attachments::{self, Received},
        format::{self, Format},
        identity,
        query::{self, Filter},
        store::{self, Prepared, WriteContext},
        Principal,
    },
    packages::cmi5,
};

/// Most statements one GET returns (also what `limit=0` means).
pub const MAX_PAGE: usize = 500;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_statements, put_statement, post_statements))
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::bad_request("xapi-invalid-statement", detail)
}

/// The statements and attachment parts of a write request.
fn read_body(
    headers: &HeaderMap,
    body: Bytes,
    version: XapiVersion,
) -> Result<(Value, Vec<Received>)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (json, parts) = match multipart::boundary(content_type) {
        Some(boundary) => {
            let (json, parts) = multipart::parse(&boundary?, &body)?;
            let received = parts
                .into_iter()
                .map(|p| {
                    match p.transfer_encoding.as_deref() {
                        Some(cte) if !cte.eq_ignore_ascii_case("binary") => {
                            return Err(Error::bad_request(
                                "xapi-attachment-invalid",
                                "Attachment parts must use Content-Transfer-Encoding: binary.",
                            ))
                        }
                        None if version == XapiVersion::V1_0_3 => {
                            return Err(Error::bad_request(
                                "xapi-attachment-invalid",
                                "Under xAPI 1.0.x every attachment part needs \
                                 Content-Transfer-Encoding: binary.",
                            ))
                        }
                        _ => {}
                    }
                    if p.hash.is_empty() {
                        return Err(Error::bad_request(
                            "xapi-attachment-invalid",
                            "Every attachment part needs an X-Experience-API-Hash header.",
                        ));
                    }
                    Ok(Received {
                        sha2: p.hash,
                        content_type: p.content_type,
                        bytes: p.body,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            (json, received)
        }
        None => {
            let mime = content_type.split(';').next().unwrap_or("").trim();
            if !mime.eq_ignore_ascii_case("application/json") {
                return Err(Error::bad_request(
                    "xapi-content-type",
                    "Send statements as application/json or multipart/mixed.",
                ));
            }
            (body, Vec::new())
        }
    };
    let value: Value = serde_json::from_slice(&json)
        .map_err(|e| Error::bad_request("malformed-json", format!("The body is not JSON: {e}")))?;
    Ok((value, parts))
}

/// Validates, completes and stores statements; returns their ids in order.
async fn write(
    state: &AppState,
    lrs: &Lrs,
    statements: Vec<Value>,
    parts: Vec<Received>,
) -> Result<Vec<String>> {
    if !lrs.principal.can_write_statements() {
        return Err(Error::Forbidden);
    }
    if statements.is_empty() {
        return Err(invalid("The batch holds no statements."));
    }
    let mut seen = HashSet::new();
    for (i, stmt) in statements.iter().enumerate() {
        let id = stmt.get("id").and_then(Value::as_str);
        xapi::validate_statement(stmt, lrs.version).map_err(|e| {
            invalid(match id {
                Some(id) => format!("Statement {i} ({id}) is invalid: {e}"),
                None => format!("Statement {i} is invalid: {e}"),
            })
        })?;
        if let Some(id) = id {
            if !seen.insert(id.to_ascii_lowercase()) {
                return Err(invalid(format!(
                    "Statement id {id} appears twice in the batch."
                )));
            }
        }
        if let Principal::Learner(user) = &lrs.principal {
            if !identity::agent_is_user(&stmt["actor"], &state.settings.public_url, user) {
                return Err(Error::Denied {
                    code: "xapi-not-your-statement",
                    detail: format!(
                        "Statement {i}: learners may only record their own statements."
                    ),
                });
            }
        }
    }
    // An AU's statements follow the cmi5 rules of its session (checked before any is stored).
    let cmi5 = match &lrs.cmi5 {
        Some(session) => Some(cmi5::track::check(state, session, &statements).await?),
        None => None,
    };
    let received: Vec<Received> = attachments::check(&statements, parts)?
        .into_values()
        .collect();

    let public_url = &state.settings.public_url;
    let cx = WriteContext {
        stored_ms: now_ms(),
        authority: lrs.principal.authority(public_url),
        authority_id: lrs.principal.authority_id(),
        org_id: lrs.principal.org_id(),
        version: lrs.version,
        public_url,
    };
    let mut prepared: Vec<Prepared> = statements
        .into_iter()
        .map(|s| store::prepare(s, &cx))
        .collect();
    if matches!(lrs.principal, Principal::Learner(_)) {
        for p in &mut prepared {
            p.org_id = lrs::org_of_statement(&state.db, &p.body, public_url).await?;
        }
    }
    let outcomes = store::insert(&state.db, &prepared, &received).await?;
    let stored: Vec<&Prepared> = prepared
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o == store::Outcome::Stored)
        .map(|(p, _)| p)
        .collect();
    let mut completed = Vec::new();
    if !stored.is_empty() {
        completed = crate::progress::record(state, &stored).await;
    }
    if let Some(checked) = cmi5 {
        // The statements are stored and acknowledged whatever happens here.
        match cmi5::track::apply(state, checked).await {
            Ok(more) => completed.extend(more),
            Err(e) => tracing::error!(error = ?e, "cmi5 tracking after stored statements failed"),
        }
    }
    if !completed.is_empty() {
        crate::credentials::issue::for_new_completions(state, &completed).await;
    }
    Ok(prepared.into_iter().map(|p| p.id).collect())
}

/// Describes PUT's parameter for the OpenAPI document (the handler reads the raw pairs to
/// reject unknown ones).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[allow(dead_code)]
struct PutParams {
    #[serde(rename = "statementId")]
    statement_id: String,
}

/// Stores one statement under the given id (204; 409 if another is stored under it).
#[utoipa::path(put, path = "/xapi/statements", tag = "xapi", params(PutParams),
    request_body(content = Object, description = "One xAPI statement"),
    responses((status = 204, description = "Stored (or already stored)"),
        (status = 400, body = crate::http::problem::Problem), (status = 409, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn put_statement(
    State(state): State<AppState>,
    lrs: Lrs,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let mut id = None;
    for (k, v) in &params {
        match k.as_str() {
            "statementId" if id.is_none() => id = Some(v.clone()),
            _ => return Err(invalid(format!("PUT takes only statementId, not {k}."))),
        }
    }
    let id = id.ok_or_else(|| invalid("PUT needs the statementId parameter."))?;
    if !xapi::is_valid_uuid(&id) {
        return Err(invalid("statementId must be a UUID."));
    }
    let (mut value, parts) = read_body(&headers, body, lrs.version)?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| invalid("PUT takes a single statement object."))?;
    match obj.get("id").and_then(Value::as_str) {
        Some(own) if !own.eq_ignore_ascii_case(&id) => {
            return Err(invalid("The statement's id differs from statementId."))
        }
        Some(_) => {}
        None => {
            obj.insert("id".into(), Value::String(id.clone()));
        }
    }
    write(&state, &lrs, vec![value], parts).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores one statement or a batch, atomically; returns the ids in order.
#[utoipa::path(post, path = "/xapi/statements", tag = "xapi",
    request_body(content = Object, description = "One xAPI statement or an array of them"),
    responses((status = 200, description = "The statement ids", body = Vec<String>),
        (status = 400, body = crate::http::problem::Problem), (status = 409, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn post_statements(
    State(state): State<AppState>,
    lrs: Lrs,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    if let Some((k, _)) = params.first() {
        return Err(invalid(format!("POST takes no parameters, not {k}.")));
    }
    let (value, parts) = read_body(&headers, body, lrs.version)?;
    let statements = match value {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            return Err(invalid(
                "Send a statement object or an array of statements.",
            ))
        }
    };
    let ids = write(&state, &lrs, statements, parts).await?;
    Ok(axum::Json(ids).into_response())
}

const GET_PARAMS: [&str; 15] = [
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "cursor",
];

fn flag(name: &str, value: &str) -> Result<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(format!("{name} must be true or false."))),
    }
}

fn timestamp(name: &str, value: &str, version: XapiVersion) -> Result<i64> {
    if !xapi::is_valid_timestamp(value, version) {
        return Err(invalid(format!("{name} must be an ISO 8601 timestamp.")));
    }
    crate::db::time::parse_rfc3339(value).ok_or_else(|| {
        invalid(format!(
            "{name} must be an RFC 3339 timestamp with a time zone."
        ))
    })
}

/// Reads one statement (`statementId`, `voidedStatementId`) or a filtered page of them.
#[utoipa::path(get, path = "/xapi/statements", tag = "xapi",
    responses((status = 200, description = "A statement or a StatementResult"),
        (status = 400, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn get_statements(
    State(state): State<AppState>,
    lrs: Lrs,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response> {
    let scope = lrs.principal.statement_reads().ok_or(Error::Forbidden)?;
    let mut seen = HashSet::new();
    for (k, _) in &params {
        if !GET_PARAMS.contains(&k.as_str()) {
            return Err(invalid(format!("Unknown parameter {k}.")));
        }
        if !seen.insert(k.as_str()) {
            return Err(invalid(format!("Parameter {k} is given twice.")));
        }
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let format = match get("format") {
        Some(f) => {
            Format::parse(f).ok_or_else(|| invalid("format must be ids, exact or canonical."))?
        }
        None => Format::Exact,
    };
    let with_attachments = get("attachments")
        .map(|v| flag("attachments", v))
        .transpose()?
        .unwrap_or(false);
    let languages = format::accept_languages(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let consistent = to_rfc3339(now_ms());

    let single = match (get("statementId"), get("voidedStatementId")) {
        (Some(_), Some(_)) => {
            return Err(invalid("Give statementId or voidedStatementId, not both."))
        }
        (Some(id), None) => Some((id, false)),
        (None, Some(id)) => Some((id, true)),
        (None, None) => None,
    };
    if let Some((id, voided)) = single {
        if let Some((k, _)) = params.iter().find(|(k, _)| {
            !["statementId", "voidedStatementId", "format", "attachments"].contains(&k.as_str())
        }) {
            return Err(invalid(format!(
                "{k} cannot be combined with a statement id."
            )));
        }
        if !xapi::is_valid_uuid(id) {
            return Err(invalid("A statement id must be a UUID."));
        }
        let row = query::get(&state.db, &scope, id, voided)
            .await?
            .ok_or(Error::NotFound)?;
        let mut stmt: Value = serde_json::from_str(&row.body).map_err(anyhow::Error::from)?;
        let hashes = attachment_hashes(std::slice::from_ref(&stmt), |_| &row.tenant);
        format::apply(&mut stmt, format, &languages);
        return respond(
            &state,
            stmt,
            with_attachments,
            hashes,
            row.stored,
            &consistent,
        )
        .await;
    }

    let mut filter = Filter {
        limit: MAX_PAGE,
        ..Filter::default()
    };
    if let Some(agent) = get("agent") {
        let value: Value =
            serde_json::from_str(agent).map_err(|_| invalid("agent must be JSON."))?;
        filter.agent = Some(xapi::normalise_agent_ifi(&value).ok_or_else(|| {
            invalid("agent must be an Agent or identified Group with exactly one identifier.")
        })?);
    }
    if let Some(verb) = get("verb") {
        if !xapi::is_absolute_iri(verb) {
            return Err(invalid("verb must be an IRI."));
        }
        filter.verb = Some(verb.to_owned());
    }
    if let Some(activity) = get("activity") {
        if !xapi::is_absolute_iri(activity) {
            return Err(invalid("activity must be an IRI."));
        }
        filter.activity = Some(activity.to_owned());
    }
    if let Some(registration) = get("registration") {
        if !xapi::is_valid_uuid(registration) {
            return Err(invalid("registration must be a UUID."));
        }
        filter.registration = Some(registration.to_owned());
    }
    filter.related_activities = get("related_activities")
        .map(|v| flag("related_activities", v))
        .transpose()?
        .unwrap_or(false);
    filter.related_agents = get("related_agents")
        .map(|v| flag("related_agents", v))
        .transpose()?
        .unwrap_or(false);
    filter.ascending = get("ascending")
        .map(|v| flag("ascending", v))
        .transpose()?
        .unwrap_or(false);
    filter.since = get("since")
        .map(|v| timestamp("since", v, lrs.version))
        .transpose()?;
    filter.until = get("until")
        .map(|v| timestamp("until", v, lrs.version))
        .transpose()?;
    if let Some(limit) = get("limit") {
        let n: usize = limit
            .parse()
            .map_err(|_| invalid("limit must be a non-negative integer."))?;
        filter.limit = if n == 0 { MAX_PAGE } else { n.min(MAX_PAGE) };
    }
    if let Some(cursor) = get("cursor") {
        filter.after = Some(
            cursor
                .parse()
                .map_err(|_| invalid("cursor is not one this LRS made."))?,
        );
    }
    let page = query::page(&state.db, &scope, &filter).await?;
    let last_modified = page.rows.iter().map(|r| r.stored).max().unwrap_or(0);
    let mut statements = Vec::with_capacity(page.rows.len());
    for row in &page.rows {
        statements.push(serde_json::from_str::<Value>(&row.body).map_err(anyhow::Error::from)?);
    }
    let hashes = attachment_hashes(&statements, |i| &page.rows[i].tenant);
    for stmt in &mut statements {
        format::apply(stmt, format, &languages);
    }
    let more = match page.more {
        Some(seq) => {
            let mut next: Vec<(&str, String)> = params
                .iter()
                .filter(|(k, _)| k != "cursor")
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            next.push(("cursor", seq.to_string()));
            format!(
                "/xapi/statements?{}",
                serde_urlencoded::to_string(&next).map_err(anyhow::Error::from)?
            )
        }
        None => String::new(),
    };
    let result = json!({"statements": statements, "more": more});
    respond(
        &state,
        result,
        with_attachments,
        hashes,
        last_modified,
        &consistent,
    )
    .await
}

/// The (tenant, hash) of every attachment the statements declare; `tenant(i)` is whose the
/// i-th statement's stored attachments are.
fn attachment_hashes<'a>(
    statements: &[Value],
    tenant: impl Fn(usize) -> &'a String,
) -> Vec<(String, String)> {
    let mut hashes: Vec<(String, String)> = statements
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let declared = s["attachments"].as_array().cloned().unwrap_or_default();
            declared.into_iter().map(move |a| (i, a))
        })
        .filter_map(|(i, a)| {
            let hash = a["sha2"].as_str()?.to_ascii_lowercase();
            Some((tenant(i).clone(), hash))
        })
        .collect();
    hashes.sort();
    hashes.dedup();
    hashes
}

async fn respond(
    state: &AppState,
    body: Value,
    with_attachments: bool,
    hashes: Vec<(String, String)>,
    last_modified: i64,
    consistent: &str,
) -> Result<Response> {
    let json = serde_json::to_vec(&body).map_err(anyhow::Error::from)?;
    let mut response = if with_attachments {
        let files = store::attachments(&state.db, &hashes).await?;
        let (content_type, bytes) = multipart::build(&json, &files);
        ([(header::CONTENT_TYPE, header_value(&content_type))], bytes).into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], json).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(CONSISTENT_THROUGH, header_value(consistent));
    if last_modified > 0 {
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(last_modified as u64);
        headers.insert(
            header::LAST_MODIFIED,
            header_value(&httpdate::fmt_http_date(time)),
        );
    }
    Ok(response)
}
