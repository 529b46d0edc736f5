//! A quiz's questions parsed from a teacher's input (so a stored quiz is always well formed),
//! the learner's view without the answer key, and scoring on the server.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Error, FieldError, Result};

const MAX_QUESTIONS: usize = 200;
const MAX_CHOICES: usize = 20;
const MAX_TEXT: usize = 2000;

/// A question with its answer key, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Question {
    /// One choice is right: `answer` is its index.
    Single {
        prompt: String,
        choices: Vec<String>,
        answer: usize,
    },
    /// Every right choice and no wrong one must be picked: `answer` holds their indices.
    Multiple {
        prompt: String,
        choices: Vec<String>,
        answer: Vec<usize>,
    },
    TrueFalse {
        prompt: String,
        answer: bool,
    },
    /// Any of the accepted texts, ignoring case and surrounding or repeated spaces.
    FillIn {
        prompt: String,
        answer: Vec<String>,
    },
}

/// A quiz as a teacher sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizInput {
    /// Percent of questions answered correctly that passes (0–100).
    pub pass_mark: i64,
    /// How many attempts a learner has; unlimited when absent.
    pub max_attempts: Option<i64>,
    pub questions: Vec<QuestionInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// `single`, `multiple`, `true_false` or `fill_in`.
    pub kind: String,
    pub prompt: String,
    /// The options of `single` and `multiple` questions (2–20).
    #[serde(default)]
    pub choices: Option<Vec<String>>,
    /// The key: a choice index (`single`), a list of indices (`multiple`), a boolean
    /// (`true_false`), or an accepted text or list of texts (`fill_in`).
    #[schema(value_type = Object)]
    pub answer: Value,
}

/// A validated quiz.
#[derive(Debug, Clone)]
pub struct Quiz {
    pub pass_mark: i64,
    pub max_attempts: Option<i64>,
    pub questions: Vec<Question>,
}

fn text(field: String, s: &str, errors: &mut Vec<FieldError>) -> String {
    let t = s.trim();
    if t.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if t.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            field,
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    t.to_owned()
}

fn index(v: &Value, len: usize) -> Option<usize> {
    v.as_u64().map(|i| i as usize).filter(|i| *i < len)
}

impl QuizInput {
    /// Every problem at once, each naming its field (`questions[2].answer`).
    pub fn parse(self) -> Result<Quiz> {
        let mut errors = Vec::new();
        if !(0..=100).contains(&self.pass_mark) {
            errors.push(FieldError::new("pass_mark", "must be between 0 and 100"));
        }
        if let Some(n) = self.max_attempts {
            if !(1..=1000).contains(&n) {
                errors.push(FieldError::new(
                    "max_attempts",
                    "must be between 1 and 1000",
                ));
            }
        }
        if self.questions.is_empty() || self.questions.len() > MAX_QUESTIONS {
            errors.push(FieldError::new(
                "questions",
                format!("must hold 1 to {MAX_QUESTIONS} questions"),
            ));
        }
        let mut questions = Vec::with_capacity(self.questions.len());
        for (i, q) in self.questions.into_iter().enumerate() {
            if let Some(q) = q.parse(i, &mut errors) {
                questions.push(q);
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        Ok(Quiz {
            pass_mark: self.pass_mark,
            max_attempts: self.max_attempts,
            questions,
        })
    }
}

impl QuestionInput {
    fn parse(self, i: usize, errors: &mut Vec<FieldError>) -> Option<Question> {
        let f = |name: &str| format!("questions[{i}].{name}");
        let before = errors.len();
        let prompt = text(f("prompt"), &self.prompt, errors);
        let choices = |errors: &mut Vec<FieldError>| -> Vec<String> {
            let Some(choices) = &self.choices else {
                errors.push(FieldError::new(f("choices"), "is required for this kind"));
                return Vec::new();
            };
            if !(2..=MAX_CHOICES).contains(&choices.len()) {
                errors.push(FieldError::new(
                    f("choices"),
                    format!("must hold 2 to {MAX_CHOICES} choices"),
                ));
            }
            choices
                .iter()
                .enumerate()
                .map(|(j, c)| text(format!("questions[{i}].choices[{j}]"), c, errors))
                .collect()
        };
        let no_choices = |errors: &mut Vec<FieldError>| {
            if self.choices.as_ref().is_some_and(|c| !c.is_empty()) {
                errors.push(FieldError::new(f("choices"), "this kind has no choices"));
            }
        };
        let question = match self.kind.as_str() {
            "single" => {
                let choices = choices(errors);
                let answer = index(&self.answer, choices.len());
                if answer.is_none() {
                    errors.push(FieldError::new(
                        f("answer"),
                        "must be the index of a choice",
                    ));
                }
                Question::Single {
                    prompt,
                    choices,
                    answer: answer.unwrap_or(0),
                }
            }
            "multiple" => {
                let choices = choices(errors);
                let mut answer: Vec<usize> = Vec::new();
                let given = self.answer.as_array().filter(|a| !a.is_empty());
                match given.map(|a| a.iter().map(|v| index(v, choices.len())).collect()) {
                    Some(Some(list)) => answer = list,
                    _ => errors.push(FieldError::new(
                        f("answer"),
                        "must be a non-empty list of choice indices",
                    )),
                }
                answer.sort_unstable();
                answer.dedup();
                Question::Multiple {
                    prompt,
                    choices,
                    answer,
                }
            }
            "true_false" => {
                no_choices(errors);
                let answer = self.answer.as_bool();
                if answer.is_none() {
                    errors.push(FieldError::new(f("answer"), "must be true or false"));
                }
                Question::TrueFalse {
                    prompt,
                    answer: answer.unwrap_or(false),
                }
            }
            "fill_in" => {
                no_choices(errors);
                let texts: Option<Vec<&str>> = match &self.answer {
                    Value::String(s) => Some(vec![s.as_str()]),
                    Value::Array(a) if !a.is_empty() => a.iter().map(Value::as_str).collect(),
                    _ => None,
                };
                let answer: Vec<String> = texts
                    .unwrap_or_default()
                    .into_iter()
                    .map(normalise)
                    .filter(|t| !t.is_empty() && t.chars().count() <= MAX_TEXT)
                    .collect();
                if answer.is_empty() {
                    errors.push(FieldError::new(
                        f("answer"),
                        "must be an accepted text or a list of them",
                    ));
                }
                Question::FillIn { prompt, answer }
            }
            _ => {
                errors.push(FieldError::new(
                    f("kind"),
                    "must be single, multiple, true_false or fill_in",
                ));
                return None;
            }
        };
        (errors.len() == before).then_some(question)
    }
}

/// Case-folded, trimmed, runs of whitespace made one space.
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A question as a learner sees it: no answer key.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicQuestion {
    pub kind: &'static str,
    pub prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
}

impl Question {
    pub fn public(&self) -> PublicQuestion {
        let (kind, prompt, choices) = match self {
            Self::Single {
                prompt, choices, ..
            } => ("single", prompt, Some(choices.clone())),
            Self::Multiple {
                prompt, choices, ..
            } => ("multiple", prompt, Some(choices.clone())),
            Self::TrueFalse { prompt, .. } => ("true_false", prompt, None),
            Self::FillIn { prompt, .. } => ("fill_in", prompt, None),
        };
        PublicQuestion {
            kind,
            prompt: prompt.clone(),
            choices,
        }
    }

    /// Whether a learner's answer is right; an answer of the wrong shape is a validation
    /// error, `null` an unanswered (wrong) question.
    fn check(&self, answer: &Value, field: String) -> Result<bool, FieldError> {
        if answer.is_null() {
            return Ok(false);
        }
        let wrong_shape = |what: &str| FieldError::new(field.clone(), format!("must be {what}"));
        match self {
            Self::Single {
                choices,
                answer: key,
                ..
            } => index(answer, choices.len())
                .map(|i| i == *key)
                .ok_or_else(|| wrong_shape("the index of a choice")),
            Self::Multiple {
                choices,
                answer: key,
                ..
            } => {
                let mut picked: Vec<usize> = answer
                    .as_array()
                    .and_then(|a| a.iter().map(|v| index(v, choices.len())).collect())
                    .ok_or_else(|| wrong_shape("a list of choice indices"))?;
                picked.sort_unstable();
                picked.dedup();
                Ok(picked == *key)
            }
            Self::TrueFalse { answer: key, .. } => answer
                .as_bool()
                .map(|b| b == *key)
                .ok_or_else(|| wrong_shape("true or false")),
            Self::FillIn { answer: key, .. } => answer
                .as_str()
                .map(|s| key.contains(&normalise(s)))
                .ok_or_else(|| wrong_shape("a text")),
        }
    }
}

/// The result of scoring one attempt.
#[derive(Debug, Clone, Copy)]
pub struct Score {
    pub raw: i64,
    pub max: i64,
    pub percent: f64,
    pub passed: bool,
}

impl Quiz {
    /// One answer per question, in order; each question is worth one point.
    pub fn score(&self, answers: &[Value]) -> Result<Score> {
        if answers.len() != self.questions.len() {
            return Err(Error::field(
                "answers",
                format!(
                    "must hold one answer per question ({})",
                    self.questions.len()
                ),
            ));
        }
        let mut errors = Vec::new();
        let mut raw = 0;
        for (i, (q, a)) in self.questions.iter().zip(answers).enumerate() {
            match q.check(a, format!("answers[{i}]")) {
                Ok(true) => raw += 1,
                Ok(false) => {}
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let max = self.questions.len() as i64;
        let percent = (raw as f64 * 100.0 / max as f64 * 100.0).round() / 100.0;
        Ok(Score {
            raw,
            max,
            percent,
            passed: raw * 100 >= self.pass_mark * max,
        })
    }
}
