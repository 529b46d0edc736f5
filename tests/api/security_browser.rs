//! Regressions for findings F4 (cross-site request forgery) and F5 (open redirect after sign-in)
//! in a real Chromium: what a browser actually sends, cookies and all, rather than requests a
//! test composes by hand (those are in `security.rs`).

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::support::{course::Classroom, Backend};

const EVIL: &str = "evil@example.org";

/// A page that posts `fields` to `action` as soon as it loads.
fn auto_submit(action: &str, enctype: &str, fields: &[(&str, &str)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(name, value)| format!(r#"<input type="hidden" name="{name}" value="{value}">"#))
        .collect();
    format!(
        r#"<!doctype html><meta charset="utf-8"><title>You won a prize</title>
<form id="f" method="post" action="{action}" enctype="{enctype}">{inputs}</form>
<script>document.getElementById('f').submit()</script>"#
    )
}

/// Serves `pages` (path → HTML) on 127.0.0.1 at an ephemeral port until the test ends; returns
/// its origin. Only as much HTTP as a browser's GET needs.
async fn attacker_site(pages: Vec<(&'static str, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding the attacker's port");
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let pages = pages.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                let (status, body) = pages
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map_or(("404 Not Found", String::new()), |(_, html)| {
                        ("200 OK", html.clone())
                    });
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    origin
}

async fn members(c: &Classroom) -> Value {
    let r = c
        .app
        .get(&format!("/api/v1/orgs/{}/members", c.org), Some(&c.admin))
        .await;
    r.assert(StatusCode::OK);
    r.body["items"].clone()
}

fn has_member(list: &Value, email: &str) -> bool {
    list.as_array()
        .into_iter()
        .flatten()
        .any(|m| m["email"] == email)
}

/// F4: a page on another port of the same host is the same site, so Chromium sends the org
/// admin's SameSite=Lax session cookie with the forms it auto-submits: a text/plain form whose
/// body is a class list making `evil@example.org` an admin, an unpublish, and a sign-out. All are
/// refused as cross-site (the scenario checks the cookie went along), nothing changed, the
/// session still works, and the site's own sign-out form still signs out. The forged class list,
/// replayed afterwards by an API client, does create the admin: only the protection stood in the
/// way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_another_port_cannot_act_with_the_admins_session() {
    let c = Classroom::new(Backend::Sqlite).await;
    let import = c.app.url(&format!("/api/v1/orgs/{}/members:import", c.org));
    let unpublish = c
        .app
        .url(&format!("/api/v1/courses/{}/unpublish", c.course));
    let logout = c.app.url("/logout");
    // text/plain sends `name=value` raw: the name carries the CSV header and the row, and the
    // `=value` lands in a surplus column the (flexible) reader ignores.
    let csv_name =
        format!("email,display_name,role,password&#13;&#10;{EVIL},Evil,admin,password-123,");
    let attacker = attacker_site(vec![
        (
            "/a",
            auto_submit(&import, "text/plain", &[(&csv_name, "x")]),
        ),
        (
            "/b",
            auto_submit(&unpublish, "application/x-www-form-urlencoded", &[]),
        ),
        (
            "/c",
            auto_submit(&logout, "application/x-www-form-urlencoded", &[]),
        ),
    ])
    .await;
    assert!(
        !has_member(&members(&c).await, EVIL),
        "{EVIL} exists already"
    );

    let record = tempfile::NamedTempFile::new().unwrap();
    let input = json!({
        "attacks": [
            {"page": format!("{attacker}/a"), "target": import},
            {"page": format!("{attacker}/b"), "target": unpublish},
            {"page": format!("{attacker}/c"), "target": logout},
        ],
        "record": record.path(),
    });
    c.browse(&c.admin, &["forgery"], input).await;

    let list = members(&c).await;
    assert!(!has_member(&list, EVIL), "the forged import took: {list}");
    let admin_email = c.app.email(&c.admin).await;
    assert!(has_member(&list, &admin_email), "{list}");
    let course = c
        .app
        .get(&format!("/api/v1/courses/{}", c.course), Some(&c.admin))
        .await;
    course.assert(StatusCode::OK);
    assert_eq!(
        course.body["visibility"], "org",
        "the forged unpublish took: {}",
        course.text
    );

    let sent: Value = serde_json::from_slice(&std::fs::read(record.path()).unwrap()).unwrap();
    let body = sent["import_body"]
        .as_str()
        .unwrap_or_else(|| panic!("the scenario recorded no import body: {sent}"));
    let replay = c
        .app
        .http
        .post(&import)
        .bearer_auth(&c.admin)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let replay = crate::support::Reply::from(replay).await;
    replay.assert(StatusCode::OK);
    assert_eq!(replay.body["created"], 1, "{}", replay.text);
    let list = members(&c).await;
    let evil = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["email"] == EVIL)
        .unwrap_or_else(|| panic!("the replayed body created no {EVIL}: {list}"));
    assert_eq!(evil["role"], "admin", "{evil}");
}

/// F5: signing in through the login page with a `next` that a browser would read as another
/// host (a tab or newline after the first slash, which browsers drop, or `//`) ends on this
/// site's /me, whether the link carried it or the hidden field was set to it; a path of this
/// site is still followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_never_leads_to_another_site() {
    let c = Classroom::new(Backend::Sqlite).await;
    let course = format!("/courses/{}", c.course);
    let input = json!({"cases": [
        {"next": "/\t/evil.example", "lands": "/me", "expect_h1": "My learning"},
        {"next": "/\n/evil.example", "lands": "/me", "expect_h1": "My learning"},
        {"next": "//evil.example", "lands": "/me", "expect_h1": "My learning"},
        {"next": course, "lands": course, "expect_h1": "Care basics"},
    ]});
    c.browse(&c.learner, &["next-redirect"], input).await;
}
