//! Issuing: a completed course (from the progress outbox) or learning recognised by an admin
//! becomes a signed credential and an entry in the learner's learning account, in one
//! transaction. Issuing is idempotent per learner and course, so the outbox may be replayed.

use serde_json::Value;

use super::{
    document::{Achievement, Draft, Subject},
    keys, proof, rules, status,
    store::{self, credentials::NewCredential, credits::NewEntry},
};
use crate::{
    context::Context,
    db::{is_unique_violation, time::now_ms, time::to_rfc3339},
    error::{Error, Result},
    orgs,
    progress::courses::{mark_consumed, pending_completions, CompletionEvent},
};

/// What to issue.
pub struct Request<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
    pub course_id: Option<&'a str>,
    pub language: Option<&'a str>,
    pub achievement: Achievement,
    pub evidence: Vec<Value>,
}

/// Issues the credential and returns its id (for a course already credited: the existing one).
#[tracing::instrument(skip_all, fields(org = req.org_id, user = req.user_id, course = ?req.course_id))]
pub async fn issue(state: &Context, mut req: Request<'_>) -> Result<String> {
    let db = &state.db;
    if let Some(existing) = existing_for_course(state, req.user_id, req.course_id).await? {
        return Ok(existing);
    }
    let org_name = orgs::find(db, req.org_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?
        .name;
    let (email, plain_email) = store::learner_email(db, req.user_id).await?;
    let domain_label = match &req.achievement.domain {
        Some(slug) => store::domain_label(db, slug).await?,
        None => None,
    };
    let conversion = rules::load(db, req.org_id)
        .await?
        .convert(&req.achievement, req.course_id.is_some());
    req.achievement.credits = conversion.credits;

    let key = keys::active(db, &state.sealer, req.org_id).await?;
    let list = status::current_list(db, &key.id).await?;
    let list_url = status::list_url(&state.settings.public_url, &key.id, list);
    let issuer_did = key.did();
    let method = key.verification_method();
    for _ in 0..8 {
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let index = status::random_index();
        let unsigned = Draft {
            public_url: &state.settings.public_url,
            credential_id: &id,
            issuer_did: &issuer_did,
            org_id: req.org_id,
            org_name: &org_name,
            course_id: req.course_id,
            language: req.language,
            achievement: &req.achievement,
            domain_label: domain_label.as_deref(),
            subject: Subject {
                email: &email,
                plain_email,
            },
            valid_from: &to_rfc3339(now - now % 1000),
            evidence: &req.evidence,
            status: status::entry(&list_url, index),
        }
        .build();
        let signing = key.signing.clone();
        let method = method.clone();
        let created = to_rfc3339(now - now % 1000);
        let signed = tokio::task::spawn_blocking(move || {
            proof::sign(&unsigned, &signing, &method, &created)
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(|e| Error::Internal(anyhow::anyhow!("signing a credential: {e}")))?;

        let mut tx = db.pool.begin().await?;
        let a = &req.achievement;
        let credential = NewCredential {
            id: &id,
            org_id: req.org_id,
            user_id: req.user_id,
            course_id: req.course_id,
            kind: if req.course_id.is_some() {
                "course"
            } else {
                "external"
            },
            achievement: a,
            status_list: list,
            status_index: i64::from(index),
            key_id: &key.id,
            document: &signed.to_string(),
            issued_at: now,
        };
        let inserted = store::credentials::insert(&mut tx, &credential).await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                drop(tx);
                if let Some(existing) =
                    existing_for_course(state, req.user_id, req.course_id).await?
                {
                    return Ok(existing);
                }
                // The random status index was taken: draw again.
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        let entry = NewEntry {
            id: &uuid::Uuid::now_v7().to_string(),
            credential_id: &id,
            user_id: req.user_id,
            org_id: req.org_id,
            course_id: req.course_id,
            achievement: a,
            conversion: &conversion,
            earned_at: now,
        };
        store::credits::insert_entry(&mut tx, &entry).await?;
        tx.commit().await?;
        tracing::info!(credential = %id, "issued a credential");
        return Ok(id);
    }
    Err(Error::Internal(anyhow::anyhow!(
        "no free status list index after 8 draws"
    )))
}

async fn existing_for_course(
    state: &Context,
    user_id: &str,
    course_id: Option<&str>,
) -> Result<Option<String>> {
    let Some(course_id) = course_id else {
        return Ok(None);
    };
    Ok(store::credentials::for_course(&state.db, user_id, course_id).await?)
}

/// Issues the credential for one completion and marks the event consumed.
pub async fn for_completion(state: &Context, event: &CompletionEvent) -> Result<String> {
    let course = store::course_facts(&state.db, &event.course_id).await?;
    let Some((title, summary, domain, level, language, credits, minutes)) = course else {
        mark_consumed(&state.db, &event.id).await?;
        return Err(Error::NotFound);
    };
    let id = issue(
        state,
        Request {
            org_id: &event.org_id,
            user_id: &event.user_id,
            course_id: Some(&event.course_id),
            language: Some(&language),
            achievement: Achievement {
                name: title,
                description: summary,
                criteria: String::new(),
                level: Some(level),
                domain: Some(domain),
                credits,
                hours: (minutes as f64 / 60.0 * 100.0).round() / 100.0,
            },
            evidence: Vec::new(),
        },
    )
    .await?;
    mark_consumed(&state.db, &event.id).await?;
    Ok(id)
}

/// Issues the credentials of completions that just happened, so the learner has them when the
/// request that completed the course returns; one that fails stays pending for [`drain`].
pub async fn for_new_completions(state: &Context, events: &[CompletionEvent]) {
    for event in events {
        if let Err(e) = for_completion(state, event).await {
            tracing::warn!(error = %e, course = event.course_id, "issuing a course credential");
        }
    }
}

/// Issues credentials for every completion not yet consumed (after a crash, or when issuing
/// failed at completion time). Returns how many were issued.
pub async fn drain(state: &Context) -> Result<usize> {
    let mut issued = 0;
    loop {
        let events = pending_completions(&state.db, 50).await?;
        if events.is_empty() {
            return Ok(issued);
        }
        for event in &events {
            match for_completion(state, event).await {
                Ok(_) => issued += 1,
                Err(Error::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
