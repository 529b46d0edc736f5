//! What activity and agent definitions are drawn from: recent readable statements naming an
//! activity or agent, and the learners of this server an Agent may name.

use super::query::scope_sql;
use crate::{
    db::{Db, Placeholders},
    lrs::{definitions::KnownUser, ReadScope},
    orgs::store::membership,
};

/// How many recent statements feed a definition: enough for every language a course is
/// described in, bounded so one popular activity cannot make the request slow.
const SOURCES: i64 = 100;

/// The bodies of the newest readable statements with the ref `value` of `kind`, oldest first.
pub(crate) async fn recent_bodies(
    db: &Db,
    scope: &ReadScope,
    value: &str,
    kind: &str,
) -> sqlx::Result<Vec<String>> {
    let mut ph = Placeholders::default();
    let value_ph = ph.take();
    let (scope_cond, scope_value) = scope_sql(scope, &mut ph, "s");
    let sql = format!(
        "SELECT s.body FROM xapi_statements s WHERE s.seq IN \
         (SELECT seq FROM xapi_statement_refs WHERE value = {value_ph} AND kind = '{kind}') \
         AND {scope_cond} AND s.voided = FALSE ORDER BY s.seq DESC LIMIT {SOURCES}"
    );
    let mut bodies: Vec<String> = sqlx::query_scalar(&sql)
        .bind(value)
        .bind(scope_value)
        .fetch_all(&db.pool)
        .await?;
    bodies.reverse();
    Ok(bodies)
}

/// How an Agent names a learner of this server.
pub(crate) enum Named<'a> {
    Id(&'a str),
    /// Compared case-insensitively.
    Email(&'a str),
}

/// Who asks: a learner (who may know only themself) or an organisation (its members).
pub(crate) enum Viewer<'a> {
    User(&'a str),
    Org(&'a str),
}

/// The learner so named, if the viewer may know them.
pub(crate) async fn known_user(
    db: &Db,
    named: Named<'_>,
    viewer: Viewer<'_>,
) -> sqlx::Result<Option<KnownUser>> {
    let (cond, value) = match named {
        Named::Id(id) => ("u.id = $1", id),
        Named::Email(email) => ("LOWER(u.email) = LOWER($1)", email),
    };
    let (visible, viewer_value) = match viewer {
        Viewer::User(user) => ("u.id = $2".to_owned(), user),
        Viewer::Org(org) => (format!("EXISTS ({})", membership("m", "u.id", "$2")), org),
    };
    sqlx::query_as::<_, KnownUser>(&format!(
        "SELECT u.id, u.email, u.display_name FROM users u WHERE {cond} AND {visible}"
    ))
    .bind(value)
    .bind(viewer_value)
    .fetch_optional(&db.pool)
    .await
}
