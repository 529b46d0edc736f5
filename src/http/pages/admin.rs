//! Admin pages: an organisation's members (with class-list import), join codes, LRS clients,
//! consortia (found, invite, accept, leave), credentials (issue for recognised learning, revoke)
//! and credit rules (edited in place), and the training report with a chart drawn on the
//! server (SVG, readable without script). Changes go through the JSON API.

use axum::{
    extract::State,
    http::{HeaderMap, Uri},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::{json, Value};

use crate::http::{
    extract::{Path, SignedIn},
    pages::templates,
};
use crate::{
    accounts::{self, User},
    authz, consortia,
    credentials::{records, rules},
    error::{Error, Result},
    html::escape,
    http::AppState,
    lrs::clients,
    orgs::{self, join_codes, members},
    reports::{self, ReportRow, Spec},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_home))
        .route("/admin/orgs/{org_id}", get(org_page))
        .route("/admin/orgs/{org_id}/reports", get(report_page))
}

async fn admin_of(state: &AppState, user: &User, org_id: &str) -> Result<String> {
    authz::require_org_role(&state.db, user, org_id, authz::admin)
        .await
        .map_err(Error::hidden)?;
    Ok(orgs::get(&state.db, org_id).await?.name)
}

async fn admin_home(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let orgs: Vec<Value> = if user.is_superadmin {
        orgs::visible_to(&state.db, &user)
            .await?
            .into_iter()
            .map(|o| json!({"id": o.id, "name": o.name}))
            .collect()
    } else {
        accounts::memberships(&state.db, &user.id)
            .await?
            .into_iter()
            .filter(|m| m.role == "admin")
            .map(|m| json!({"id": m.org_id, "name": m.org_name}))
            .collect()
    };
    if orgs.is_empty() {
        return Err(Error::Forbidden);
    }
    let zh = templates::chinese(&uri, &headers);
    Ok(Html(templates::render(
        "admin.html",
        zh,
        json!({"user": templates::viewer(&state.db, &user).await?, "orgs": orgs}),
    )?)
    .into_response())
}

async fn org_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(org_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let name = admin_of(&state, &user, &org_id).await?;
    let zh = templates::chinese(&uri, &headers);
    let members = members::list(&state.db, &org_id).await?;
    let name_of = |user_id: &str| {
        members
            .iter()
            .find(|m| m.user_id == user_id)
            .map(|m| m.display_name.clone())
    };
    let credentials: Vec<Value> = records::of_org(&state.db, &org_id, 50)
        .await?
        .iter()
        .map(|r| {
            json!({"id": r.id, "name": r.name, "learner": r.user_id,
                   "learner_name": name_of(&r.user_id).unwrap_or_else(|| r.user_id.clone()),
                   "issued_at": crate::db::time::to_rfc3339(r.issued_at),
                   "revoked": r.revoked_at.is_some()})
        })
        .collect();
    let lrs: Vec<Value> = clients::list(&state.db, &org_id)
        .await?
        .into_iter()
        .map(|c| json!({"name": c.name, "key": c.key}))
        .collect();
    let mut consortia = Vec::new();
    for c in consortia::of_org(&state.db, &org_id).await? {
        let members = consortia::members(&state.db, &c.id).await?;
        consortia.push(json!({"consortium": c, "members": members}));
    }
    Ok(Html(templates::render(
        "admin_org.html",
        zh,
        json!({
            "user": templates::viewer(&state.db, &user).await?,
            "org": {"id": org_id, "name": name},
            "members": members,
            "join_codes": join_codes::list(&state.db, &org_id).await?,
            "lrs_clients": lrs,
            "credentials": credentials,
            "rules": rules::load(&state.db, &org_id).await?,
            "consortia": consortia,
            "domains": crate::http::pages::domain_options(&state, zh).await?,
            "audit": crate::audit::list(&state.db, &org_id, None, 20).await?,
        }),
    )?)
    .into_response())
}

/// The label of a row in the page's language, for the dimension the report is grouped by.
fn row_label(row: &ReportRow, zh: bool) -> String {
    let pick = |en: &Option<String>, zh_label: &Option<String>, slug: &Option<String>| {
        (if zh { zh_label } else { en })
            .clone()
            .or_else(|| slug.clone())
    };
    let nested = |v: &Option<Option<String>>| v.clone().flatten();
    pick(&row.domain_en, &row.domain_zh, &row.domain)
        .or_else(|| {
            pick(
                &nested(&row.target_group_en),
                &nested(&row.target_group_zh),
                &nested(&row.target_group),
            )
        })
        .or_else(|| {
            pick(
                &nested(&row.learner_group_en),
                &nested(&row.learner_group_zh),
                &nested(&row.learner_group),
            )
        })
        .or_else(|| row.period.clone())
        .or_else(|| row.course_title.clone())
        .or_else(|| row.level.map(|l| format!("L{l}")))
        .unwrap_or_else(|| "—".to_owned())
}

/// Horizontal bars of enrolled and completed person-times per row, scaled to the largest.
pub fn bar_chart(title: &str, rows: &[(String, i64, i64)], legend: (&str, &str)) -> String {
    let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0).max(1) as f64;
    let (label_w, bar_w, row_h) = (120.0, 180.0, 34.0);
    let height = 30.0 + rows.len() as f64 * row_h;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 360 {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">{}</title>\
         <rect x=\"{label_w}\" y=\"4\" width=\"10\" height=\"10\" fill=\"#93c5fd\"/>\
         <text x=\"{}\" y=\"13\" font-size=\"11\">{}</text>\
         <rect x=\"{}\" y=\"4\" width=\"10\" height=\"10\" fill=\"#0b6e4f\"/>\
         <text x=\"{}\" y=\"13\" font-size=\"11\">{}</text>",
        escape(title),
        label_w + 14.0,
        escape(legend.0),
        label_w + 110.0,
        label_w + 124.0,
        escape(legend.1),
    );
    for (i, (label, enrolled, completed)) in rows.iter().enumerate() {
        let y = 24.0 + i as f64 * row_h;
        let w = |v: i64| (v as f64 / max * bar_w).max(if v > 0 { 1.0 } else { 0.0 });
        let short: String = label.chars().take(14).collect();
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>\
             <rect class=\"enrolled\" x=\"{label_w}\" y=\"{y}\" width=\"{:.1}\" height=\"12\" fill=\"#93c5fd\"/>\
             <rect class=\"completed\" x=\"{label_w}\" y=\"{}\" width=\"{:.1}\" height=\"12\" fill=\"#0b6e4f\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\">{enrolled} / {completed}</text>",
            label_w - 6.0,
            y + 16.0,
            escape(&short),
            w(*enrolled),
            y + 13.0,
            w(*completed),
            label_w + w(*enrolled).max(w(*completed)) + 4.0,
            y + 16.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}

async fn report_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(org_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let name = admin_of(&state, &user, &org_id).await?;
    let zh = templates::chinese(&uri, &headers);
    let group_by = templates::query_param(&uri, "group_by")
        .filter(|g| {
            matches!(
                g.as_str(),
                "domain" | "target_group" | "learner_group" | "period" | "course" | "level"
            )
        })
        .unwrap_or_else(|| "domain".to_owned());
    let spec =
        Spec::parse(Some(&group_by), Some("month"), None, None).map_err(Error::Validation)?;
    let scope = reports::scope_for(&state.db, &user, Some(&org_id)).await?;
    let report = reports::training(&state.db, &spec, &scope).await?;
    let rows: Vec<(String, i64, i64)> = report
        .rows
        .iter()
        .map(|r| (row_label(r, zh), r.metrics.enrolled, r.metrics.completed))
        .collect();
    let legend = (
        templates::string(zh, "enrolled"),
        templates::string(zh, "completed_count"),
    );
    let chart = bar_chart(
        &templates::string(zh, "report_title"),
        &rows,
        (&legend.0, &legend.1),
    );
    let table: Vec<Value> = report
        .rows
        .iter()
        .zip(&rows)
        .map(|(r, (label, _, _))| json!({"label": label, "metrics": r.metrics}))
        .collect();
    Ok(Html(templates::render(
        "admin_report.html",
        zh,
        json!({
            "user": templates::viewer(&state.db, &user).await?,
            "org": {"id": org_id, "name": name},
            "group_by": group_by,
            "chart": chart,
            "rows": table,
            "totals": report.totals,
            "csv": format!("/api/v1/reports/training?org_id={org_id}&group_by={group_by}&format=csv"),
        }),
    )?)
    .into_response())
}
