//! Guests: a public course's units open without an account, with a line asking them to sign in
//! to keep their progress; a course that is not public stays out of their sight.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{course::Classroom, Backend},
};

/// The JSON the unit page hands its player (`<script id="xapi-context">`).
fn xapi_context(page: &str) -> Value {
    let start = page
        .find(r#"id="xapi-context">"#)
        .expect("the page has an xAPI context")
        + r#"id="xapi-context">"#.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

async fn a_guest_opens_a_public_courses_units(backend: Backend) {
    let c = Classroom::new(backend).await;
    let doc = c.unit("document", "Handbook", true).await;
    let quiz = c.unit("quiz", "Check", true).await;
    c.app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/courses/{}/units/{quiz}/quiz", c.course),
            Some(&c.teacher),
            Some(json!({"pass_mark": 50, "questions": [
                {"kind": "single", "prompt": "Normal resting pulse?", "choices": ["30", "70"], "answer": 1},
            ]})),
        )
        .await
        .assert(StatusCode::OK);
    let page = |unit: &str| format!("/courses/{}/units/{unit}", c.course);

    // The course is visible to the organisation only: a guest finds nothing.
    for unit in [&doc, &quiz] {
        c.app
            .get(&page(unit), None)
            .await
            .assert(StatusCode::NOT_FOUND);
    }

    c.app.publish(&c.teacher, &c.course, "public").await;
    let r = c.app.get(&page(&doc), None).await;
    r.assert(StatusCode::OK);
    assert!(r.text.contains("guest-note"), "{}", r.text);
    let sign_in = format!("login?next=%2Fcourses%2F{}%2Funits%2F{doc}", c.course);
    assert!(r.text.contains(&sign_in), "{}", r.text);
    // The player reports as nobody until someone signs in.
    let context = xapi_context(&r.text);
    assert_eq!(context["actor"], Value::Null);
    assert_eq!(context["object"], c.unit_iri(&doc));

    // The quiz is there to answer (its key is not); the form is marked for the page's script,
    // which keeps a guest's answers on the device.
    let r = c.app.get(&page(&quiz), None).await;
    r.assert(StatusCode::OK);
    assert!(r.text.contains("Normal resting pulse?"), "{}", r.text);
    assert!(r.text.contains("data-guest"), "{}", r.text);
    assert!(!r.text.contains(r#""answer""#));
    // Posted without script, the answers meet a sign-in line, not an error, and score nothing.
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let token = r.text.split(r#"name="csrf" value=""#).nth(1).unwrap();
    let token = &token[..token.find('"').unwrap()];
    let posted = c
        .app
        .http
        .post(c.app.url(&format!("{}/quiz", page(&quiz))))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &c.app.base)
        .header("cookie", cookie)
        .body(format!("csrf={token}&q0=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::OK);
    let text = posted.text().await.unwrap();
    assert!(
        text.contains("Quizzes are scored for signed-in learners"),
        "{text}"
    );
    assert!(!text.contains("verdict"), "{text}");

    // Signed in, the same page is the learner's: their actor, no guest line.
    let r = c.app.get(&page(&doc), Some(&c.learner)).await;
    r.assert(StatusCode::OK);
    assert!(!r.text.contains("guest-note"));
    assert_eq!(
        xapi_context(&r.text)["actor"],
        c.app.learner_agent(&c.learner_id)
    );
    // And the account says which actor its statements carry.
    let me = c.app.get("/api/v1/me", Some(&c.learner)).await;
    assert_eq!(me.body["actor"], c.app.learner_agent(&c.learner_id));
}

both_backends!(a_guest_opens_a_public_courses_units);
