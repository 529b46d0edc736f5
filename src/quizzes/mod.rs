//! Quizzes: questions with an answer key that never leaves the server for learners, attempts
//! scored on the server and recorded as xAPI statements that drive completion.
//!
//! A unit reused from another course uses the original's quiz unless its own course sets one.

pub mod model;
mod store;

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::{
    accounts::User,
    catalogue::{courses::CourseRow, units::UnitView},
    context::Context,
    db::{is_unique_violation, time::now_ms, Db},
    error::{Error, Result},
    lrs::identity,
    progress::{statements, units::verbs},
};
pub use model::{Question, Quiz, QuizInput, Score};
use store::NewAttempt;

/// A question as the API shows it; `answer` only for the course's authors.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    /// `single`, `multiple`, `true_false` or `fill_in`.
    pub kind: &'static str,
    pub prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    /// The answer key (authors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub answer: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuizView {
    pub unit_id: String,
    pub pass_mark: i64,
    pub max_attempts: Option<i64>,
    pub questions: Vec<QuestionView>,
    /// The caller's own attempts so far.
    pub attempts_used: i64,
    /// Null when attempts are unlimited.
    pub attempts_left: Option<i64>,
    /// The caller's best score in percent, if they have attempted it.
    pub best_score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// 1 for the first attempt.
    pub attempt: i64,
    /// Questions answered correctly.
    pub raw: i64,
    /// Questions in the quiz.
    pub max: i64,
    /// `raw / max` in percent.
    pub score: f64,
    pub passed: bool,
    pub pass_mark: i64,
    pub attempts_left: Option<i64>,
    pub best_score: f64,
    /// The `passed` or `failed` statement recorded for this attempt.
    pub statement_id: String,
}

/// The quiz of a unit: its own, else that of the unit it reuses.
pub async fn load(db: &Db, unit: &UnitView) -> Result<Option<Quiz>> {
    let source = unit.source_unit_id.as_deref().unwrap_or(&unit.id);
    let row = store::quiz(db, &unit.id, source).await?;
    let Some((pass_mark, max_attempts, questions)) = row else {
        return Ok(None);
    };
    let questions: Vec<Question> = serde_json::from_str(&questions)
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored quiz unreadable: {e}")))?;
    Ok(Some(Quiz {
        pass_mark,
        max_attempts,
        questions,
    }))
}

pub async fn save(db: &Db, unit_id: &str, quiz: &Quiz, user: &User) -> Result<()> {
    let questions = serde_json::to_string(&quiz.questions)
        .map_err(|e| Error::Internal(anyhow::anyhow!("quiz not serialisable: {e}")))?;
    store::upsert(
        db,
        unit_id,
        quiz.pass_mark,
        quiz.max_attempts,
        &questions,
        &user.id,
        now_ms(),
    )
    .await?;
    Ok(())
}

/// The caller's attempts so far and best score.
async fn attempts_of(db: &Db, unit_id: &str, user_id: &str) -> Result<(i64, Option<f64>)> {
    Ok(store::attempts_of(db, unit_id, user_id).await?)
}

pub async fn view(
    db: &Db,
    unit: &UnitView,
    quiz: &Quiz,
    viewer: Option<&User>,
    with_key: bool,
) -> Result<QuizView> {
    let (used, best) = match viewer {
        Some(u) => attempts_of(db, &unit.id, &u.id).await?,
        None => (0, None),
    };
    let questions = quiz
        .questions
        .iter()
        .map(|q| {
            let public = q.public();
            let answer = with_key.then(|| match q {
                Question::Single { answer, .. } => json!(answer),
                Question::Multiple { answer, .. } => json!(answer),
                Question::TrueFalse { answer, .. } => json!(answer),
                Question::FillIn { answer, .. } => json!(answer),
            });
            QuestionView {
                kind: public.kind,
                prompt: public.prompt,
                choices: public.choices,
                answer,
            }
        })
        .collect();
    Ok(QuizView {
        unit_id: unit.id.clone(),
        pass_mark: quiz.pass_mark,
        max_attempts: quiz.max_attempts,
        questions,
        attempts_used: used,
        attempts_left: quiz.max_attempts.map(|m| (m - used).max(0)),
        best_score: best,
    })
}

/// Why an attempt was not scored. The edge (`http::quizzes`) gives each its status and code.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    /// Every attempt the quiz allows is used (409 `quiz-attempts-exhausted`).
    #[error("You have used every attempt this quiz allows.")]
    Exhausted,
    /// The statement id names another learner's attempt, or another quiz's (409 `conflict`
    /// on `statement_id`).
    #[error("This statement id already belongs to another attempt.")]
    StatementIdTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The answers do not fit the questions, or recording the statement failed: refusals of
    /// the quiz model and the LRS, passed on unchanged.
    #[error(transparent)]
    Feature(#[from] Error),
}

/// An attempt as recorded: new, or the one an earlier submission with the same statement id
/// recorded (`replayed`), which counts once.
pub struct Attempted {
    pub view: AttemptView,
    pub replayed: bool,
}

/// Scores an attempt, stores it, records it as a `passed` or `failed` statement with the
/// organisation as authority, and lets progress derive completion from that statement.
///
/// `statement_id`, when the caller chose one (a page sending answers it kept on the device),
/// makes a resend harmless: the attempt already recorded under it is answered again.
pub async fn attempt(
    state: &Context,
    user: &User,
    course: &CourseRow,
    unit: &UnitView,
    quiz: &Quiz,
    answers: Vec<Value>,
    statement_id: Option<uuid::Uuid>,
) -> Result<Attempted, AttemptError> {
    let db = &state.db;
    let score = quiz.score(&answers)?;
    let statement_id = statement_id.unwrap_or_else(uuid::Uuid::new_v4).to_string();
    if let Some(done) = recorded(db, user, unit, quiz, &statement_id).await? {
        return Ok(done);
    }
    let answers_json = Value::Array(answers).to_string();
    let attempt_id = uuid::Uuid::now_v7().to_string();
    // The unique attempt number settles concurrent submissions: a loser counts again.
    let mut number = None;
    for _ in 0..5 {
        let (used, _) = attempts_of(db, &unit.id, &user.id).await?;
        if quiz.max_attempts.is_some_and(|m| used >= m) {
            return Err(AttemptError::Exhausted);
        }
        let inserted = store::insert_attempt(
            db,
            NewAttempt {
                id: attempt_id.clone(),
                unit_id: &unit.id,
                user_id: &user.id,
                number: used + 1,
                answers: &answers_json,
                score: &score,
                statement_id: &statement_id,
                created_at: now_ms(),
            },
        )
        .await;
        match inserted {
            Ok(_) => {
                number = Some(used + 1);
                break;
            }
            Err(e) if is_unique_violation(&e) => {
                // The same statement id won meanwhile (a resend racing its original).
                if let Some(done) = recorded(db, user, unit, quiz, &statement_id).await? {
                    return Ok(done);
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let number = number.ok_or(AttemptError::Exhausted)?;

    let public_url = &state.settings.public_url;
    let (verb, display) = if score.passed {
        (verbs::PASSED, "passed")
    } else {
        (verbs::FAILED, "failed")
    };
    let stmt = json!({
        "id": statement_id,
        "actor": statements::learner_actor(public_url, &user.id),
        "verb": {"id": verb, "display": {"en-US": display}},
        "object": {
            "objectType": "Activity",
            "id": identity::unit_activity(public_url, &unit.id),
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/assessment",
                "name": {course.language.clone(): unit.title},
            },
        },
        "result": {
            "score": {"scaled": score.raw as f64 / score.max as f64, "raw": score.raw, "min": 0, "max": score.max},
            "success": score.passed,
            "completion": true,
        },
        "context": {"contextActivities": {"parent": [
            {"objectType": "Activity", "id": identity::course_activity(public_url, &course.id)},
        ]}},
    });
    let prepared = match statements::record_for_org(state, &course.org_id, stmt).await {
        Ok(prepared) => prepared,
        Err(e) => {
            // No attempt without its statement (a statement id the LRS already holds for
            // something else is refused here): the attempt does not count.
            store::delete_attempt(db, &attempt_id).await?;
            return Err(e.into());
        }
    };
    let completed = crate::progress::record(state, &[&prepared]).await;
    crate::credentials::issue::for_new_completions(state, &completed).await;

    let view = view_of(db, user, unit, quiz, number, &score, statement_id).await?;
    Ok(Attempted {
        view,
        replayed: false,
    })
}

/// The attempt already recorded under `statement_id`, when it is this learner's at this quiz;
/// `StatementIdTaken` when it is anyone else's.
async fn recorded(
    db: &Db,
    user: &User,
    unit: &UnitView,
    quiz: &Quiz,
    statement_id: &str,
) -> Result<Option<Attempted>, AttemptError> {
    let Some(row) = store::attempt_by_statement(db, statement_id).await? else {
        return Ok(None);
    };
    if row.user_id != user.id || row.unit_id != unit.id {
        return Err(AttemptError::StatementIdTaken);
    }
    let score = Score {
        raw: row.raw,
        max: row.max,
        percent: row.percent,
        passed: row.passed,
    };
    let view = view_of(
        db,
        user,
        unit,
        quiz,
        row.number,
        &score,
        statement_id.to_owned(),
    )
    .await?;
    Ok(Some(Attempted {
        view,
        replayed: true,
    }))
}

async fn view_of(
    db: &Db,
    user: &User,
    unit: &UnitView,
    quiz: &Quiz,
    number: i64,
    score: &Score,
    statement_id: String,
) -> Result<AttemptView, AttemptError> {
    let (_, best) = attempts_of(db, &unit.id, &user.id).await?;
    Ok(AttemptView {
        attempt: number,
        raw: score.raw,
        max: score.max,
        score: score.percent,
        passed: score.passed,
        pass_mark: quiz.pass_mark,
        attempts_left: quiz.max_attempts.map(|m| (m - number).max(0)),
        best_score: best.unwrap_or(score.percent),
        statement_id,
    })
}
