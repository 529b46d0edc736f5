//! A course's target groups and tags.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::db::{Db, Placeholders};

/// Replaces the lists given; a `None` list keeps its current entries.
pub(crate) async fn replace(
    conn: &mut AnyConnection,
    id: &str,
    target_groups: Option<Vec<String>>,
    tags: Option<Vec<String>>,
) -> sqlx::Result<()> {
    if let Some(groups) = target_groups {
        sqlx::query("DELETE FROM course_target_groups WHERE course_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        for g in groups {
            sqlx::query(
                "INSERT INTO course_target_groups (course_id, target_group) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(g)
            .execute(&mut *conn)
            .await?;
        }
    }
    if let Some(tags) = tags {
        sqlx::query("DELETE FROM course_tags WHERE course_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        for t in tags {
            sqlx::query("INSERT INTO course_tags (course_id, tag) VALUES ($1, $2)")
                .bind(id)
                .bind(t)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Course id → target groups (in order) of the given courses (at least one).
pub(crate) async fn target_groups_of(
    db: &Db,
    ids: &[&str],
) -> sqlx::Result<HashMap<String, Vec<String>>> {
    by_course(db, ids, |list| {
        format!("SELECT course_id, target_group FROM course_target_groups WHERE course_id IN ({list}) ORDER BY target_group")
    })
    .await
}

/// Course id → tags (in order) of the given courses (at least one).
pub(crate) async fn tags_of(db: &Db, ids: &[&str]) -> sqlx::Result<HashMap<String, Vec<String>>> {
    by_course(db, ids, |list| {
        format!("SELECT course_id, tag FROM course_tags WHERE course_id IN ({list}) ORDER BY tag")
    })
    .await
}

/// Runs `sql` with `ids` as its `IN` list and gathers the (course id, value) rows per course.
async fn by_course(
    db: &Db,
    ids: &[&str],
    sql: impl Fn(&str) -> String,
) -> sqlx::Result<HashMap<String, Vec<String>>> {
    let mut ph = Placeholders::default();
    let list = ids.iter().map(|_| ph.take()).collect::<Vec<_>>().join(", ");
    let sql = sql(&list);
    let mut q = sqlx::query_as::<_, (String, String)>(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (course, value) in q.fetch_all(&db.pool).await? {
        map.entry(course).or_default().push(value);
    }
    Ok(map)
}
