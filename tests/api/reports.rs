//! Training reports: exact numbers per grouping and period on both backends (the period
//! bucketing is written per backend, so these same assertions prove they agree), CSV, the date
//! range and who may see what.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    both_backends,
    support::{Backend, Reply, TestApp},
};

struct World {
    root: String,
    north: String,
    south: String,
    north_admin: String,
    south_admin: String,
    /// Elderly care, level 2, 1.5 credits, 90 minutes, for veterans and the unemployed.
    care: String,
    /// E-commerce, level 3, 2 credits, 45 minutes, for graduates.
    shop: String,
}

fn ms(rfc3339: &str) -> i64 {
    caravan::db::time::parse_rfc3339(rfc3339).expect("timestamp")
}

async fn learner(app: &TestApp, admin: &str, org: &str, n: usize) -> String {
    let r = app
        .post(
            &format!("/api/v1/orgs/{org}/members"),
            Some(admin),
            json!({"email": format!("learner-{n}@example.org"), "display_name": format!("学员 {n}"),
                   "password": "password-123", "role": "learner"}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    app.member_id(admin, org, &format!("learner-{n}@example.org"))
        .await
}

#[allow(clippy::too_many_arguments)]
async fn course(
    app: &TestApp,
    token: &str,
    org: &str,
    title: &str,
    domain: &str,
    level: i64,
    credits: f64,
    minutes: i64,
    groups: &[&str],
) -> String {
    let r = app
        .post(
            "/api/v1/courses",
            Some(token),
            json!({"org_id": org, "title": title, "domain": domain, "level": level,
                   "language": "zh-CN", "credit_value": credits, "estimated_minutes": minutes,
                   "target_groups": groups}),
        )
        .await;
    r.assert(StatusCode::CREATED);
    r.id()
}

async fn progress(
    app: &TestApp,
    user: &str,
    course: &str,
    org: &str,
    started: &str,
    completed: Option<&str>,
) {
    sqlx::query(
        "INSERT INTO course_progress (user_id, course_id, org_id, started_at, completed_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user)
    .bind(course)
    .bind(org)
    .bind(ms(started))
    .bind(completed.map(ms))
    .execute(&app.state.db.pool)
    .await
    .unwrap();
}

/// Two organisations, three courses, eight learners' progress across years, quarters and the
/// exact edges of a year and a quarter.
async fn world(app: &TestApp) -> World {
    let root = app.superadmin().await;
    let north = app.create_org(&root, "north").await;
    let south = app.create_org(&root, "south").await;
    let north_admin = app.member(&root, &north, "admin").await;
    let south_admin = app.member(&root, &south, "admin").await;
    let care = course(
        app,
        &north_admin,
        &north,
        "养老护理基础",
        "elderly-care",
        2,
        1.5,
        90,
        &["veterans", "unemployed"],
    )
    .await;
    let shop = course(
        app,
        &north_admin,
        &north,
        "网店运营",
        "e-commerce",
        3,
        2.0,
        45,
        &["graduates"],
    )
    .await;
    let farm = course(
        app,
        &south_admin,
        &south,
        "Greenhouse",
        "agriculture",
        1,
        0.5,
        120,
        &[],
    )
    .await;
    let mut l = Vec::new();
    for n in 0..4 {
        l.push(learner(app, &north_admin, &north, n).await);
    }
    for n in 4..6 {
        l.push(learner(app, &south_admin, &south, n).await);
    }
    // (learner, course: 0 care, 1 shop, 2 farm, started, completed); learners 4 and 5 are south's.
    const PROGRESS: [(usize, usize, &str, &str); 8] = [
        (0, 0, "2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00Z"),
        (1, 0, "2026-01-10T08:00:00Z", "2026-03-31T23:59:59.999Z"),
        (2, 0, "2026-02-05T12:00:00Z", ""),
        (0, 1, "2026-03-15T09:30:00Z", "2026-04-01T00:00:00Z"),
        (1, 1, "2026-07-01T00:00:00Z", "2026-07-02T10:00:00Z"),
        (3, 1, "2027-01-03T00:00:00Z", ""),
        (4, 2, "2026-01-20T00:00:00Z", "2026-02-20T00:00:00Z"),
        (5, 2, "2026-05-05T00:00:00Z", ""),
    ];
    let courses = [&care, &shop, &farm];
    for (user, c, started, completed) in PROGRESS {
        let org = if user < 4 { &north } else { &south };
        let completed = (!completed.is_empty()).then_some(completed);
        progress(app, &l[user], courses[c], org, started, completed).await;
    }
    World {
        root,
        north,
        south,
        north_admin,
        south_admin,
        care,
        shop,
    }
}

/// The metrics of a row or of the totals.
fn m(v: &Value) -> (i64, i64, f64, f64, Option<f64>) {
    (
        v["enrolled"].as_i64().unwrap(),
        v["completed"].as_i64().unwrap(),
        v["learning_hours"].as_f64().unwrap(),
        v["credits"].as_f64().unwrap(),
        v["completion_rate"].as_f64(),
    )
}

fn rows(r: &Reply) -> Vec<Value> {
    r.assert(StatusCode::OK);
    r.body["rows"].as_array().unwrap().clone()
}

async fn grouped_by_domain_and_quarter_within_a_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let r = app
        .get(
            "/api/v1/reports/training?group_by=domain,period&period=quarter&from=2026-01-01&to=2026-12-31",
            Some(&w.root),
        )
        .await;
    let got: Vec<_> = rows(&r)
        .iter()
        .map(|row| {
            (
                row["domain"].as_str().unwrap().to_owned(),
                row["period"].as_str().unwrap().to_owned(),
                m(row),
            )
        })
        .collect();
    let want = vec![
        ("agriculture", "2026-Q1", (1, 1, 2.0, 0.5, Some(1.0))),
        ("agriculture", "2026-Q2", (1, 0, 0.0, 0.0, Some(0.0))),
        ("e-commerce", "2026-Q1", (1, 0, 0.0, 0.0, Some(0.0))),
        ("e-commerce", "2026-Q2", (0, 1, 0.75, 2.0, None)),
        ("e-commerce", "2026-Q3", (1, 1, 0.75, 2.0, Some(1.0))),
        // The start on 2025-12-31 23:59:59.999 is out of range; its completion a millisecond
        // later is in, and so is the completion on the last millisecond of Q1.
        ("elderly-care", "2026-Q1", (2, 2, 3.0, 3.0, Some(1.0))),
    ];
    let want: Vec<_> = want
        .into_iter()
        .map(|(d, p, m)| (d.to_owned(), p.to_owned(), m))
        .collect();
    assert_eq!(got, want);
    assert_eq!(r.body["group_by"], json!(["domain", "period"]));
    assert_eq!(r.body["period"], "quarter");
    assert_eq!(m(&r.body["totals"]), (6, 5, 6.5, 7.5, Some(0.8333)));
    let care = &rows(&r)[5];
    assert_eq!(care["domain_zh"], "养老护理");
    assert_eq!(care["domain_en"], "Elderly care");
    assert!(care.get("org").is_none() && care.get("target_group").is_none());
}

async fn months_and_years_split_at_utc_boundaries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let r = app
        .get("/api/v1/reports/training?group_by=period", Some(&w.root))
        .await;
    let got: Vec<_> = rows(&r)
        .iter()
        .map(|row| (row["period"].as_str().unwrap().to_owned(), m(row)))
        .collect();
    let want = [
        ("2025-12", (1, 0, 0.0, 0.0, Some(0.0))),
        ("2026-01", (2, 1, 1.5, 1.5, Some(0.5))),
        ("2026-02", (1, 1, 2.0, 0.5, Some(1.0))),
        ("2026-03", (1, 1, 1.5, 1.5, Some(1.0))),
        ("2026-04", (0, 1, 0.75, 2.0, None)),
        ("2026-05", (1, 0, 0.0, 0.0, Some(0.0))),
        ("2026-07", (1, 1, 0.75, 2.0, Some(1.0))),
        ("2027-01", (1, 0, 0.0, 0.0, Some(0.0))),
    ];
    let want: Vec<_> = want.into_iter().map(|(p, m)| (p.to_owned(), m)).collect();
    assert_eq!(got, want);
    assert_eq!(r.body["period"], "month");
    assert_eq!(m(&r.body["totals"]), (8, 5, 6.5, 7.5, Some(0.625)));

    let r = app
        .get(
            "/api/v1/reports/training?group_by=period&period=year",
            Some(&w.root),
        )
        .await;
    let got: Vec<_> = rows(&r)
        .iter()
        .map(|row| (row["period"].as_str().unwrap().to_owned(), m(row)))
        .collect();
    let want = [
        ("2025", (1, 0, 0.0, 0.0, Some(0.0))),
        ("2026", (6, 5, 6.5, 7.5, Some(0.8333))),
        ("2027", (1, 0, 0.0, 0.0, Some(0.0))),
    ];
    let want: Vec<_> = want.into_iter().map(|(p, m)| (p.to_owned(), m)).collect();
    assert_eq!(got, want);

    // A one-day range holds only that day's events, whatever the hour.
    let r = app
        .get(
            "/api/v1/reports/training?from=2026-01-01&to=2026-01-01",
            Some(&w.root),
        )
        .await;
    assert_eq!(m(&rows(&r)[0]), (0, 1, 1.5, 1.5, None));
    let r = app
        .get(
            "/api/v1/reports/training?from=2025-12-31&to=2025-12-31",
            Some(&w.root),
        )
        .await;
    assert_eq!(m(&r.body["totals"]), (1, 0, 0.0, 0.0, Some(0.0)));
}

async fn target_groups_count_a_course_in_each_of_its_groups(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let r = app
        .get(
            "/api/v1/reports/training?group_by=target_group",
            Some(&w.root),
        )
        .await;
    let got: Vec<_> = rows(&r)
        .iter()
        .map(|row| {
            (
                row["target_group"].as_str().map(str::to_owned),
                row["target_group_zh"].as_str().map(str::to_owned),
                m(row),
            )
        })
        .collect();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        got,
        vec![
            (
                s("graduates"),
                s("高校毕业生"),
                (3, 2, 1.5, 4.0, Some(0.6667))
            ),
            (
                s("unemployed"),
                s("失业人员"),
                (3, 2, 3.0, 3.0, Some(0.6667))
            ),
            (s("veterans"), s("退役军人"), (3, 2, 3.0, 3.0, Some(0.6667))),
            (None, None, (2, 1, 2.0, 0.5, Some(0.5))),
        ]
    );
    // The course without target groups is a row with a null group, not a missing key.
    assert_eq!(rows(&r)[3]["target_group"], Value::Null);
    // Totals count each start and completion once.
    assert_eq!(m(&r.body["totals"]), (8, 5, 6.5, 7.5, Some(0.625)));

    // Several dimensions at once, as the north admin (who sees only north).
    let r = app
        .get(
            "/api/v1/reports/training?group_by=org,level,course",
            Some(&w.north_admin),
        )
        .await;
    let got: Vec<_> = rows(&r)
        .iter()
        .map(|row| {
            (
                row["org"].as_str().unwrap().to_owned(),
                row["org_name"].as_str().unwrap().to_owned(),
                row["level"].as_i64().unwrap(),
                row["course"].as_str().unwrap().to_owned(),
                row["course_title"].as_str().unwrap().to_owned(),
                m(row),
            )
        })
        .collect();
    let north = |level, course: &str, title: &str, m| {
        (
            w.north.clone(),
            "Org north".to_owned(),
            level,
            course.to_owned(),
            title.to_owned(),
            m,
        )
    };
    assert_eq!(
        got,
        vec![
            north(2, &w.care, "养老护理基础", (3, 2, 3.0, 3.0, Some(0.6667))),
            north(3, &w.shop, "网店运营", (3, 2, 1.5, 4.0, Some(0.6667))),
        ]
    );
    assert_eq!(m(&r.body["totals"]), (6, 4, 4.5, 7.0, Some(0.6667)));
}

async fn csv_has_a_header_and_keeps_chinese_labels(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let r = app
        .http
        .get(app.url("/api/v1/reports/training?group_by=domain"))
        .bearer_auth(&w.root)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv; charset=utf-8"));
    let bytes = r.bytes().await.unwrap();
    let want = [
        "domain,domain_en,domain_zh,enrolled,completed,learning_hours,credits,completion_rate",
        "agriculture,Agriculture,现代农业,2,1,2,0.5,0.5",
        "e-commerce,E-commerce,电子商务,3,2,1.5,4,0.6667",
        "elderly-care,Elderly care,养老护理,3,2,3,3,0.6667",
    ];
    assert_eq!(parse_csv(&bytes), want.map(cells));

    // format=csv wins over Accept; an empty cell stands for null.
    let r = app
        .http
        .get(app.url(&format!(
            "/api/v1/reports/training?group_by=course,target_group,period&period=quarter&format=csv&org_id={}",
            w.south
        )))
        .bearer_auth(&w.south_admin)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let records = parse_csv(&r.bytes().await.unwrap());
    let header = "course,course_title,target_group,target_group_en,target_group_zh,period,\
                  enrolled,completed,learning_hours,credits,completion_rate";
    assert_eq!(records[0], cells(header));
    assert_eq!(records.len(), 3);
    assert_eq!(records[1][1..], cells("Greenhouse,,,,2026-Q1,1,1,2,0.5,1"));
    assert_eq!(records[2][1..], cells("Greenhouse,,,,2026-Q2,1,0,0,0,0"));
}

fn cells(line: &str) -> Vec<String> {
    line.split(',').map(str::to_owned).collect()
}

/// A CSV export's rows (checking the byte-order mark spreadsheets need).
pub fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    // The byte-order mark is there for spreadsheets; the csv reader skips it.
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn admins_see_only_their_organisations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let path = "/api/v1/reports/training?group_by=org";
    let orgs = |r: &Reply| -> Vec<String> {
        rows(r)
            .iter()
            .map(|row| row["org"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut both = vec![w.north.clone(), w.south.clone()];
    both.sort();
    assert_eq!(orgs(&app.get(path, Some(&w.root)).await), both);
    let r = app
        .get(&format!("{path}&org_id={}", w.south), Some(&w.root))
        .await;
    assert_eq!(orgs(&r), vec![w.south.clone()]);
    assert_eq!(
        orgs(&app.get(path, Some(&w.north_admin)).await),
        vec![w.north.clone()]
    );
    assert_eq!(
        orgs(&app.get(path, Some(&w.south_admin)).await),
        vec![w.south.clone()]
    );
    let r = app.get(path, Some(&w.south_admin)).await;
    assert_eq!(m(&r.body["totals"]), (2, 1, 2.0, 0.5, Some(0.5)));

    app.get(&format!("{path}&org_id={}", w.south), Some(&w.north_admin))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get("/api/v1/reports/training?org_id=no-such-org", Some(&w.root))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let teacher = app.member(&w.root, &w.north, "teacher").await;
    let learner = app.member(&w.root, &w.north, "learner").await;
    for token in [&teacher, &learner] {
        app.get(path, Some(token))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        app.get(&format!("{path}&org_id={}", w.north), Some(token))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    app.get(path, None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn invalid_parameters_are_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.superadmin().await;
    let r = app
        .get(
            "/api/v1/reports/training?group_by=domain,colour,domain&period=week&from=2026-13-01&to=soon&format=xml",
            Some(&root),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(
        r.error_fields(),
        ["group_by", "group_by", "period", "from", "to", "format"]
    );
    let r = app
        .get(
            "/api/v1/reports/training?from=2026-02-01&to=2026-01-31",
            Some(&root),
        )
        .await;
    r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert_eq!(r.error_fields(), ["to"]);
    // With nothing recorded, one row of zeros and no rate.
    let r = app.get("/api/v1/reports/training", Some(&root)).await;
    assert_eq!(m(&rows(&r)[0]), (0, 0, 0.0, 0.0, None));
    assert_eq!(r.body["period"], Value::Null);

    // The definition of learning hours is part of the published contract.
    let doc = app.get("/api/v1/openapi.json", None).await.body;
    let op = &doc["paths"]["/api/v1/reports/training"]["get"];
    assert!(op["description"]
        .as_str()
        .unwrap()
        .contains("`estimated_minutes` / 60 for each completion"));
    let content = &op["responses"]["200"]["content"];
    assert!(content["application/json"].is_object() && content["text/csv"].is_object());
}

both_backends!(
    grouped_by_domain_and_quarter_within_a_year,
    months_and_years_split_at_utc_boundaries,
    target_groups_count_a_course_in_each_of_its_groups,
    csv_has_a_header_and_keeps_chinese_labels,
    admins_see_only_their_organisations,
    invalid_parameters_are_listed,
);
