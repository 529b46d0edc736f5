//! Quizzes: validated by the server, the key kept from learners, attempts scored on the server,
//! recorded as statements, limited, and driving completion.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{course::Classroom, Backend},
};

const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";

fn quiz(max_attempts: Option<i64>) -> Value {
    json!({
        "pass_mark": 75,
        "max_attempts": max_attempts,
        "questions": [
            {"kind": "single", "prompt": "Normal resting pulse?", "choices": ["30", "70", "150"], "answer": 1},
            {"kind": "multiple", "prompt": "Signs of dehydration?", "choices": ["dry mouth", "sweating", "dizziness"], "answer": [0, 2]},
            {"kind": "true_false", "prompt": "Lift a patient alone?", "answer": false},
            {"kind": "fill_in", "prompt": "What does BP stand for?", "answer": ["Blood pressure", "BP"]},
        ],
    })
}

async fn quiz_unit(c: &Classroom, max_attempts: Option<i64>) -> (String, String) {
    let unit = c.unit("quiz", "Check", true).await;
    let path = format!("/api/v1/courses/{}/units/{unit}/quiz", c.course);
    c.app
        .request(
            Method::PUT,
            &path,
            Some(&c.teacher),
            Some(quiz(max_attempts)),
        )
        .await
        .assert(StatusCode::OK);
    (unit, path)
}

async fn teachers_set_quizzes_and_learners_never_see_the_key(backend: Backend) {
    let c = Classroom::new(backend).await;
    let unit = c.unit("quiz", "Check", true).await;
    let path = format!("/api/v1/courses/{}/units/{unit}/quiz", c.course);
    let app = &c.app;
    let put = |token: &String, body: Value| {
        let token = token.clone();
        let path = path.clone();
        async move {
            app.request(Method::PUT, &path, Some(&token), Some(body))
                .await
        }
    };

    c.app
        .get(&path, Some(&c.learner))
        .await
        .assert(StatusCode::NOT_FOUND);
    put(&c.learner, quiz(None))
        .await
        .assert(StatusCode::FORBIDDEN);
    let bad = json!({"pass_mark": 150, "max_attempts": 0, "questions": [
        {"kind": "single", "prompt": "?", "choices": ["a", "b"], "answer": 2},
        {"kind": "essay", "prompt": "?", "answer": "x"},
        {"kind": "multiple", "prompt": " ", "answer": [0]},
        {"kind": "true_false", "prompt": "?", "answer": "yes"},
        {"kind": "fill_in", "prompt": "?", "choices": ["a"], "answer": []},
    ]});
    let r = put(&c.teacher, bad).await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    let fields = r.error_fields();
    for f in [
        "pass_mark",
        "max_attempts",
        "questions[0].answer",
        "questions[1].kind",
        "questions[2].prompt",
        "questions[2].choices",
        "questions[3].answer",
        "questions[4].choices",
        "questions[4].answer",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
    put(&c.teacher, json!({"pass_mark": 50, "questions": []}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    let video = c.unit("video", "Lecture", true).await;
    let r = c
        .app
        .request(
            Method::PUT,
            &format!("/api/v1/courses/{}/units/{video}/quiz", c.course),
            Some(&c.teacher),
            Some(quiz(None)),
        )
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["unit_id"]);

    let r = put(&c.teacher, quiz(Some(2))).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["questions"][1]["answer"], json!([0, 2]));
    assert_eq!(
        r.body["questions"][3]["answer"],
        json!(["blood pressure", "bp"])
    );

    let learner = c.app.get(&path, Some(&c.learner)).await;
    learner.assert(StatusCode::OK);
    assert!(!learner.text.contains("answer"), "{}", learner.text);
    assert_eq!(learner.body["questions"].as_array().unwrap().len(), 4);
    assert_eq!(
        learner.body["questions"][0]["choices"],
        json!(["30", "70", "150"])
    );
    assert_eq!(learner.body["attempts_left"], 2);
    for token in [&c.teacher, &c.admin, &c.root] {
        let r = c.app.get(&path, Some(token)).await;
        assert_eq!(r.body["questions"][0]["answer"], 1);
    }
    // Nor does an attempt's reply reveal it.
    let r = c
        .app
        .post(
            &format!("{path}/attempts"),
            Some(&c.learner),
            json!({"answers": [0, [1], true, "x"]}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    assert!(!r.text.contains("answer"), "{}", r.text);
}

async fn attempts_are_scored_limited_and_complete_the_unit(backend: Backend) {
    let c = Classroom::new(backend).await;
    let (unit, path) = quiz_unit(&c, Some(3)).await;
    let attempts = format!("{path}/attempts");
    let attempt = |answers: Value| {
        c.app
            .post(&attempts, Some(&c.learner), json!({"answers": answers}))
    };

    // Wrong shapes are rejected without using an attempt.
    let r = attempt(json!([1, [0, 2], false])).await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["answers"]);
    let r = attempt(json!(["1", [0, 7], "no", 3])).await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.error_fields(),
        vec!["answers[0]", "answers[1]", "answers[2]", "answers[3]"]
    );

    // single wrong, multiple right in any order, true_false wrong, fill_in right despite case
    // and spacing: 2 of 4 fails.
    let r = attempt(json!([0, [2, 0], true, "  blood   PRESSURE "])).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(
        (r.body["raw"].clone(), r.body["max"].clone()),
        (json!(2), json!(4))
    );
    assert_eq!(r.body["score"], 50.0);
    assert_eq!(r.body["passed"], false);
    assert_eq!(r.body["attempt"], 1);
    assert_eq!(r.body["attempts_left"], 2);
    let u = c.unit_progress(&unit).await;
    assert_eq!(u["state"], "in_progress");
    assert_eq!(u["best_score"], 50.0);

    // A partly right `multiple` is wrong; 3 of 4 is exactly the pass mark.
    let r = attempt(json!([1, [0, 1, 2], false, "bp"])).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["score"], 75.0);
    assert_eq!(r.body["passed"], true);
    let u = c.unit_progress(&unit).await;
    assert_eq!(u["state"], "completed");
    assert_eq!(u["best_score"], 75.0);
    assert!(c.progress(&c.learner).await["completed_at"].is_string());

    // Unanswered questions score nothing; the best score stays.
    let r = attempt(json!([1, null, null, null])).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["score"], 25.0);
    assert_eq!(r.body["best_score"], 75.0);
    assert_eq!(r.body["attempts_left"], 0);
    assert_eq!(c.unit_progress(&unit).await["best_score"], 75.0);
    assert_eq!(c.unit_progress(&unit).await["state"], "completed");

    attempt(json!([1, [0, 2], false, "bp"]))
        .await
        .assert_problem(StatusCode::CONFLICT, "quiz-attempts-exhausted");
    let view = c.app.get(&path, Some(&c.learner)).await;
    assert_eq!(view.body["attempts_used"], 3);
    assert_eq!(view.body["attempts_left"], 0);
    assert_eq!(view.body["best_score"], 75.0);

    // Each attempt is a statement recorded by the organisation.
    let client = c.app.lrs_client(&c.admin, &c.org, &["all"]).await;
    for (verb, n) in [(PASSED, 1), (FAILED, 2)] {
        let r = c
            .app
            .xapi(
                Method::GET,
                &format!("/xapi/statements?verb={verb}"),
                &client,
                None,
            )
            .await;
        let list = r.body["statements"].as_array().unwrap();
        assert_eq!(list.len(), n, "{}", r.text);
        for s in list {
            assert_eq!(s["object"]["id"], c.unit_iri(&unit).as_str());
            assert_eq!(s["actor"]["account"]["name"], c.learner_id.as_str());
            assert_eq!(s["authority"]["account"]["name"], c.org.as_str());
            assert_eq!(s["result"]["score"]["max"], 4);
            assert_eq!(s["result"]["completion"], true);
        }
    }
    let r = c
        .app
        .xapi(
            Method::GET,
            &format!("/xapi/statements?verb={PASSED}"),
            &client,
            None,
        )
        .await;
    assert_eq!(r.body["statements"][0]["result"]["score"]["scaled"], 0.75);
    assert_eq!(r.body["statements"][0]["result"]["success"], true);
}

async fn learners_cannot_pass_by_saying_so(backend: Backend) {
    let c = Classroom::new(backend).await;
    let (unit, _) = quiz_unit(&c, None).await;
    let mut s = c.statement(PASSED, &unit, json!({}));
    s["result"] = json!({"success": true, "score": {"scaled": 1.0}});
    c.send(s).await;
    let u = c.unit_progress(&unit).await;
    assert_eq!(u["state"], "in_progress");
    assert!(u["best_score"].is_null());
}

async fn the_attempts_limit_holds_under_concurrent_submissions(backend: Backend) {
    let c = Classroom::new(backend).await;
    let (_, path) = quiz_unit(&c, Some(2)).await;
    let attempts = format!("{path}/attempts");
    let body = json!({"answers": [1, [0, 2], false, "bp"]});
    let sends: Vec<_> = (0..5)
        .map(|_| c.app.post(&attempts, Some(&c.learner), body.clone()))
        .collect();
    let replies = futures::future::join_all(sends).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (2, 3));
    // The course completed once: one credential.
    let wallet = c.app.get("/api/v1/me/credentials", Some(&c.learner)).await;
    assert_eq!(
        wallet.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        wallet.text
    );
}

/// An attempt sent with a statement id of the caller's choosing (a page sending answers it kept
/// on the device) counts once however often it is sent; the id cannot be taken over by another
/// learner or reused at another quiz, and an id the LRS holds for another statement is refused
/// without using an attempt.
async fn a_resent_attempt_counts_once(backend: Backend) {
    let c = Classroom::new(backend).await;
    let (unit, path) = quiz_unit(&c, Some(2)).await;
    let attempts = format!("{path}/attempts");
    let right = json!([1, [0, 2], false, "bp"]);
    let id = "6f1c2a8e-3b7d-4c5e-9a10-2b3c4d5e6f70";
    let app = &c.app;
    let send = |token: &str, body: Value| {
        let token = token.to_owned();
        let attempts = attempts.clone();
        async move { app.post(&attempts, Some(&token), body).await }
    };

    let first = send(&c.learner, json!({"answers": right, "statement_id": id})).await;
    first.assert(StatusCode::CREATED);
    assert_eq!(first.body["attempt"], 1);
    assert_eq!(first.body["statement_id"], id);
    // Again, even with other answers: the attempt recorded first, not a second one.
    let again = send(
        &c.learner,
        json!({"answers": [0, [1], true, "no"], "statement_id": id}),
    )
    .await;
    again.assert(StatusCode::OK);
    assert_eq!(again.body["attempt"], 1);
    assert_eq!(again.body["passed"], true);
    assert_eq!(again.body["attempts_left"], 1);
    let view = c.app.get(&path, Some(&c.learner)).await;
    assert_eq!(view.body["attempts_used"], 1, "{}", view.text);
    // One statement under that id, the learner's.
    let stmt = c
        .app
        .xapi(
            Method::GET,
            &format!("/xapi/statements?statementId={id}"),
            &crate::support::lrs::Auth::Bearer(c.learner.clone()),
            None,
        )
        .await;
    stmt.assert(StatusCode::OK);
    assert_eq!(stmt.body["actor"], c.app.learner_agent(&c.learner_id));

    // Another learner cannot claim it, nor can it name an attempt at another quiz.
    let other = c.app.member(&c.root, &c.org, "learner").await;
    let r = send(&other, json!({"answers": right, "statement_id": id})).await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(r.body["code"], "conflict");
    let (_, second_quiz) = quiz_unit(&c, None).await;
    let r = c
        .app
        .post(
            &format!("{second_quiz}/attempts"),
            Some(&c.learner),
            json!({"answers": right, "statement_id": id}),
        )
        .await;
    r.assert(StatusCode::CONFLICT);

    // An id the LRS already holds for another statement: refused, and no attempt is used.
    let taken = "0a0b0c0d-1e1f-4a2b-8c3d-4e5f60718293";
    let mut statement = c.statement(
        "http://adlnet.gov/expapi/verbs/experienced",
        &unit,
        json!({}),
    );
    statement["id"] = json!(taken);
    c.send(json!([statement])).await.assert(StatusCode::OK);
    let r = send(&other, json!({"answers": right, "statement_id": taken})).await;
    r.assert(StatusCode::CONFLICT);
    let view = c.app.get(&path, Some(&other)).await;
    assert_eq!(view.body["attempts_used"], 0, "{}", view.text);

    let r = send(
        &c.learner,
        json!({"answers": right, "statement_id": "not-a-uuid"}),
    )
    .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_fields(), vec!["statement_id"]);
}

both_backends!(
    a_resent_attempt_counts_once,
    teachers_set_quizzes_and_learners_never_see_the_key,
    attempts_are_scored_limited_and_complete_the_unit,
    learners_cannot_pass_by_saying_so,
    the_attempts_limit_holds_under_concurrent_submissions,
);
