//! The Activities and Agents resources (Communication 2.4, 2.5): what the LRS knows of an
//! Activity or an Agent, from the statements the caller may read.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    both_backends,
    support::{
        lrs::{statement, Auth},
        Backend,
    },
    xapi_documents::{lrs, mbox, query, user_id, Lrs, ACTIVITY, ATTEMPTED},
};

async fn activities_resource_returns_the_canonical_definition(backend: Backend) {
    let Lrs {
        app, root, client, ..
    } = lrs(backend).await;
    let id = "http://example.org/activities/meeting";
    let mut first = statement("a@example.org", ATTEMPTED, id);
    first["object"]["definition"] = json!({"name": {"en-US": "example meeting"}, "type": "http://adlnet.gov/expapi/activities/meeting"});
    let mut second = statement("b@example.org", ATTEMPTED, id);
    second["object"]["definition"] = json!({"name": {"fr-FR": "réunion"}});
    app.xapi(
        Method::POST,
        "/xapi/statements",
        &client,
        Some(json!([first, second])),
    )
    .await
    .assert(StatusCode::OK);
    let path = format!("/xapi/activities?{}", query(&[("activityId", id)]));
    let r = app.xapi(Method::GET, &path, &client, None).await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"objectType": "Activity", "id": id, "definition": {
            "name": {"en-US": "example meeting", "fr-FR": "réunion"},
            "type": "http://adlnet.gov/expapi/activities/meeting"}})
    );
    // Unknown to this caller: still an Activity object (Communication 2.5.s2.b1).
    let other_org = app.create_org(&root, "elsewhere").await;
    let other_admin = app.member(&root, &other_org, "admin").await;
    let other = app.lrs_client(&other_admin, &other_org, &["all"]).await;
    let r = app.xapi(Method::GET, &path, &other, None).await;
    assert_eq!(r.body, json!({"objectType": "Activity", "id": id}));
    app.xapi(Method::GET, "/xapi/activities", &client, None)
        .await
        .assert(StatusCode::BAD_REQUEST);
    app.xapi(
        Method::GET,
        "/xapi/activities?activityId=not-an-iri",
        &client,
        None,
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
}

async fn agents_resource_returns_a_person(backend: Backend) {
    let Lrs {
        app,
        root,
        org,
        client,
        ..
    } = lrs(backend).await;
    let mut s = statement("named@example.org", ATTEMPTED, ACTIVITY);
    s["actor"]["name"] = json!("Named Person");
    app.xapi(Method::POST, "/xapi/statements", &client, Some(s))
        .await
        .assert(StatusCode::OK);
    let agent = mbox("named@example.org").to_string();
    let r = app
        .xapi(
            Method::GET,
            &format!("/xapi/agents?{}", query(&[("agent", &agent)])),
            &client,
            None,
        )
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"objectType": "Person", "name": ["Named Person"], "mbox": ["mailto:named@example.org"]})
    );
    let unknown = json!({"openid": "http://example.org/people/x"}).to_string();
    let r = app
        .xapi(
            Method::GET,
            &format!("/xapi/agents?{}", query(&[("agent", &unknown)])),
            &client,
            None,
        )
        .await;
    assert_eq!(
        r.body,
        json!({"objectType": "Person", "openid": ["http://example.org/people/x"]})
    );

    let learner = app.member(&root, &org, "learner").await;
    let id = user_id(&app, &learner).await;
    let me = app.learner_agent(&id).to_string();
    let path = format!("/xapi/agents?{}", query(&[("agent", &me)]));
    let r = app
        .xapi(Method::GET, &path, &Auth::Bearer(learner.clone()), None)
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["objectType"], "Person");
    assert_eq!(r.body["account"][0]["name"], json!(id));
    assert!(r.body["mbox"][0]
        .as_str()
        .unwrap()
        .starts_with("mailto:learner-"));
    assert_eq!(r.body["name"], json!(["A learner"]));
    // The organisation's client knows its member too.
    let r = app.xapi(Method::GET, &path, &client, None).await;
    assert_eq!(r.body["name"], json!(["A learner"]));
    let someone = format!("/xapi/agents?{}", query(&[("agent", &agent)]));
    app.xapi(Method::GET, &someone, &Auth::Bearer(learner), None)
        .await
        .assert(StatusCode::FORBIDDEN);
    let group = json!({"objectType": "Group", "mbox": "mailto:team@example.org"}).to_string();
    app.xapi(
        Method::GET,
        &format!("/xapi/agents?{}", query(&[("agent", &group)])),
        &client,
        None,
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
}

both_backends!(
    activities_resource_returns_the_canonical_definition,
    agents_resource_returns_a_person,
);
