//! What the LRS knows of an Agent (`GET /xapi/agents`, a Person object) and of an Activity
//! (`GET /xapi/activities`, its canonical definition), Communication 2.4 and 2.5.

use axum::{extract::State, response::IntoResponse, response::Response, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    documents::{activity_param, agent_param, named},
    Lrs,
};
use crate::{
    error::{Error, Result},
    http::extract::Query,
    http::AppState,
    lrs::{definitions, identity, Principal, Scopes},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_agent))
        .routes(routes!(get_activity))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct AgentParams {
    /// An Agent as JSON, with one identifier.
    agent: String,
}

/// The Person the LRS knows for an Agent: every name and identifier it has for them.
/// Learners may ask only about themselves.
#[utoipa::path(get, path = "/xapi/agents", tag = "xapi", params(AgentParams),
    responses((status = 200, description = "A Person object"),
        (status = 400, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn get_agent(
    State(state): State<AppState>,
    lrs: Lrs,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response> {
    if !lrs.principal.can_read(Scopes::DEFINE) {
        return Err(Error::Forbidden);
    }
    let p = named(&params, &["agent"])?;
    let (agent, _) = agent_param(p.get("agent").copied(), false)?;
    let public_url = &state.settings.public_url;
    if let Principal::Learner(user) = &lrs.principal {
        if !identity::agent_is_user(&agent, public_url, user) {
            return Err(Error::Denied {
                code: "xapi-not-your-agent",
                detail: "Learners may only look themselves up.".into(),
            });
        }
    }
    let scope = lrs.principal.definition_scope();
    let person = definitions::person(&state.db, &agent, public_url, &scope).await?;
    Ok(Json(person).into_response())
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct ActivityParams {
    /// The Activity's IRI.
    activityId: String,
}

/// The Activity with the LRS's canonical definition, merged from the statements the caller may
/// read; an Activity the LRS has not seen is returned with its id only.
#[utoipa::path(get, path = "/xapi/activities", tag = "xapi", params(ActivityParams),
    responses((status = 200, description = "An Activity object"),
        (status = 400, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem)),
    security(("basic" = []), ("bearer" = [])))]
async fn get_activity(
    State(state): State<AppState>,
    lrs: Lrs,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response> {
    if !lrs.principal.can_read(Scopes::DEFINE) {
        return Err(Error::Forbidden);
    }
    let p = named(&params, &["activityId"])?;
    let id = activity_param(p.get("activityId").copied())?;
    let scope = lrs.principal.definition_scope();
    let activity = definitions::activity(&state.db, &scope, &id).await?;
    Ok(Json(activity).into_response())
}
