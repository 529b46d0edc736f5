//! Server-rendered pages from the templates in `web/templates`, compiled into the binary so a
//! server runs from any directory. Chinese or English: `?lang=` first, then `Accept-Language`.

use std::sync::OnceLock;

use axum::http::{HeaderMap, Uri};
use minijinja::Environment;
use serde_json::Value;

use crate::{accounts::User, db::Db, error::AppResult};

const TEMPLATES: [(&str, &str); 14] = [
    ("base.html", include_str!("../../web/templates/base.html")),
    (
        "catalogue.html",
        include_str!("../../web/templates/catalogue.html"),
    ),
    (
        "course.html",
        include_str!("../../web/templates/course.html"),
    ),
    ("login.html", include_str!("../../web/templates/login.html")),
    ("join.html", include_str!("../../web/templates/join.html")),
    ("me.html", include_str!("../../web/templates/me.html")),
    ("unit.html", include_str!("../../web/templates/unit.html")),
    ("teach.html", include_str!("../../web/templates/teach.html")),
    ("admin.html", include_str!("../../web/templates/admin.html")),
    (
        "admin_org.html",
        include_str!("../../web/templates/admin_org.html"),
    ),
    (
        "admin_report.html",
        include_str!("../../web/templates/admin_report.html"),
    ),
    (
        "teach_course.html",
        include_str!("../../web/templates/teach_course.html"),
    ),
    (
        "verify.html",
        include_str!("../../web/templates/verify.html"),
    ),
    (
        "transcript.html",
        include_str!("../../web/templates/transcript.html"),
    ),
];
const STRINGS: &str = include_str!("../../web/templates/strings.json");

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("templates compile (checked by the tests)");
        }
        env
    })
}

fn strings() -> &'static Value {
    static STRINGS_JSON: OnceLock<Value> = OnceLock::new();
    STRINGS_JSON.get_or_init(|| serde_json::from_str(STRINGS).expect("strings.json parses"))
}

/// Chinese when `?lang=zh` or, without `lang`, when the browser prefers Chinese over English.
pub fn chinese(uri: &Uri, headers: &HeaderMap) -> bool {
    let lang = uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    match lang.as_deref() {
        Some(l) if l.starts_with("zh") => true,
        Some(l) if l.starts_with("en") => false,
        _ => super::pages::prefers_chinese(headers),
    }
}

/// What the layout needs to know about the signed-in visitor: the name, and which consoles
/// (teaching, administration) to offer in the navigation.
pub async fn viewer(db: &Db, user: &User) -> AppResult<Value> {
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT role FROM memberships WHERE user_id = $1")
            .bind(&user.id)
            .fetch_all(&db.pool)
            .await?;
    let has = |r: &str| user.is_superadmin || roles.iter().any(|x| x == r);
    Ok(serde_json::json!({
        "display_name": user.display_name,
        "teaches": has("teacher") || has("admin"),
        "admins": has("admin"),
    }))
}

pub async fn viewer_opt(db: &Db, user: Option<&User>) -> AppResult<Value> {
    match user {
        Some(u) => viewer(db, u).await,
        None => Ok(Value::Null),
    }
}

/// One string in the page language.
pub fn string(zh: bool, key: &str) -> String {
    strings()[if zh { "zh" } else { "en" }][key]
        .as_str()
        .unwrap_or(key)
        .to_owned()
}

/// Renders a page; `context` is merged with `lang` and the strings `t` of the language.
pub fn render(name: &str, zh: bool, context: Value) -> String {
    let t = &strings()[if zh { "zh" } else { "en" }];
    let mut ctx = context;
    ctx["t"] = t.clone();
    ctx["lang"] = t["lang"].clone();
    env()
        .get_template(name)
        .and_then(|tpl| tpl.render(&ctx))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, template = name, "rendering a page");
            "<!doctype html><title>Caravan</title><p>This page could not be shown.</p>".to_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_in_both_languages_with_every_string() {
        let en = strings()["en"].as_object().unwrap();
        let zh = strings()["zh"].as_object().unwrap();
        let missing: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(missing.is_empty(), "untranslated: {missing:?}");
        for zh in [false, true] {
            let html = render("verify.html", zh, serde_json::json!({"public_url": "x"}));
            assert!(html.contains("<form"), "{html}");
            assert!(html.contains(if zh {
                "验证证书"
            } else {
                "Verify a credential"
            }));
        }
    }
}
