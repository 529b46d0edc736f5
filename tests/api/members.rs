//! Organisation admins add members one by one and from a class list.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    both_backends,
    support::{Backend, TestApp},
};

async fn admins_add_members_and_duplicates_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "training-centre").await;
    let admin = app.member(&root, &org, "admin").await;
    let path = format!("/api/v1/orgs/{org}/members");
    let r = app.post(&path, Some(&admin), json!({"email": "zhang@example.org", "display_name": "Zhang", "password": "password-1", "role": "teacher"})).await;
    r.assert(StatusCode::CREATED);
    let new_account = r.body.clone();
    let r = app.post(&path, Some(&admin), json!({"email": "ZHANG@example.org", "display_name": "Zhang", "password": "password-1", "role": "teacher"})).await;
    r.assert_problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(r.error_fields(), vec!["email"]);

    // An existing account from another organisation is invited, not enrolled, and its
    // password is untouched; the answer is the one a new address gets.
    let other = app.create_org(&root, "other-centre").await;
    let other_admin = app.member(&root, &other, "admin").await;
    let r = app
        .post(
            &format!("/api/v1/orgs/{other}/members"),
            Some(&other_admin),
            json!({"email": "zhang@example.org", "password": "hijacked-pass", "role": "teacher"}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(
        r.body.as_object().unwrap().keys().collect::<Vec<_>>(),
        new_account.as_object().unwrap().keys().collect::<Vec<_>>()
    );
    assert!(r.body.get("user_id").is_none() && r.body.get("created_account").is_none());
    let zhang = app.login("zhang@example.org", "password-1").await;
    let me = app.get("/api/v1/me", Some(&zhang)).await;
    assert_eq!(
        me.body["memberships"].as_array().unwrap().len(),
        1,
        "{}",
        me.text
    );
    assert_eq!(me.body["invitations"][0]["org_id"], other.as_str());
    assert_eq!(me.body["invitations"][0]["role"], "teacher");
    let other_list = app
        .get(&format!("/api/v1/orgs/{other}/members"), Some(&other_admin))
        .await;
    assert!(
        other_list.text.contains(r#""status":"invited""#),
        "{}",
        other_list.text
    );
    let page = app.get("/me", Some(&zhang)).await;
    assert!(
        page.text.contains("Org other-centre")
            && page.text.contains(&format!(
                r#"data-action="/api/v1/me/invitations/{other}/accept""#
            )),
        "{}",
        page.text
    );
    // Until accepted the invitation grants nothing; accepting joins with the invited role.
    let new_course = json!({"org_id": other, "title": "T", "domain": "elderly-care", "level": 1, "language": "zh-CN"});
    app.post("/api/v1/courses", Some(&zhang), new_course.clone())
        .await
        .assert(StatusCode::FORBIDDEN);
    app.post(
        &format!("/api/v1/me/invitations/{other}/accept"),
        Some(&zhang),
        json!({}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let me = app.get("/api/v1/me", Some(&zhang)).await;
    assert_eq!(
        me.body["memberships"].as_array().unwrap().len(),
        2,
        "{}",
        me.text
    );
    assert_eq!(me.body["invitations"].as_array().unwrap().len(), 0);
    app.post("/api/v1/courses", Some(&zhang), new_course)
        .await
        .assert(StatusCode::CREATED);
    app.post(
        &format!("/api/v1/me/invitations/{other}/accept"),
        Some(&zhang),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not-found");
    // A declined invitation leaves no membership.
    let third = app.create_org(&root, "third-centre").await;
    app.post(
        &format!("/api/v1/orgs/{third}/members"),
        Some(&root),
        json!({"email": "zhang@example.org", "role": "learner"}),
    )
    .await
    .assert(StatusCode::CREATED);
    app.post(
        &format!("/api/v1/me/invitations/{third}/decline"),
        Some(&zhang),
        json!({}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let me = app.get("/api/v1/me", Some(&zhang)).await;
    assert_eq!(
        me.body["memberships"].as_array().unwrap().len(),
        2,
        "{}",
        me.text
    );

    let list = app.get(&path, Some(&admin)).await;
    list.assert(StatusCode::OK);
    let emails: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"zhang@example.org"));
    assert_eq!(emails.len(), 2);
}

async fn roles_change_but_the_last_admin_stays(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "solo").await;
    let admin = app.member(&root, &org, "admin").await;
    let me = app.get("/api/v1/me", Some(&admin)).await;
    let admin_id = me.body["user"]["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/orgs/{org}/members/{admin_id}"),
        Some(&admin),
        json!({"role": "learner"}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    let teacher = app.member(&root, &org, "teacher").await;
    let teacher_id = app.get("/api/v1/me", Some(&teacher)).await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &format!("/api/v1/orgs/{org}/members/{teacher_id}"),
        Some(&admin),
        json!({"role": "admin"}),
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    // The promoted teacher can now manage members.
    app.get(&format!("/api/v1/orgs/{org}/members"), Some(&teacher))
        .await
        .assert(StatusCode::OK);
    app.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/orgs/{org}/members/{admin_id}"),
        Some(&teacher),
        None,
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    app.get(&format!("/api/v1/orgs/{org}/members"), Some(&admin))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

async fn a_class_list_imports_row_by_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "class-import").await;
    let admin = app.member(&root, &org, "admin").await;
    app.post(&format!("/api/v1/orgs/{org}/members"), Some(&admin), json!({"email": "existing@example.org", "display_name": "E", "password": "password-1", "role": "learner"}))
        .await
        .assert(StatusCode::CREATED);
    let other = app.create_org(&root, "elsewhere").await;
    app.post(&format!("/api/v1/orgs/{other}/members"), Some(&root), json!({"email": "moving@example.org", "display_name": "M", "password": "password-1", "role": "learner"}))
        .await
        .assert(StatusCode::CREATED);

    let csv = "\u{feff}email,display_name,role,password\n\
               wang.fang@example.org,王芳,learner,first-pass-1\n\
               not-an-email,Bad,learner,first-pass-2\n\
               li.qiang@example.org,李强,,\n\
               existing@example.org,E,learner,password-9\n\
               moving@example.org,,learner,\n\
               boss@example.org,Boss,owner,first-pass-3\n\
               short@example.org,Short,learner,abc\n";
    let resp = app
        .http
        .post(app.url(&format!("/api/v1/orgs/{org}/members:import")))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let report: serde_json::Value = resp.json().await.unwrap();
    let rows = report["rows"].as_array().unwrap();
    let status = |line: u64| {
        rows.iter()
            .find(|r| r["line"] == line)
            .map(|r| r["status"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(status(2), "created");
    assert_eq!(status(3), "rejected");
    assert_eq!(status(4), "created");
    assert_eq!(status(5), "rejected", "already a member");
    assert_eq!(status(6), "invited");
    assert_eq!(status(7), "rejected", "unknown role");
    assert_eq!(status(8), "rejected", "password too short");
    assert_eq!(
        (
            report["created"].as_u64(),
            report["invited"].as_u64(),
            report["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(4))
    );
    let reason = rows.iter().find(|r| r["line"] == 3).unwrap()["reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("e-mail"), "{reason}");

    // The generated initial password works, and is shown only for the row that had none.
    let li = rows.iter().find(|r| r["line"] == 4).unwrap();
    let initial = li["initial_password"].as_str().unwrap();
    app.login("li.qiang@example.org", initial).await;
    assert!(rows
        .iter()
        .find(|r| r["line"] == 2)
        .unwrap()
        .get("initial_password")
        .is_none());
    app.login("wang.fang@example.org", "first-pass-1").await;

    let members = app
        .get(&format!("/api/v1/orgs/{org}/members"), Some(&admin))
        .await;
    assert_eq!(
        members.body["items"].as_array().unwrap().len(),
        5,
        "admin, existing, two imported and one invited"
    );
}

async fn an_import_without_an_email_column_is_rejected_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "no-email").await;
    let resp = app
        .http
        .post(app.url(&format!("/api/v1/orgs/{org}/members:import")))
        .bearer_auth(&root)
        .header("content-type", "text/csv")
        .body("name,role\nA,learner\n")
        .send()
        .await
        .unwrap();
    let r = crate::support::Reply::from(resp).await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
}

both_backends!(
    admins_add_members_and_duplicates_conflict,
    roles_change_but_the_last_admin_stays,
    a_class_list_imports_row_by_row,
    an_import_without_an_email_column_is_rejected_whole
);
