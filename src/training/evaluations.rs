//! Learners' evaluations of the courses they completed: a rating of 1 to 5 on each of the
//! organisation's questions (four defaults until it sets its own) and an optional comment, one per
//! learner and course. Results are anonymous everywhere: they show no learner, and a course with
//! fewer than [`MIN_GROUP`] respondents shows only how many there were.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store;
use crate::{
    accounts::User,
    authz,
    catalogue::courses,
    context::Context,
    db::time::now_ms,
    error::{Error, FieldError, Result},
};

/// The smallest group whose results are shown.
pub const MIN_GROUP: i64 = 5;
const MAX_COMMENT: usize = 2000;

/// A question learners rate, by a stable key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Lower-case letters, digits and `-`, e.g. `relevance`.
    pub key: String,
    pub text_en: String,
    pub text_zh: String,
}

fn defaults() -> Vec<Question> {
    [
        (
            "relevance",
            "How useful is what you learnt for your work?",
            "所学内容对您的工作有多大帮助？",
        ),
        ("teaching", "How good was the teaching?", "教学质量如何？"),
        (
            "materials",
            "How good were the materials?",
            "学习材料质量如何？",
        ),
        (
            "organisation",
            "How well was the training organised?",
            "培训组织得如何？",
        ),
    ]
    .into_iter()
    .map(|(key, en, zh)| Question {
        key: key.into(),
        text_en: en.into(),
        text_zh: zh.into(),
    })
    .collect()
}

/// The organisation's questions (the defaults until it sets its own).
pub async fn questions(cx: &Context, org_id: &str) -> Result<Vec<Question>> {
    let own = store::evaluation_questions(&cx.db, org_id).await?;
    Ok(if own.is_empty() {
        defaults()
    } else {
        own.into_iter()
            .map(|(key, text_en, text_zh)| Question {
                key,
                text_en,
                text_zh,
            })
            .collect()
    })
}

/// Sets the organisation's questions (admins); evaluations already given keep their ratings.
pub async fn set_questions(
    cx: &Context,
    user: &User,
    org_id: &str,
    qs: Vec<Question>,
) -> Result<()> {
    authz::require_org_role(&cx.db, user, org_id, authz::admin).await?;
    let mut errors = Vec::new();
    if qs.is_empty() || qs.len() > 10 {
        errors.push(FieldError::new("questions", "must be 1 to 10 questions"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, q) in qs.iter().enumerate() {
        let ok_key = !q.key.is_empty()
            && q.key.len() <= 40
            && q.key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_key || !seen.insert(q.key.clone()) {
            errors.push(FieldError::new(
                format!("questions[{i}].key"),
                "must be a new key of a-z, 0-9 and -",
            ));
        }
        for (field, text) in [("text_en", &q.text_en), ("text_zh", &q.text_zh)] {
            if text.trim().is_empty() || text.chars().count() > 300 {
                errors.push(FieldError::new(
                    format!("questions[{i}].{field}"),
                    "must be 1 to 300 characters",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let rows: Vec<(String, String, String)> = qs
        .into_iter()
        .map(|q| {
            (
                q.key,
                q.text_en.trim().to_owned(),
                q.text_zh.trim().to_owned(),
            )
        })
        .collect();
    store::set_evaluation_questions(&cx.db, org_id, &rows).await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    /// 1–5 for every question of the course's organisation, by its key.
    pub ratings: BTreeMap<String, i64>,
    #[serde(default)]
    pub comment: String,
}

/// The learner evaluates a course they completed, once.
pub async fn evaluate(
    cx: &Context,
    user: &User,
    course_id: &str,
    input: EvaluationInput,
) -> Result<()> {
    if !courses::is_visible(&cx.db, Some(user), course_id).await? {
        return Err(Error::NotFound);
    }
    let course = courses::row(&cx.db, course_id).await?;
    let done = crate::progress::view::course(&cx.db, &user.id, course_id)
        .await
        .ok()
        .and_then(|p| p.completed_at);
    if done.is_none() {
        return Err(Error::Refused {
            code: "course-not-completed",
            detail: "A course is evaluated once you have completed it.".into(),
        });
    }
    let qs = questions(cx, &course.org_id).await?;
    let mut errors = Vec::new();
    for q in &qs {
        match input.ratings.get(&q.key) {
            Some(r) if (1..=5).contains(r) => {}
            _ => errors.push(FieldError::new(
                format!("ratings.{}", q.key),
                "must be 1 to 5",
            )),
        }
    }
    for key in input.ratings.keys() {
        if !qs.iter().any(|q| &q.key == key) {
            errors.push(FieldError::new(
                format!("ratings.{key}"),
                "is not a question of this course",
            ));
        }
    }
    if input.comment.chars().count() > MAX_COMMENT {
        errors.push(FieldError::new(
            "comment",
            "must be at most 2000 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let ratings = serde_json::to_string(&input.ratings).map_err(anyhow::Error::from)?;
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = store::insert_evaluation(
        &cx.db,
        &id,
        course_id,
        &user.id,
        &ratings,
        input.comment.trim(),
        now_ms(),
    )
    .await?;
    if !inserted {
        return Err(Error::Refused {
            code: "already-evaluated",
            detail: "You have evaluated this course already.".into(),
        });
    }
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResult {
    pub key: String,
    pub text_en: String,
    pub text_zh: String,
    /// Null while fewer than five learners answered it.
    pub average: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Results {
    pub course_id: String,
    pub respondents: i64,
    /// True while there are fewer than five respondents: nothing else is shown.
    pub suppressed: bool,
    pub questions: Vec<QuestionResult>,
    /// The comments, in no particular order and without their authors.
    pub comments: Vec<String>,
}

/// A course's results, anonymous (teachers and admins of its organisation).
pub async fn results(cx: &Context, user: &User, course_id: &str) -> Result<Results> {
    if !courses::is_visible(&cx.db, Some(user), course_id).await? {
        return Err(Error::NotFound);
    }
    let course = courses::row(&cx.db, course_id).await?;
    authz::require_org_role(&cx.db, user, &course.org_id, authz::author).await?;
    let rows = store::evaluations(&cx.db, course_id).await?;
    let respondents = rows.len() as i64;
    let suppressed = respondents < MIN_GROUP;
    let qs = questions(cx, &course.org_id).await?;
    let parsed: Vec<BTreeMap<String, i64>> = rows
        .iter()
        .map(|(r, _)| serde_json::from_str(r).unwrap_or_default())
        .collect();
    let questions = qs
        .into_iter()
        .map(|q| {
            let given: Vec<i64> = parsed
                .iter()
                .filter_map(|r| r.get(&q.key).copied())
                .collect();
            let average = (!suppressed && given.len() as i64 >= MIN_GROUP)
                .then(|| given.iter().sum::<i64>() as f64 / given.len() as f64);
            QuestionResult {
                key: q.key,
                text_en: q.text_en,
                text_zh: q.text_zh,
                average: average.map(|a| (a * 100.0).round() / 100.0),
            }
        })
        .collect();
    let mut comments: Vec<String> = match suppressed {
        true => Vec::new(),
        false => rows
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| !c.is_empty())
            .collect(),
    };
    // Sorted, so their order says nothing about who wrote which.
    comments.sort();
    Ok(Results {
        course_id: course_id.to_owned(),
        respondents,
        suppressed,
        questions,
        comments,
    })
}
