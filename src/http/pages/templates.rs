//! Server-rendered pages from the templates in `web/templates`, compiled into the binary so a
//! server runs from any directory. Chinese or English: `?lang=` first, then `Accept-Language`.

use std::sync::OnceLock;

use axum::http::{HeaderMap, Uri};
use minijinja::Environment;
use serde_json::Value;

use crate::{accounts::User, db::Db, error::Result};

const TEMPLATES: [(&str, &str); 19] = [
    (
        "base.html",
        include_str!("../../../web/templates/base.html"),
    ),
    (
        "catalogue.html",
        include_str!("../../../web/templates/catalogue.html"),
    ),
    (
        "course.html",
        include_str!("../../../web/templates/course.html"),
    ),
    (
        "login.html",
        include_str!("../../../web/templates/login.html"),
    ),
    (
        "offline.html",
        include_str!("../../../web/templates/offline.html"),
    ),
    (
        "register.html",
        include_str!("../../../web/templates/register.html"),
    ),
    (
        "join.html",
        include_str!("../../../web/templates/join.html"),
    ),
    ("me.html", include_str!("../../../web/templates/me.html")),
    (
        "unit.html",
        include_str!("../../../web/templates/unit.html"),
    ),
    (
        "teach.html",
        include_str!("../../../web/templates/teach.html"),
    ),
    (
        "teach_quiz.html",
        include_str!("../../../web/templates/teach_quiz.html"),
    ),
    (
        "teach_code.html",
        include_str!("../../../web/templates/teach_code.html"),
    ),
    (
        "attend.html",
        include_str!("../../../web/templates/attend.html"),
    ),
    (
        "admin.html",
        include_str!("../../../web/templates/admin.html"),
    ),
    (
        "admin_org.html",
        include_str!("../../../web/templates/admin_org.html"),
    ),
    (
        "admin_report.html",
        include_str!("../../../web/templates/admin_report.html"),
    ),
    (
        "teach_course.html",
        include_str!("../../../web/templates/teach_course.html"),
    ),
    (
        "verify.html",
        include_str!("../../../web/templates/verify.html"),
    ),
    (
        "transcript.html",
        include_str!("../../../web/templates/transcript.html"),
    ),
];
const STRINGS: &str = include_str!("../../../web/templates/strings.json");

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

/// The first value of the query parameter `key`, decoded.
pub fn query_param(uri: &Uri, key: &str) -> Option<String> {
    uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    })
}

/// Chinese when `?lang=zh` or, without `lang`, when the browser prefers Chinese over English.
pub fn chinese(uri: &Uri, headers: &HeaderMap) -> bool {
    let chosen = || {
        axum_extra::extract::cookie::CookieJar::from_headers(headers)
            .get(LANGUAGE_COOKIE)
            .map(|c| c.value().to_owned())
    };
    match query_param(uri, "lang").or_else(chosen).as_deref() {
        Some(l) if l.starts_with("zh") => true,
        Some(l) if l.starts_with("en") => false,
        _ => crate::http::pages::prefers_chinese(headers),
    }
}

/// The cookie that carries an account's chosen language (set when it signs in or registers),
/// so its pages come in that language whatever the browser asks for.
pub const LANGUAGE_COOKIE: &str = "caravan_lang";

/// What the layout needs to know about the signed-in visitor: the name, and which consoles
/// (teaching, administration) to offer in the navigation.
pub async fn viewer(db: &Db, user: &User) -> Result<Value> {
    let memberships = crate::accounts::memberships(db, &user.id).await?;
    let has = |r: &str| user.is_superadmin || memberships.iter().any(|m| m.role == r);
    Ok(serde_json::json!({
        "display_name": user.display_name,
        "teaches": has("teacher") || has("admin"),
        "admins": has("admin"),
    }))
}

pub async fn viewer_opt(db: &Db, user: Option<&User>) -> Result<Value> {
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
/// A page in the chosen language; a template that fails to render is a server error (500),
/// never a page that looks fine.
pub fn render(name: &str, zh: bool, context: Value) -> Result<String> {
    let t = &strings()[if zh { "zh" } else { "en" }];
    let mut ctx = context;
    ctx["t"] = t.clone();
    ctx["lang"] = t["lang"].clone();
    // Signed-in pages (the sign-out form, quizzes), the sign-in form and a page that says it
    // posts back (a guest's quiz) carry a form token; a visitor's other pages set no cookie.
    let posts_back = name == "login.html" || !ctx["user"].is_null() || ctx["posts_back"] == true;
    if let Some(token) = posts_back.then(crate::http::browser::form_token).flatten() {
        ctx["csrf"] = token.into();
    }
    if !ctx["import_map"].is_null() {
        ctx["nonce"] = crate::http::browser::script_nonce().into();
    }
    env()
        .get_template(name)
        .and_then(|tpl| tpl.render(&ctx))
        .map_err(|e| anyhow::anyhow!("rendering {name}: {e:#}").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quiz_editor_shows_each_kind_of_answer_key() {
        let quiz = serde_json::json!({"pass_mark": 50, "max_attempts": null, "questions": [
            {"kind": "single", "prompt": "P1", "choices": ["a", "b"], "answer": 1},
            {"kind": "multiple", "prompt": "P2", "choices": ["a", "b", "c"], "answer": [0, 2]},
            {"kind": "true_false", "prompt": "P3", "answer": false},
            {"kind": "fill_in", "prompt": "P4", "answer": ["x", "y"]}]});
        let ctx = |quiz: Value| {
            let mut ctx = serde_json::json!({"course": {"id": "c", "title": "C"},
                                             "unit": {"id": "u", "title": "U"}, "quiz": quiz});
            ctx["t"] = strings()["en"].clone();
            ctx
        };
        let tpl = env().get_template("teach_quiz.html").unwrap();
        let html = tpl.render(ctx(quiz)).unwrap();
        assert_eq!(
            html.matches(r#"<li class="question">"#).count(),
            5,
            "{html}"
        );
        assert!(html.contains(r#"class="q-single" type="number" min="1" max="20" value="2""#));
        assert!(html.contains(r#"value="1, 3""#));
        assert!(html.contains(r#"<option value="false" selected>"#));
        assert!(html.contains("x\ny</textarea>"));
        let empty = tpl.render(ctx(Value::Null)).unwrap();
        assert!(
            empty.contains(r#"id="pass-mark" type="number" min="0" max="100" required value="60""#)
        );
    }

    #[test]
    fn every_template_renders_in_both_languages_with_every_string() {
        let en = strings()["en"].as_object().unwrap();
        let zh = strings()["zh"].as_object().unwrap();
        let missing: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(missing.is_empty(), "untranslated: {missing:?}");
        for zh in [false, true] {
            let html = render("verify.html", zh, serde_json::json!({"public_url": "x"})).unwrap();
            assert!(html.contains("<form"), "{html}");
            assert!(html.contains(if zh {
                "验证证书"
            } else {
                "Verify a credential"
            }));
        }
    }
}
