//! Who may use the document resources: scopes of LRS clients, tenants (an organisation's
//! clients, each learner), and the parameters every request must get right.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    both_backends,
    support::{lrs::Auth, Backend},
    xapi_documents::{
        activity_profile_path, agent_profile_path, lrs, mbox, put, query, state_path, user_id, Lrs,
        ACTIVITY,
    },
};

async fn scopes_limit_clients(backend: Backend) {
    let Lrs {
        app, admin, org, ..
    } = lrs(backend).await;
    let agent = mbox("a@example.org");
    let writer = app.lrs_client(&admin, &org, &["statements/write"]).await;
    let agent_s = agent.to_string();
    let agents = format!("/xapi/agents?{}", query(&[("agent", &agent_s)]));
    let activities = format!("/xapi/activities?{}", query(&[("activityId", ACTIVITY)]));
    for path in [
        state_path(&agent, Some("s")),
        activity_profile_path("p"),
        agent_profile_path(&agent, "p"),
    ] {
        put(&app, &path, &writer, &json!({}), &[])
            .await
            .assert(StatusCode::FORBIDDEN);
        app.xapi(Method::GET, &path, &writer, None)
            .await
            .assert(StatusCode::FORBIDDEN);
    }
    for path in [&agents, &activities] {
        app.xapi(Method::GET, path, &writer, None)
            .await
            .assert(StatusCode::FORBIDDEN);
    }
    let state_only = app.lrs_client(&admin, &org, &["state"]).await;
    put(
        &app,
        &state_path(&agent, Some("s")),
        &state_only,
        &json!({}),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    put(
        &app,
        &activity_profile_path("p"),
        &state_only,
        &json!({}),
        &[],
    )
    .await
    .assert(StatusCode::FORBIDDEN);
    let profile = app.lrs_client(&admin, &org, &["profile"]).await;
    put(
        &app,
        &agent_profile_path(&agent, "p"),
        &profile,
        &json!({}),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    let reader = app.lrs_client(&admin, &org, &["all/read"]).await;
    app.xapi(Method::GET, &state_path(&agent, Some("s")), &reader, None)
        .await
        .assert(StatusCode::OK);
    put(
        &app,
        &state_path(&agent, Some("s")),
        &reader,
        &json!({}),
        &[],
    )
    .await
    .assert(StatusCode::FORBIDDEN);
    app.xapi(
        Method::GET,
        &state_path(&agent, None),
        &Auth::Anonymous,
        None,
    )
    .await
    .assert(StatusCode::UNAUTHORIZED);
    let define = app.lrs_client(&admin, &org, &["define"]).await;
    for path in [&agents, &activities] {
        app.xapi(Method::GET, path, &define, None)
            .await
            .assert(StatusCode::OK);
    }
}

async fn tenants_keep_documents_apart(backend: Backend) {
    let Lrs {
        app,
        root,
        org,
        client,
        ..
    } = lrs(backend).await;
    let other_org = app.create_org(&root, "elsewhere").await;
    let other_admin = app.member(&root, &other_org, "admin").await;
    let other_client = app.lrs_client(&other_admin, &other_org, &["all"]).await;
    let agent = mbox("a@example.org");
    put(
        &app,
        &state_path(&agent, Some("s")),
        &client,
        &json!({"mine": true}),
        &[],
    )
    .await;
    app.xapi(
        Method::GET,
        &state_path(&agent, Some("s")),
        &other_client,
        None,
    )
    .await
    .assert(StatusCode::NOT_FOUND);
    assert_eq!(
        app.xapi(Method::GET, &state_path(&agent, None), &other_client, None)
            .await
            .body,
        json!([])
    );

    let alice = app.member(&root, &org, "learner").await;
    let bob = app.member(&root, &org, "learner").await;
    let alice_agent = app.learner_agent(&user_id(&app, &alice).await);
    let bob_agent = app.learner_agent(&user_id(&app, &bob).await);
    let (alice, bob) = (Auth::Bearer(alice), Auth::Bearer(bob));
    put(
        &app,
        &state_path(&alice_agent, Some("s")),
        &alice,
        &json!({"page": 2}),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    assert_eq!(
        app.xapi(
            Method::GET,
            &state_path(&alice_agent, Some("s")),
            &alice,
            None
        )
        .await
        .body,
        json!({"page": 2})
    );
    app.xapi(
        Method::GET,
        &state_path(&alice_agent, Some("s")),
        &bob,
        None,
    )
    .await
    .assert(StatusCode::FORBIDDEN);
    put(
        &app,
        &state_path(&alice_agent, Some("s")),
        &bob,
        &json!({}),
        &[],
    )
    .await
    .assert(StatusCode::FORBIDDEN);
    put(
        &app,
        &agent_profile_path(&alice_agent, "p"),
        &bob,
        &json!({}),
        &[],
    )
    .await
    .assert(StatusCode::FORBIDDEN);
    put(
        &app,
        &agent_profile_path(&bob_agent, "p"),
        &bob,
        &json!({}),
        &[],
    )
    .await
    .assert(StatusCode::NO_CONTENT);
    // A learner's documents are their own, not the organisation clients'.
    app.xapi(
        Method::GET,
        &state_path(&alice_agent, Some("s")),
        &client,
        None,
    )
    .await
    .assert(StatusCode::NOT_FOUND);
}

async fn bad_parameters_are_400(backend: Backend) {
    let Lrs { app, client, .. } = lrs(backend).await;
    let agent = mbox("a@example.org").to_string();
    let two_ifis =
        json!({"mbox": "mailto:a@example.org", "openid": "http://example.org/a"}).to_string();
    let uuid = uuid::Uuid::new_v4().to_string();
    let state = |pairs: &[(&str, &str)]| format!("/xapi/activities/state?{}", query(pairs));
    for (method, path) in [
        (Method::GET, state(&[("agent", &agent), ("stateId", "s")])),
        (
            Method::GET,
            state(&[("activityId", ACTIVITY), ("stateId", "s")]),
        ),
        (
            Method::GET,
            state(&[("activityId", ACTIVITY), ("agent", "not json")]),
        ),
        (
            Method::GET,
            state(&[("activityId", ACTIVITY), ("agent", &two_ifis)]),
        ),
        (
            Method::GET,
            state(&[("activityId", "lesson"), ("agent", &agent)]),
        ),
        (
            Method::GET,
            state(&[
                ("activityId", ACTIVITY),
                ("agent", &agent),
                ("registration", "nope"),
            ]),
        ),
        (
            Method::GET,
            state(&[
                ("activityId", ACTIVITY),
                ("agent", &agent),
                ("since", "yesterday"),
            ]),
        ),
        (
            Method::GET,
            state(&[("activityId", ACTIVITY), ("agent", &agent), ("limit", "3")]),
        ),
        (
            Method::GET,
            state(&[("ActivityId", ACTIVITY), ("agent", &agent)]),
        ),
        (
            Method::GET,
            state(&[
                ("activityId", ACTIVITY),
                ("activityId", ACTIVITY),
                ("agent", &agent),
            ]),
        ),
        (
            Method::PUT,
            state(&[("activityId", ACTIVITY), ("agent", &agent)]),
        ),
        (
            Method::PUT,
            state(&[
                ("activityId", ACTIVITY),
                ("agent", &agent),
                ("stateId", "s"),
                ("since", "2020-01-01T00:00:00Z"),
            ]),
        ),
        (
            Method::POST,
            state(&[
                ("activityId", ACTIVITY),
                ("agent", &agent),
                ("registration", &uuid),
            ]),
        ),
        (
            Method::PUT,
            format!("/xapi/activities/profile?{}", query(&[("profileId", "p")])),
        ),
        (
            Method::PUT,
            format!("/xapi/agents/profile?{}", query(&[("profileId", "p")])),
        ),
        (
            Method::GET,
            format!(
                "/xapi/agents/profile?{}",
                query(&[("agent", &agent), ("activityId", ACTIVITY)])
            ),
        ),
        (
            Method::GET,
            format!(
                "/xapi/agents?{}",
                query(&[("agent", &agent), ("profileId", "p")])
            ),
        ),
    ] {
        let r = app
            .xapi(method.clone(), &path, &client, Some(json!({})))
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            r.text
        );
    }
    // Without the version header the LRS refuses before anything else.
    let r = client
        .apply(
            app.http
                .get(app.url(&state(&[("activityId", ACTIVITY), ("agent", &agent)]))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

both_backends!(
    scopes_limit_clients,
    tenants_keep_documents_apart,
    bad_parameters_are_400,
);
