use reqwest::StatusCode;

use crate::{
    both_backends,
    support::{Backend, TestApp},
};

async fn healthz_and_readyz_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/healthz", None).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    let r = app.get("/readyz", None).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.body["database"]["ok"], true);
    assert_eq!(r.body["store"]["ok"], true);
    assert!(
        r.headers.contains_key("x-request-id"),
        "every response carries a request id"
    );
}

async fn unknown_routes_and_methods_are_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.get("/api/v1/nothing-here", None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    app.request(reqwest::Method::DELETE, "/healthz", None, None)
        .await
        .assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}

async fn graceful_shutdown_finishes_and_frees_the_port(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let addr = app.addr;
    app.get("/healthz", None).await.assert(StatusCode::OK);
    app.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed after shutdown"
    );
}

both_backends!(
    healthz_and_readyz_answer,
    unknown_routes_and_methods_are_problems,
    graceful_shutdown_finishes_and_frees_the_port
);
