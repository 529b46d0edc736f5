//! cmi5 packages refused at import (hostile or malformed archives and structures) and
//! accepted in every format the specification lists, and the `@cmi5/requirements` ids the cmi5
//! tests cover.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    both_backends,
    cmi5::{au_xml, build_zip, import, launch, param, structure, zip, NS, PAGE},
    support::{course::Classroom, Backend},
};

async fn invalid_packages_are_refused_and_leave_nothing(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    let before = (
        app.count("courses").await,
        app.count("units").await,
        app.count("assets").await,
    );
    let good = structure();
    let files: Vec<(&str, &[u8])> = vec![
        ("lesson1/index.html", PAGE),
        ("lesson1/app.js", b"1"),
        ("lesson2/index.html", PAGE),
    ];
    let with = |xml: String| {
        let mut entries = files.clone();
        let xml = xml.into_bytes();
        let leaked: &'static [u8] = Box::leak(xml.into_boxed_slice());
        entries.push(("cmi5.xml", leaked));
        zip(&entries)
    };
    let bomb = {
        let zeros = vec![0u8; 64 << 20];
        let mut entries = files.clone();
        entries.push(("cmi5.xml", good.as_bytes()));
        entries.push(("zeros.bin", &zeros));
        zip(&entries)
    };
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("text renamed", b"this is not a zip".to_vec(), "application/zip", "not a ZIP"),
        ("no cmi5.xml", zip(&files), "application/zip", "no cmi5.xml"),
        (
            "zip slip",
            zip(&[("cmi5.xml", good.as_bytes()), ("../../evil.html", PAGE)]),
            "application/zip",
            "evil.html",
        ),
        ("zip bomb", bomb, "application/zip", "ZIP"),
        ("missing file", zip(&[("cmi5.xml", good.as_bytes())]), "application/zip", "lesson1/index.html"),
        (
            "duplicate ids",
            with(good.replace("https://example.org/aus/2", "https://example.org/aus/1")),
            "application/zip",
            "https://example.org/aus/1",
        ),
        ("bad IRI", with(good.replace("https://example.org/aus/3", "lesson three")), "application/zip", "lesson three"),
        ("bad moveOn", with(good.replace("moveOn=\"Passed\"", "moveOn=\"Sometimes\"")), "application/zip", "Sometimes"),
        (
            "bad scheme",
            with(good.replace("https://au.example.org/play?lang=en", "ftp://au.example.org/x")),
            "application/zip",
            "ftp",
        ),
        ("relative URL without a ZIP", good.clone().into_bytes(), "text/xml", "relative"),
        (
            "entity bomb",
            format!(
                "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>{}",
                good.trim_start_matches("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
            )
            .into_bytes(),
            "text/xml",
            "DTD",
        ),
        ("not XML", b"<courseStructure".to_vec(), "text/xml", "XML"),
        (
            "a launch parameter in an AU URL",
            with(good.replace("play?lang=en", "play?lang=en&amp;fetch=https://evil.example/")),
            "application/zip",
            "fetch",
        ),
    ];
    for (name, body, ctype, mention) in cases {
        let r = import(app, &c.teacher, &c.org, body, ctype).await;
        r.assert_problem(StatusCode::BAD_REQUEST, "package-invalid");
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(mention), "{name}: {detail}");
    }
    import(app, &c.teacher, &c.org, b"{}".to_vec(), "application/json")
        .await
        .assert(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let after = (
        app.count("courses").await,
        app.count("units").await,
        app.count("assets").await,
    );
    assert_eq!(before, after, "a refused package leaves nothing");
    assert_eq!(app.count("cmi5_packages").await, 0);
    app.get("/healthz", None).await.assert(StatusCode::OK);
}

async fn a_zip64_package_is_imported(backend: Backend) {
    let c = Classroom::new(backend).await;
    let files: Vec<(&str, &[u8])> = vec![
        (
            "cmi5.xml",
            Box::leak(structure().into_boxed_str()).as_bytes(),
        ),
        ("lesson1/index.html", PAGE),
        ("lesson1/app.js", b"1"),
        ("lesson2/index.html", PAGE),
    ];
    let body = build_zip(&files, true);
    let r = import(&c.app, &c.teacher, &c.org, body, "application/zip").await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["units"].as_array().unwrap().len(), 5);
}

/// The `@cmi5/requirements` ids these tests cover (each checked above, where its number is
/// named); the list must only name ids that exist.
const COVERED: &[&str] = &[
    "3.0.0.0-1 (d)",
    "4.4.0.0-2 (d)",
    "7.1.1.0-1 (d2)",
    "7.1.2.0-1 (d2)",
    "8.1.0.0-6 (d)",
    "8.1.2.0-1",
    "8.1.2.0-2 (d)",
    "8.2.1.0-3",
    "8.2.2.0-1",
    "8.2.3.0-1",
    "8.2.3.0-1 (d)",
    "9.3.1.0-1",
    "9.3.6.0-1",
    "9.3.6.0-2",
    "9.3.7.0-1",
    "9.3.7.0-2",
    "9.3.7.0-4",
    "9.3.9.0-1",
    "9.3.9.0-2",
    "9.3.9.0-5",
    "9.3.9.0-6",
    "9.3.9.0-9",
    "9.5.4.2-1",
    "9.6.3.3-1",
    "9.6.3.6-1",
    "10.2.1.0-5 (d)",
    "10.2.7.0-1",
    "13.1.4.0-1 (d)",
    "14.0.0.0-1",
    "14.0.0.0-1 (d)",
    "14.1.0.0-2 (d)",
];

#[test]
fn the_covered_requirement_ids_are_the_specifications() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients/node_modules/@cmi5/requirements/requirements.json");
    let text = std::fs::read_to_string(&path)
        .expect("npm ci --prefix tests/clients installs @cmi5/requirements");
    let all: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    let unknown: Vec<_> = COVERED
        .iter()
        .filter(|id| !all.contains_key(**id))
        .collect();
    assert!(unknown.is_empty(), "not cmi5 requirement ids: {unknown:?}");
}

async fn a_bare_cmi5_xml_with_remote_aus_is_imported_into_an_existing_course(backend: Backend) {
    let c = Classroom::new(backend).await;
    let app = &c.app;
    let xml = format!(
        r#"<courseStructure xmlns="{NS}"><course id="https://example.org/c/remote">
        <title><langstring lang="zh-CN">远程课程</langstring></title><description/></course>{}</courseStructure>"#,
        au_xml(
            "https://example.org/aus/r1",
            "Remote",
            "https://au.example.org/lesson?x=1&amp;y=2",
            r#"moveOn="Completed""#
        )
    );
    let r = app
        .http
        .post(app.url(&format!(
            "/api/v1/orgs/{}/packages?course_id={}",
            c.org, c.course
        )))
        .bearer_auth(&c.teacher)
        .header("content-type", "text/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    let r = crate::support::Reply::from(r).await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.body["course_id"], c.course.as_str());
    let unit = r.body["units"][0]["id"].as_str().unwrap().to_owned();
    let au = launch(app, &c.learner, &c.course, &unit, json!({})).await;
    // The LRS answers the AU's preflight from its own origin (a sandboxed page's is "null").
    let preflight = app
        .http
        .request(Method::OPTIONS, app.url("/xapi/statements"))
        .header("origin", "null")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization,x-experience-api-version,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("x-experience-api-version"),
        "{allowed}"
    );
    assert!(preflight
        .headers()
        .contains_key("access-control-allow-origin"));
    assert_eq!(au.url.host_str(), Some("au.example.org"));
    assert_eq!(param(&au.url, "x"), "1");
    assert_eq!(param(&au.url, "y"), "2");
}

both_backends!(
    a_bare_cmi5_xml_with_remote_aus_is_imported_into_an_existing_course,
    invalid_packages_are_refused_and_leave_nothing,
    a_zip64_package_is_imported,
);
