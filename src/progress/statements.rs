//! Statements Caravan itself records for an organisation: scored quiz attempts and course
//! completions. Their authority is the organisation, which is what lets progress trust them.

use serde_json::{json, Value};

use crate::{
    context::Context,
    db::time::now_ms,
    error::{Error, Result},
    lrs::store::{self, Prepared, WriteContext},
    lrs::xapi::{self, XapiVersion},
};

/// The organisation as an xAPI Agent, used as the authority of what Caravan records for it.
pub fn org_authority(public_url: &str, org_id: &str) -> Value {
    json!({
        "objectType": "Agent",
        "account": {"homePage": format!("{public_url}/orgs"), "name": org_id},
    })
}

/// A learner as an actor (an account on this server).
pub fn learner_actor(public_url: &str, user_id: &str) -> Value {
    json!({"objectType": "Agent", "account": {"homePage": public_url, "name": user_id}})
}

/// Validates and stores one statement with the organisation as authority.
pub async fn record_for_org(state: &Context, org_id: &str, stmt: Value) -> Result<Prepared> {
    xapi::validate_statement(&stmt, XapiVersion::V2_0_0)
        .map_err(|e| Error::Internal(anyhow::anyhow!("Caravan built an invalid statement: {e}")))?;
    let public_url = &state.settings.public_url;
    let cx = WriteContext {
        stored_ms: now_ms(),
        authority: org_authority(public_url, org_id),
        authority_id: format!("org:{org_id}"),
        org_id: Some(org_id),
        version: XapiVersion::V2_0_0,
        public_url,
    };
    let prepared = store::prepare(stmt, &cx);
    store::insert(&state.db, std::slice::from_ref(&prepared), &[]).await?;
    Ok(prepared)
}
