//! The audit log: administrative actions become rows with who, what and when, newest first,
//! readable by the organisation's admins only; refused actions leave no row.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{course::Classroom, Backend},
};

async fn administrative_actions_are_logged_for_the_organisations_admins(backend: Backend) {
    let c = Classroom::new(backend).await;
    let log = format!("/api/v1/orgs/{}/audit", c.org);
    let admin_email = c.app.email(&c.admin).await;
    let teacher_email = c.app.email(&c.teacher).await;

    // A teacher's refused attempt at an admin action leaves nothing.
    c.app
        .post(
            &format!("/api/v1/orgs/{}/members", c.org),
            Some(&c.teacher),
            json!({"email": "x@example.org", "display_name": "X", "password": "password-123", "role": "learner"}),
        )
        .await
        .assert(StatusCode::FORBIDDEN);

    let r = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/members", c.org),
            Some(&c.admin),
            json!({"email": "new@example.org", "display_name": "New", "password": "password-123", "role": "learner"}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    let new_id = c.app.member_id(&c.admin, &c.org, "new@example.org").await;
    c.app
        .request(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/members/{new_id}", c.org),
            Some(&c.admin),
            Some(json!({"role": "teacher"})),
        )
        .await
        .assert(StatusCode::NO_CONTENT);
    c.app.publish(&c.teacher, &c.course, "public").await;
    let email = c.app.email(&c.learner).await;
    let issued = c
        .app
        .post(
            &format!("/api/v1/orgs/{}/credentials", c.org),
            Some(&c.admin),
            json!({"learner_email": email, "achievement": {"name": "Forklift licence", "hours": 40, "credits": 2}}),
        )
        .await;
    issued.assert(StatusCode::CREATED);
    let credential = issued.body["id"].as_str().unwrap().to_owned();
    c.app
        .post(
            &format!("/api/v1/credentials/{credential}/revoke"),
            Some(&c.admin),
            json!({"reason": "issued by mistake"}),
        )
        .await
        .assert(StatusCode::OK);
    c.app
        .get(
            &format!("/api/v1/orgs/{}/credits:export?format=csv", c.org),
            Some(&c.admin),
        )
        .await
        .assert(StatusCode::OK);

    let r = c.app.get(&log, Some(&c.admin)).await;
    r.assert(StatusCode::OK);
    let items = r.body["items"].as_array().unwrap().clone();
    let seen: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
            )
        })
        .collect();
    // The classroom's own making comes first: the superadmin adding its three members, the
    // teacher publishing the course to the organisation.
    assert_eq!(seen.len(), 10, "{seen:?}");
    assert!(
        seen[6..].iter().filter(|e| e.0 == "member.added").count() == 3,
        "{seen:?}"
    );
    assert_eq!(
        seen[..6],
        vec![
            ("credits.exported", admin_email.as_str(), c.org.as_str()),
            (
                "credential.revoked",
                admin_email.as_str(),
                credential.as_str()
            ),
            (
                "credential.issued",
                admin_email.as_str(),
                credential.as_str()
            ),
            (
                "course.published",
                teacher_email.as_str(),
                c.course.as_str()
            ),
            ("member.role_changed", admin_email.as_str(), new_id.as_str()),
            ("member.added", admin_email.as_str(), new_id.as_str()),
        ],
        "newest first, refused actions absent"
    );
    assert_eq!(items[1]["detail"]["reason"], "issued by mistake");
    assert_eq!(items[3]["detail"]["visibility"], "public");
    assert_eq!(items[4]["detail"]["role"], "teacher");
    assert!(items[0]["at"].as_str().unwrap().ends_with('Z'));

    // The organisation's admin page lists them too.
    let page = c
        .app
        .get(&format!("/admin/orgs/{}", c.org), Some(&c.admin))
        .await;
    page.assert(StatusCode::OK);
    assert!(
        page.text.contains(r#"data-action="credential.revoked""#),
        "{}",
        page.text
    );

    // Paging back from the third entry gives the older ones.
    let third = items[2]["id"].as_str().unwrap();
    let older = c
        .app
        .get(&format!("{log}?before={third}&limit=2"), Some(&c.admin))
        .await;
    let actions: Vec<Value> = older.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(
        actions,
        vec![json!("course.published"), json!("member.role_changed")]
    );

    // Only the organisation's admins (and superadmins) read it; another organisation's log
    // holds none of this.
    for token in [&c.teacher, &c.learner] {
        c.app
            .get(&log, Some(token))
            .await
            .assert(StatusCode::FORBIDDEN);
    }
    c.app.get(&log, Some(&c.root)).await.assert(StatusCode::OK);
    let other = c.app.create_org(&c.root, "other-centre").await;
    let other_admin = c.app.member(&c.root, &other, "admin").await;
    c.app
        .get(&log, Some(&other_admin))
        .await
        .assert(StatusCode::FORBIDDEN);
    let theirs = c
        .app
        .get(&format!("/api/v1/orgs/{other}/audit"), Some(&other_admin))
        .await;
    // Only its own making: the superadmin adding its admin.
    let theirs: Vec<&str> = theirs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(theirs, vec!["member.added"]);
}

both_backends!(administrative_actions_are_logged_for_the_organisations_admins);
