//! The learning account: credits from course and recognised credentials under the
//! organisation's rules, the transcript in three formats, the credit-bank export, and the
//! wallet's share links with their QR codes and the public verification page.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    both_backends,
    credentials::completed,
    support::{course::Classroom, Backend},
};

async fn learner_email(c: &Classroom) -> String {
    c.app.get("/api/v1/me", Some(&c.learner)).await.body["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn issue(c: &Classroom, achievement: Value) -> Value {
    let r = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&c.admin),
            json!({"learner_email": learner_email(c).await, "achievement": achievement,
                   "evidence": [{"id": "https://certs.example.cn/e/42", "name": "Certificate scan",
                                 "narrative": "Checked by the registrar"}]}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    r.body.clone()
}

async fn account_transcript_and_export_agree_with_the_credentials(backend: Backend) {
    let c = Classroom::new(backend).await;
    let rules = json!({"hours_per_credit": 10.0, "level_multipliers": {"3": 1.5},
                       "recognised_certificates": ["Electrician Level 3"]});
    let path = format!("/api/v1/orgs/{}/credit-rules", c.org);
    c.app
        .request(
            reqwest::Method::PUT,
            &path,
            Some(&c.learner),
            Some(rules.clone()),
        )
        .await
        .assert(StatusCode::FORBIDDEN);
    c.app
        .request(
            reqwest::Method::PUT,
            &path,
            Some(&c.admin),
            Some(json!({"hours_per_credit": -1})),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    c.app
        .request(
            reqwest::Method::PUT,
            &path,
            Some(&c.admin),
            Some(rules.clone()),
        )
        .await
        .assert(StatusCode::OK);
    assert_eq!(c.app.get(&path, Some(&c.admin)).await.body, rules);

    let course = completed(&c).await; // 2 credits, level 2, 1.5 h
    let electrician = issue(
        &c,
        json!({"name": "Electrician Level 3", "level": 3, "hours": 40, "domain": "smart-construction"}),
    )
    .await;
    assert_eq!(electrician["credits"], 4.0, "40 h at 10 h per credit");
    assert_eq!(
        electrician["credential"]["evidence"][0]["name"],
        "Certificate scan"
    );
    assert_eq!(
        electrician["credential"]["credentialSubject"]["achievement"]["achievementType"],
        "Certificate"
    );
    let forklift = issue(
        &c,
        json!({"name": "Forklift licence", "level": 2, "credits": 2}),
    )
    .await;

    let account = c.app.get("/api/v1/me/account", Some(&c.learner)).await;
    account.assert(StatusCode::OK);
    let a = &account.body;
    assert_eq!(a["totals"]["credentials"], 3);
    assert_eq!(a["totals"]["credits"], 8.0);
    // The course converts as is, the electrician certificate × 1.5, the forklift not at all.
    assert_eq!(a["totals"]["convertible"], 8.0, "{a}");
    assert_eq!(a["totals"]["hours"], 41.5);
    let convertible: Vec<&str> = a["convertible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(convertible, ["Electrician Level 3", "Care basics"]);
    let level3 = a["by_level"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "3")
        .unwrap();
    assert_eq!(level3["convertible"], 6.0);
    let care = a["by_domain"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "elderly-care")
        .unwrap();
    assert_eq!(care["credits"], 2.0);
    let forklift_entry = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["credential_id"] == forklift["id"])
        .unwrap();
    assert_eq!(
        forklift_entry["rule"],
        "2 credits; not a recognised certificate"
    );

    // Export: pseudonymous, stable, idempotent; revocation shows up as a changed row.
    let export_path = format!("/api/v1/orgs/{}/credits:export", c.org);
    let first = c.app.get(&export_path, Some(&c.admin)).await;
    first.assert(StatusCode::OK);
    assert_eq!(first.headers["content-type"], "application/x-ndjson");
    let rows: Vec<Value> = first
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    let email = learner_email(&c).await;
    assert!(!first.text.contains(&email) && !first.text.contains("display_name"));
    assert!(rows
        .iter()
        .all(|r| r["learner_id"] == c.learner_id.as_str()));
    let mut exported: Vec<&str> = rows
        .iter()
        .map(|r| r["entry_id"].as_str().unwrap())
        .collect();
    let mut entries: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    exported.sort();
    entries.sort();
    assert_eq!(
        exported, entries,
        "the export and the account name the same entries"
    );
    let again = c.app.get(&export_path, Some(&c.admin)).await;
    assert_eq!(again.text, first.text, "re-exports are identical");
    let csv = c
        .app
        .get(&format!("{export_path}?format=csv"), Some(&c.admin))
        .await;
    assert!(csv
        .text
        .trim_start_matches('\u{feff}')
        .starts_with("entry_id,credential_id,learner_id"));
    assert_eq!(csv.text.lines().count(), 4);
    let last = rows.last().unwrap()["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    c.app
        .post(
            &format!(
                "/api/v1/credentials/{}/revoke",
                course["id"].as_str().unwrap()
            ),
            Some(&c.admin),
            json!({"reason": "Duplicate"}),
        )
        .await
        .assert(StatusCode::OK);
    let since = c
        .app
        .get(
            &format!("{export_path}?since={}", urlencode(&last)),
            Some(&c.admin),
        )
        .await;
    let changed: Vec<Value> = since
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let revoked = changed
        .iter()
        .find(|r| r["credential_id"] == course["id"])
        .unwrap();
    assert!(revoked["revoked_at"].is_string());
    c.app
        .get(&format!("{export_path}?since=yesterday"), Some(&c.admin))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    c.app
        .get(&export_path, Some(&c.teacher))
        .await
        .assert(StatusCode::FORBIDDEN);

    // Revoked credentials count toward nothing but stay listed.
    let a = c.app.get("/api/v1/me/account", Some(&c.learner)).await.body;
    assert_eq!(a["totals"]["credentials"], 2);
    assert_eq!(a["totals"]["convertible"], 6.0);
    assert_eq!(a["entries"].as_array().unwrap().len(), 3);

    // The transcript in three formats says the same.
    let t = c.app.get("/api/v1/me/transcript", Some(&c.learner)).await;
    assert_eq!(t.body["totals"], a["totals"]);
    let csv = c
        .app
        .get("/api/v1/me/transcript?format=csv", Some(&c.learner))
        .await;
    assert_eq!(csv.text.lines().count(), 4, "{}", csv.text);
    assert!(csv.text.contains("Electrician Level 3"));
    let html = c
        .app
        .http
        .get(c.app.url("/api/v1/me/transcript"))
        .bearer_auth(&c.learner)
        .header("accept", "text/html")
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("学习成绩单") && html.contains("Forklift licence"),
        "{html}"
    );
    assert!(html.contains("已撤销"), "the revoked entry is marked");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn share_links_qr_codes_and_the_verify_page(backend: Backend) {
    let c = Classroom::new(backend).await;
    let item = completed(&c).await;
    let id = item["id"].as_str().unwrap();
    let share = format!("/api/v1/credentials/{id}/share");
    c.app
        .get(&share, Some(&c.learner))
        .await
        .assert(StatusCode::NOT_FOUND);
    c.app
        .post(&share, Some(&c.admin), json!({}))
        .await
        .assert(StatusCode::NOT_FOUND);
    let r = c.app.post(&share, Some(&c.learner), json!({})).await;
    r.assert(StatusCode::OK);
    let url = r.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/share/", c.app.base)));
    assert_eq!(url.rsplit('/').next().unwrap().len(), 43, "256-bit tokens");
    assert_eq!(
        c.app.get(&share, Some(&c.learner)).await.body["url"],
        url.as_str()
    );

    // Anyone with the link gets the credential; a browser gets the verdict page.
    let public = c
        .app
        .http
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(public.json::<Value>().await.unwrap(), item["credential"]);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let browser = no_redirects
        .get(&url)
        .header("accept", "text/html,*/*")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), StatusCode::SEE_OTHER);
    let page_path = browser.headers()["location"].to_str().unwrap().to_owned();
    let page = c
        .app
        .http
        .get(c.app.url(&page_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-verified=\"true\""), "{page}");
    assert!(page.contains("Care basics") && page.contains("genuine"));
    let by_link = c
        .app
        .http
        .get(
            c.app
                .url(&format!("/verify?url={}&lang=zh", urlencode(&url))),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(by_link.contains("此证书真实有效"), "{by_link}");
    let elsewhere = c
        .app
        .http
        .get(
            c.app
                .url("/verify?url=http%3A%2F%2F169.254.169.254%2Fshare%2Fx"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        elsewhere.contains("Only this server"),
        "never fetches other addresses"
    );

    // The QR code encodes the link.
    let png = c
        .app
        .http
        .get(c.app.url(&format!("{share}/qr?format=png")))
        .bearer_auth(&c.learner)
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(decode_qr(&png.bytes().await.unwrap()), url);
    let svg = c
        .app
        .http
        .get(c.app.url(&format!("{share}/qr")))
        .bearer_auth(&c.learner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(svg.contains("<svg"));

    // Pasting a tampered credential into the page gives a plain verdict.
    let mut tampered = item["credential"].clone();
    tampered["credentialSubject"]["creditsEarned"] = json!(99);
    let form = reqwest::multipart::Form::new().text("credential", tampered.to_string());
    let page = c
        .app
        .http
        .post(c.app.url("/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-verified=\"false\"") && page.contains("did not pass"),
        "{page}"
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("x.json"),
    );
    let page = c
        .app
        .http
        .post(c.app.url("/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Paste or choose a credential"));

    // Stopping sharing kills the link; sharing again makes a new one.
    c.app
        .request(reqwest::Method::DELETE, &share, Some(&c.learner), None)
        .await
        .assert(StatusCode::NO_CONTENT);
    let gone = c
        .app
        .http
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let again = c.app.post(&share, Some(&c.learner), json!({})).await;
    assert_ne!(again.body["url"], url.as_str());
}

/// Reads the QR code in a PNG (an independent decoder: rqrr).
fn decode_qr(png: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

async fn learners_may_opt_in_to_their_plain_address(backend: Backend) {
    let c = Classroom::new(backend).await;
    let prefs = "/api/v1/me/credential-preferences";
    assert_eq!(
        c.app.get(prefs, Some(&c.learner)).await.body["plain_email"],
        false
    );
    c.app
        .request(
            reqwest::Method::PUT,
            prefs,
            Some(&c.learner),
            Some(json!({"plain_email": true})),
        )
        .await
        .assert(StatusCode::OK);
    let item = completed(&c).await;
    let id = &item["credential"]["credentialSubject"]["identifier"][0];
    assert_eq!(id["hashed"], false);
    assert_eq!(id["identityHash"], learner_email(&c).await.as_str());
}

both_backends!(
    account_transcript_and_export_agree_with_the_credentials,
    share_links_qr_codes_and_the_verify_page,
    learners_may_opt_in_to_their_plain_address,
);
