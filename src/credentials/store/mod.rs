//! The credentials area's SQL: issuing keys, issued credentials and the learning account, and
//! what issuing and verifying read of other areas' tables (learners, domains, courses).

pub(crate) mod credentials;
pub(crate) mod credits;
pub(crate) mod keys;

use crate::db::{Db, Flag};

/// The learner's email address and whether they asked for it in plain text in credentials.
pub(crate) async fn learner_email(db: &Db, user_id: &str) -> sqlx::Result<(String, bool)> {
    let (email, Flag(plain_email)): (String, Flag) = sqlx::query_as(
        "SELECT u.email, COALESCE(p.credential_email, FALSE) FROM users u \
         LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?;
    Ok((email, plain_email))
}

/// The English label of a domain, if the slug names one.
pub(crate) async fn domain_label(db: &Db, slug: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT label_en FROM domains WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&db.pool)
        .await
}

/// What a course credential says of its course: title, summary, domain, level, language,
/// credit value and estimated minutes.
pub(crate) type CourseFacts = (String, String, String, i64, String, f64, i64);

/// The course's [`CourseFacts`], if it exists.
pub(crate) async fn course_facts(db: &Db, course_id: &str) -> sqlx::Result<Option<CourseFacts>> {
    sqlx::query_as(
        "SELECT title, summary, domain, level, language, credit_value, estimated_minutes \
         FROM courses WHERE id = $1",
    )
    .bind(course_id)
    .fetch_optional(&db.pool)
    .await
}
