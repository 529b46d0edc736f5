//! The rows of the authorization matrix: every documented operation, what each request gets
//! freshly made for it, and the status each kind of caller must get.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};

#[derive(Clone, Copy)]
pub enum Fresh {
    Nothing,
    Course,
    Member,
    JoinCode,
    /// A code of an organisation nobody in the matrix belongs to.
    ForeignJoinCode,
    Consortium,
    InvitedToConsortium,
    OrgToInvite,
    Session,
    /// An upload the teacher started.
    Upload,
    /// An asset the teacher uploaded (queued: this node runs no workers).
    Asset,
    /// A ready audio asset with its ladder, used by a published org course.
    ReadyAsset,
    /// An LRS client of the organisation, made by its admin.
    LrsClient,
    /// A published org course whose quiz unit has questions.
    Quiz,
    /// A credential the admin issued to the learner.
    Credential,
    /// A credential of the learner that the learner shared.
    SharedCredential,
    /// A published org course imported from a cmi5 package, its AU launched by the learner.
    Cmi5Launch,
    /// A published org course imported from a SCORM 1.2 package, its SCO launched by the
    /// learner.
    ScormLaunch,
    /// A class of the organisation with the learner enrolled and a session under way.
    Class,
}

#[derive(Clone)]
pub struct Row {
    pub method: Method,
    pub path: &'static str,
    pub fresh: Fresh,
    pub body: fn(&HashMap<&'static str, String>) -> Option<Value>,
    pub expect: [u16; 6],
}

fn none(_: &HashMap<&'static str, String>) -> Option<Value> {
    None
}

pub fn rows() -> Vec<Row> {
    let mut rows = core_rows();
    rows.extend(crate::authz_rows_lrs::rows());
    rows.extend(crate::authz_rows_credentials::rows());
    rows.extend(crate::authz_rows_packages::rows());
    rows.extend(crate::authz_rows_training::rows());
    rows
}

fn core_rows() -> Vec<Row> {
    use Fresh::*;
    let r = |method: Method,
             path,
             fresh,
             body: fn(&HashMap<&'static str, String>) -> Option<Value>,
             expect| Row {
        method,
        path,
        fresh,
        body,
        expect,
    };
    vec![
        r(
            Method::GET,
            "/healthz",
            Nothing,
            none,
            [200, 200, 200, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/readyz",
            Nothing,
            none,
            [200, 200, 200, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/metrics",
            Nothing,
            none,
            [401, 403, 403, 403, 403, 200],
        ),
        r(
            Method::POST,
            "/api/v1/auth/login",
            Nothing,
            |v| Some(json!({"email": v["login_email"], "password": "password-123"})),
            [200, 200, 200, 200, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/auth/logout",
            Session,
            |_| Some(json!({})),
            [401, 204, 204, 204, 204, 204],
        ),
        r(
            Method::GET,
            "/api/v1/me",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/join",
            ForeignJoinCode,
            |v| Some(json!({"code": v["code"]})),
            [422, 201, 201, 201, 201, 201],
        ),
        // The matrix's server keeps registration closed on the platform: closed for everyone.
        r(
            Method::POST,
            "/api/v1/registrations",
            Nothing,
            |v| {
                Some(
                    json!({"email": format!("{}@example.org", v["unique"]), "display_name": "N", "password": "password-123"}),
                )
            },
            [403, 403, 403, 403, 403, 403],
        ),
        // Anyone holding a mailed token may confirm; a made-up one is refused alike.
        r(
            Method::POST,
            "/api/v1/registrations/confirm",
            Nothing,
            |_| Some(json!({"token": "made-up"})),
            [400, 400, 400, 400, 400, 400],
        ),
        r(
            Method::PUT,
            "/api/v1/me/target-groups",
            Nothing,
            |_| Some(json!({"target_groups": []})),
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/orgs/{org_id}/audit",
            Nothing,
            none,
            [401, 403, 403, 403, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/orgs/{org_id}/registration",
            Nothing,
            none,
            [401, 403, 403, 403, 200, 200],
        ),
        r(
            Method::PUT,
            "/api/v1/orgs/{org_id}/registration",
            Nothing,
            |_| Some(json!({"open": false})),
            [401, 403, 403, 403, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/orgs",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/orgs",
            Nothing,
            |v| Some(json!({"name": "New", "slug": v["unique"]})),
            [401, 403, 403, 403, 403, 201],
        ),
        r(
            Method::GET,
            "/api/v1/orgs/{org_id}",
            Nothing,
            none,
            [401, 200, 200, 403, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/orgs/{org_id}/members",
            Nothing,
            none,
            [401, 403, 403, 403, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/orgs/{org_id}/members",
            Nothing,
            |v| {
                Some(
                    json!({"email": format!("{}@example.org", v["unique"]), "display_name": "N", "password": "password-123", "role": "learner"}),
                )
            },
            [401, 403, 403, 403, 201, 201],
        ),
        r(
            Method::PATCH,
            "/api/v1/orgs/{org_id}/members/{user_id}",
            Member,
            |_| Some(json!({"role": "teacher"})),
            [401, 403, 403, 403, 204, 204],
        ),
        r(
            Method::DELETE,
            "/api/v1/orgs/{org_id}/members/{user_id}",
            Member,
            none,
            [401, 403, 403, 403, 204, 204],
        ),
        r(
            Method::POST,
            "/api/v1/me/invitations/{org_id}/accept",
            Nothing,
            none,
            [401, 404, 404, 404, 404, 404],
        ),
        r(
            Method::POST,
            "/api/v1/me/invitations/{org_id}/decline",
            Nothing,
            none,
            [401, 404, 404, 404, 404, 404],
        ),
        r(
            Method::POST,
            "/api/v1/orgs/{org_id}/members/{user_id}/unlock",
            Member,
            none,
            [401, 403, 403, 403, 204, 204],
        ),
        r(
            Method::POST,
            "/api/v1/orgs/{org_id}/members:import",
            Nothing,
            none,
            [401, 403, 403, 403, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/orgs/{org_id}/join-codes",
            Nothing,
            none,
            [401, 403, 403, 403, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/orgs/{org_id}/join-codes",
            Nothing,
            |_| Some(json!({})),
            [401, 403, 403, 403, 201, 201],
        ),
        r(
            Method::DELETE,
            "/api/v1/orgs/{org_id}/join-codes/{code}",
            JoinCode,
            none,
            [401, 403, 403, 403, 204, 204],
        ),
        r(
            Method::GET,
            "/api/v1/consortia",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/consortia",
            Nothing,
            |v| Some(json!({"name": "C", "slug": v["unique"], "org_id": v["org_id"]})),
            [401, 403, 403, 403, 201, 201],
        ),
        r(
            Method::GET,
            "/api/v1/consortia/{consortium_id}/members",
            Nothing,
            none,
            [401, 200, 200, 403, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/consortia/{consortium_id}/invitations",
            OrgToInvite,
            |v| Some(json!({"org_id": v["invitee"]})),
            [401, 403, 403, 403, 204, 204],
        ),
        r(
            Method::POST,
            "/api/v1/consortia/{consortium_id}/accept",
            InvitedToConsortium,
            |v| Some(json!({"org_id": v["org_id"]})),
            [401, 403, 403, 403, 204, 204],
        ),
        r(
            Method::POST,
            "/api/v1/consortia/{consortium_id}/leave",
            Consortium,
            |v| Some(json!({"org_id": v["org_id"]})),
            [401, 403, 403, 403, 204, 204],
        ),
        r(
            Method::GET,
            "/api/v1/courses",
            Nothing,
            none,
            [200, 200, 200, 200, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/courses",
            Nothing,
            |v| {
                Some(
                    json!({"org_id": v["org_id"], "title": "T", "domain": "logistics", "level": 1, "language": "en"}),
                )
            },
            [401, 403, 201, 403, 201, 201],
        ),
        r(
            Method::GET,
            "/api/v1/courses/{course_id}",
            Course,
            none,
            [404, 200, 200, 404, 200, 200],
        ),
        r(
            Method::PATCH,
            "/api/v1/courses/{course_id}",
            Course,
            |_| Some(json!({"title": "Renamed"})),
            [401, 403, 200, 404, 200, 200],
        ),
        r(
            Method::DELETE,
            "/api/v1/courses/{course_id}",
            Course,
            none,
            [401, 403, 204, 404, 204, 204],
        ),
        r(
            Method::POST,
            "/api/v1/courses/{course_id}/publish",
            Course,
            |_| Some(json!({"visibility": "public"})),
            [401, 403, 200, 404, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/courses/{course_id}/unpublish",
            Course,
            |_| Some(json!({})),
            [401, 403, 200, 404, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/courses/{course_id}/units",
            Course,
            |_| Some(json!({"kind": "video", "title": "U"})),
            [401, 403, 201, 404, 201, 201],
        ),
        r(
            Method::PATCH,
            "/api/v1/courses/{course_id}/units/{unit_id}",
            Course,
            |_| Some(json!({"title": "U2"})),
            [401, 403, 200, 404, 200, 200],
        ),
        r(
            Method::DELETE,
            "/api/v1/courses/{course_id}/units/{unit_id}",
            Course,
            none,
            [401, 403, 204, 404, 204, 204],
        ),
        r(
            Method::PUT,
            "/api/v1/courses/{course_id}/units:order",
            Course,
            |v| Some(json!({"unit_ids": [v["unit_id"]]})),
            [401, 403, 200, 404, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/domains",
            Nothing,
            none,
            [200, 200, 200, 200, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/domains",
            Nothing,
            |v| Some(json!({"slug": v["unique"], "label_en": "D", "label_zh": "域"})),
            [401, 403, 403, 201, 201, 201],
        ),
        r(
            Method::GET,
            "/api/v1/target-groups",
            Nothing,
            none,
            [200, 200, 200, 200, 200, 200],
        ),
        r(
            Method::OPTIONS,
            "/api/v1/uploads",
            Nothing,
            none,
            [204, 204, 204, 204, 204, 204],
        ),
        r(
            Method::POST,
            "/api/v1/uploads",
            Nothing,
            none,
            [401, 403, 201, 403, 201, 201],
        ),
        r(
            Method::HEAD,
            "/api/v1/uploads/{upload_id}",
            Upload,
            none,
            [401, 404, 200, 404, 404, 200],
        ),
        r(
            Method::PATCH,
            "/api/v1/uploads/{upload_id}",
            Upload,
            none,
            [401, 404, 204, 404, 404, 204],
        ),
        r(
            Method::DELETE,
            "/api/v1/uploads/{upload_id}",
            Upload,
            none,
            [401, 404, 204, 404, 404, 204],
        ),
        r(
            Method::GET,
            "/api/v1/assets/{asset_id}",
            Asset,
            none,
            // In no course yet: its organisation's authors only, not its learners.
            [404, 404, 200, 404, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/assets/{asset_id}/cancel",
            Asset,
            |_| Some(json!({})),
            [401, 403, 200, 403, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/assets/{asset_id}/hls/{playlist}",
            ReadyAsset,
            none,
            [404, 200, 200, 404, 200, 200],
        ),
        r(
            Method::GET,
            "/media/{sha256}",
            ReadyAsset,
            none,
            [404, 200, 200, 404, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/me/preferences",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::PUT,
            "/api/v1/me/preferences",
            Nothing,
            |_| Some(json!({"max_height": 360})),
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/courses/{course_id}/offline",
            Course,
            none,
            [404, 200, 200, 404, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/courses/{course_id}/bundle.zip",
            Course,
            none,
            [404, 200, 200, 404, 200, 200],
        ),
        r(
            Method::PATCH,
            "/api/v1/assets/{asset_id}",
            ReadyAsset,
            |_| Some(json!({})),
            [401, 403, 200, 403, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/assets/{asset_id}/files/{path}",
            ReadyAsset,
            none,
            [404, 200, 200, 404, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/orgs/{org_id}/lrs-clients",
            Nothing,
            none,
            [401, 403, 403, 403, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/orgs/{org_id}/lrs-clients",
            Nothing,
            |_| Some(json!({"name": "Matrix LMS", "scopes": ["all"]})),
            [401, 403, 403, 403, 201, 201],
        ),
        r(
            Method::DELETE,
            "/api/v1/orgs/{org_id}/lrs-clients/{client_id}",
            LrsClient,
            none,
            [401, 403, 403, 403, 204, 204],
        ),
        // Without org_id an admin of another organisation gets a report on their own.
        r(
            Method::GET,
            "/api/v1/reports/training",
            Nothing,
            none,
            [401, 403, 403, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/me/progress",
            Nothing,
            none,
            [401, 200, 200, 200, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/courses/{course_id}/progress",
            Course,
            none,
            [401, 200, 200, 404, 200, 200],
        ),
        r(
            Method::PUT,
            "/api/v1/courses/{course_id}/units/{unit_id}/quiz",
            Course,
            |_| {
                Some(json!({"pass_mark": 50, "questions": [
                    {"kind": "true_false", "prompt": "?", "answer": true}]}))
            },
            [401, 403, 200, 404, 200, 200],
        ),
        r(
            Method::GET,
            "/api/v1/courses/{course_id}/units/{unit_id}/quiz",
            Quiz,
            none,
            [404, 200, 200, 404, 200, 200],
        ),
        r(
            Method::POST,
            "/api/v1/courses/{course_id}/units/{unit_id}/quiz/attempts",
            Quiz,
            |_| Some(json!({"answers": [true]})),
            [401, 201, 201, 404, 201, 201],
        ),
    ]
}
