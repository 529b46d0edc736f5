//! Authoring courses and units, filters and paging, reuse across a consortium.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    both_backends,
    support::{Backend, TestApp},
};

async fn teachers_author_a_course_with_ordered_units(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "polytechnic").await;
    let teacher = app.member(&root, &org, "teacher").await;

    let r = app.post("/api/v1/courses", Some(&teacher), json!({
        "org_id": org, "title": "  Smart home installation  ", "summary": "Install and test sensors.",
        "domain": "internet-of-things", "level": 3, "target_groups": ["veterans", "employees", "veterans"],
        "language": "ZH-cn", "credit_value": 1.5, "estimated_minutes": 90, "tags": ["Sensors", "wifi", "sensors"]
    })).await;
    r.assert(StatusCode::CREATED);
    let c = &r.body;
    assert_eq!(c["title"], "Smart home installation");
    assert_eq!(c["language"], "zh-CN");
    assert_eq!(c["visibility"], "draft");
    assert_eq!(c["published_at"], serde_json::Value::Null);
    assert_eq!(c["target_groups"], json!(["employees", "veterans"]));
    assert_eq!(c["tags"], json!(["sensors", "wifi"]));
    assert_eq!(c["units"], json!([]));
    let id = r.id();

    let mut unit_ids = Vec::new();
    for (kind, title) in [
        ("video", "Tools"),
        ("document", "Wiring diagram"),
        ("quiz", "Safety check"),
    ] {
        let u = app
            .post(
                &format!("/api/v1/courses/{id}/units"),
                Some(&teacher),
                json!({"kind": kind, "title": title, "required": kind != "document"}),
            )
            .await;
        u.assert(StatusCode::CREATED);
        unit_ids.push(u.id());
    }
    let reordered = vec![
        unit_ids[2].clone(),
        unit_ids[0].clone(),
        unit_ids[1].clone(),
    ];
    let r = app
        .request(
            Method::PUT,
            &format!("/api/v1/courses/{id}/units:order"),
            Some(&teacher),
            Some(json!({"unit_ids": reordered})),
        )
        .await;
    r.assert(StatusCode::OK);
    let got = app
        .get(&format!("/api/v1/courses/{id}"), Some(&teacher))
        .await;
    let order: Vec<&str> = got.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        reordered.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(got.body["units"][2]["required"], false);

    // A reorder that omits a unit is refused and changes nothing.
    app.request(
        Method::PUT,
        &format!("/api/v1/courses/{id}/units:order"),
        Some(&teacher),
        Some(json!({"unit_ids": [unit_ids[0]]})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");

    let r = app
        .patch(
            &format!("/api/v1/courses/{id}"),
            Some(&teacher),
            json!({"level": 4, "tags": ["iot"]}),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["level"], 4);
    assert_eq!(
        r.body["title"], "Smart home installation",
        "fields not sent are kept"
    );
    assert_eq!(r.body["tags"], json!(["iot"]));

    let r = app
        .patch(
            &format!("/api/v1/courses/{id}/units/{}", unit_ids[1]),
            Some(&teacher),
            json!({"title": "Wiring (PDF)", "required": true}),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["title"], "Wiring (PDF)");
    app.request(
        Method::DELETE,
        &format!("/api/v1/courses/{id}/units/{}", unit_ids[0]),
        Some(&teacher),
        None,
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let got = app
        .get(&format!("/api/v1/courses/{id}"), Some(&teacher))
        .await;
    assert_eq!(got.body["units"].as_array().unwrap().len(), 2);

    // Publishing is explicit.
    let r = app
        .post(
            &format!("/api/v1/courses/{id}/publish"),
            Some(&teacher),
            json!({"visibility": "public"}),
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["visibility"], "public");
    assert!(r.body["published_at"].is_string());
    assert_eq!(
        app.get(&format!("/api/v1/courses/{id}"), None).await.body["title"],
        "Smart home installation"
    );
    app.post(
        &format!("/api/v1/courses/{id}/unpublish"),
        Some(&teacher),
        json!({}),
    )
    .await
    .assert(StatusCode::OK);
    app.get(&format!("/api/v1/courses/{id}"), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    app.request(
        Method::DELETE,
        &format!("/api/v1/courses/{id}"),
        Some(&teacher),
        None,
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.get(&format!("/api/v1/courses/{id}"), Some(&teacher))
        .await
        .assert(StatusCode::NOT_FOUND);
}

async fn the_catalogue_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let a = app.create_org(&root, "filters-a").await;
    let b = app.create_org(&root, "filters-b").await;
    let ta = app.member(&root, &a, "teacher").await;
    let tb = app.member(&root, &b, "teacher").await;
    let specs = [
        (
            &ta,
            &a,
            "Elderly care basics",
            "elderly-care",
            1,
            "zh-CN",
            vec!["migrant-workers"],
            vec!["care"],
        ),
        (
            &ta,
            &a,
            "Cloud servers 101",
            "cloud-computing",
            2,
            "en",
            vec!["graduates"],
            vec!["linux"],
        ),
        (
            &tb,
            &b,
            "E-commerce live selling",
            "e-commerce",
            2,
            "zh-CN",
            vec!["rural", "unemployed"],
            vec!["livestream"],
        ),
        (
            &tb,
            &b,
            "Advanced 100%_care",
            "elderly-care",
            5,
            "zh-TW",
            vec!["employees"],
            vec![],
        ),
    ];
    for (t, org, title, domain, level, lang, groups, tags) in specs {
        let r = app
            .post(
                "/api/v1/courses",
                Some(t),
                json!({"org_id": org, "title": title, "domain": domain, "level": level,
            "language": lang, "target_groups": groups, "tags": tags}),
            )
            .await;
        r.assert(StatusCode::CREATED);
        app.publish(t, &r.id(), "public").await;
    }
    let titles = |r: &crate::support::Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = |s: &str| format!("/api/v1/courses?{s}");
    assert_eq!(
        titles(&app.get(&q("domain=elderly-care"), None).await),
        vec!["Advanced 100%_care", "Elderly care basics"]
    );
    assert_eq!(
        titles(&app.get(&q("level=2&language=zh"), None).await),
        vec!["E-commerce live selling"]
    );
    assert_eq!(titles(&app.get(&q("language=zh-CN"), None).await).len(), 2);
    assert_eq!(
        titles(&app.get(&q("target_group=rural"), None).await),
        vec!["E-commerce live selling"]
    );
    assert_eq!(
        titles(&app.get(&q(&format!("org_id={a}")), None).await).len(),
        2
    );
    assert_eq!(
        titles(&app.get(&q("q=CLOUD"), None).await),
        vec!["Cloud servers 101"]
    );
    assert_eq!(
        titles(&app.get(&q("q=livestream"), None).await),
        vec!["E-commerce live selling"],
        "tags are searched"
    );
    // LIKE wildcards in the search text are literal.
    assert_eq!(
        titles(&app.get(&q("q=100%25_"), None).await),
        vec!["Advanced 100%_care"]
    );
    assert_eq!(
        titles(&app.get(&q("q=0%25"), None).await),
        vec!["Advanced 100%_care"]
    );

    // Paging: newest first, each course once, no cursor after the last page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => q(&format!("limit=3&cursor={c}")),
            None => q("limit=3"),
        };
        let r = app.get(&path, None).await;
        r.assert(StatusCode::OK);
        seen.extend(titles(&r));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            "Advanced 100%_care",
            "E-commerce live selling",
            "Cloud servers 101",
            "Elderly care basics"
        ]
    );
    app.get(&q("limit=0"), None)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid-query");
    app.get(&q("level=abc"), None)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid-query");
    app.get(&q("language=en_GB"), None)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid-query");
}

async fn consortium_members_reuse_units_without_copying(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let a = app.create_org(&root, "reuse-a").await;
    let b = app.create_org(&root, "reuse-b").await;
    let outsider = app.create_org(&root, "reuse-c").await;
    let admin_a = app.member(&root, &a, "admin").await;
    let admin_b = app.member(&root, &b, "admin").await;
    let ta = app.member(&root, &a, "teacher").await;
    let tb = app.member(&root, &b, "teacher").await;
    let tc = app.member(&root, &outsider, "teacher").await;
    app.consortium(&admin_a, &a, "alliance", &[(&admin_b, &b)])
        .await;

    let shared = app.course(&ta, &a, "Shared lectures").await;
    let unit = app
        .post(
            &format!("/api/v1/courses/{shared}/units"),
            Some(&ta),
            json!({"kind": "video", "title": "Hand hygiene"}),
        )
        .await
        .id();
    let own_b = app.course(&tb, &b, "B's own course").await;
    let own_c = app.course(&tc, &outsider, "C's own course").await;

    // A draft is not shared yet.
    app.post(
        &format!("/api/v1/courses/{own_b}/units"),
        Some(&tb),
        json!({"reuse_unit_id": unit}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    app.publish(&ta, &shared, "consortium").await;
    let r = app
        .post(
            &format!("/api/v1/courses/{own_b}/units"),
            Some(&tb),
            json!({"reuse_unit_id": unit, "required": false}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["source_unit_id"], unit.as_str());
    assert_eq!(r.body["kind"], "video");
    assert_eq!(r.body["title"], "Hand hygiene");
    assert_eq!(r.body["required"], false);
    // Reusing the reuse still points at the original.
    let again = app
        .post(
            &format!("/api/v1/courses/{own_b}/units"),
            Some(&tb),
            json!({"reuse_unit_id": r.id(), "title": "Hygiene (again)"}),
        )
        .await;
    assert_eq!(again.body["source_unit_id"], unit.as_str());

    // An organisation outside the consortium cannot.
    app.post(
        &format!("/api/v1/courses/{own_c}/units"),
        Some(&tc),
        json!({"reuse_unit_id": unit}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
}

both_backends!(
    teachers_author_a_course_with_ordered_units,
    the_catalogue_filters_and_pages,
    consortium_members_reuse_units_without_copying
);
