//! Verification of a credential anyone hands in: its proof (Data Integrity or VC-JWT), that the
//! signing key belongs to the issuer it names, its validity period and its revocation status.
//! Each check says in words what it found, so a person can read the verdict.

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{did, jwt, keys, proof, records, status};
use crate::{
    context::Context,
    db::time::{now_ms, parse_rfc3339, to_rfc3339},
    error::Result,
    orgs,
};

/// What was handed in.
pub enum Presented {
    /// A JSON-LD credential with an embedded proof.
    Embedded(Value),
    /// A compact VC-JWT.
    Jwt(String),
}

#[derive(Debug, Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    /// Not checkable here (e.g. a status list on another server).
    Skipped,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// `proof`, `issuer`, `validity` or `status`.
    pub check: &'static str,
    pub result: Outcome,
    /// Stable code of a failure, e.g. `proof-invalid-signature`, `revoked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub detail: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Verdict {
    pub verified: bool,
    pub checks: Vec<Check>,
    /// The details of failed checks.
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// The credential as presented (for a JWT: its payload), to show what was checked.
    #[schema(value_type = Option<Object>)]
    pub credential: Option<Value>,
}

impl Verdict {
    fn push(&mut self, check: &'static str, result: Outcome, code: Option<&str>, detail: String) {
        if result == Outcome::Failed {
            self.errors.push(detail.clone());
        }
        self.checks.push(Check {
            check,
            result,
            code: code.map(str::to_owned),
            detail,
        });
    }
}

pub async fn verify(state: &Context, presented: Presented) -> Result<Verdict> {
    let mut verdict = Verdict::default();
    let (credential, key) = match presented {
        Presented::Embedded(doc) => {
            let copy = doc.clone();
            let result = tokio::task::spawn_blocking(move || proof::verify(&copy))
                .await
                .map_err(|e| crate::error::Error::Internal(e.into()))?;
            match result {
                Ok(key) => {
                    verdict.push(
                        "proof",
                        Outcome::Passed,
                        None,
                        "The signature (eddsa-rdfc-2022) matches the content.".into(),
                    );
                    (doc, Some(key))
                }
                Err(e) => {
                    verdict.push(
                        "proof",
                        Outcome::Failed,
                        Some(e.code()),
                        format!("The signature does not hold: {e}."),
                    );
                    (doc, None)
                }
            }
        }
        Presented::Jwt(token) => match jwt::decode(token.trim()) {
            Ok((header, payload)) => {
                let key = header["kid"]
                    .as_str()
                    .and_then(|kid| did::resolve(kid).ok());
                verdict.push(
                    "proof",
                    Outcome::Passed,
                    None,
                    "The JWT signature (EdDSA) matches the content.".into(),
                );
                (payload, key)
            }
            Err(e) => {
                verdict.push(
                    "proof",
                    Outcome::Failed,
                    Some(e.code()),
                    format!("The JWT does not verify: {e}."),
                );
                verdict.verified = false;
                return Ok(verdict);
            }
        },
    };
    check_issuer(state, &credential, key.as_ref(), &mut verdict).await?;
    check_validity(&credential, &mut verdict);
    check_status(state, &credential, &mut verdict).await?;
    verdict.verified = verdict.checks.iter().all(|c| c.result != Outcome::Failed);
    verdict.credential = Some(credential);
    Ok(verdict)
}

fn issuer_id(credential: &Value) -> Option<&str> {
    credential["issuer"]
        .as_str()
        .or_else(|| credential["issuer"]["id"].as_str())
}

async fn check_issuer(
    state: &Context,
    credential: &Value,
    key: Option<&VerifyingKey>,
    verdict: &mut Verdict,
) -> Result<()> {
    let Some(key) = key else {
        verdict.push(
            "issuer",
            Outcome::Failed,
            Some("issuer-unverified"),
            "The issuer cannot be confirmed without a valid signature.".into(),
        );
        return Ok(());
    };
    let signer = did::did_key(key);
    if issuer_id(credential) != Some(signer.as_str()) {
        verdict.push(
            "issuer",
            Outcome::Failed,
            Some("issuer-mismatch"),
            "The credential was not signed by the issuer it names.".into(),
        );
        return Ok(());
    }
    let name = credential["issuer"]["name"]
        .as_str()
        .unwrap_or("the issuer");
    match keys::owner_of(&state.db, key).await? {
        Some((org_id, active)) => {
            let org = orgs::find(&state.db, &org_id).await?;
            let org = org.map_or_else(|| name.to_owned(), |o| o.name);
            let which = if active {
                "its current key"
            } else {
                "an earlier key it has since rotated"
            };
            verdict.push(
                "issuer",
                Outcome::Passed,
                None,
                format!("Signed by {org} with {which}."),
            );
        }
        None => {
            verdict.warnings.push(format!(
                "{name} is not an organisation on this server; only its signature was checked."
            ));
            verdict.push(
                "issuer",
                Outcome::Passed,
                None,
                format!("Signed with the key of {signer}, the issuer it names."),
            );
        }
    }
    Ok(())
}

fn check_validity(credential: &Value, verdict: &mut Verdict) {
    let now = now_ms();
    let from = credential["validFrom"].as_str();
    let until = credential["validUntil"].as_str();
    let from_ms = from.map(parse_rfc3339);
    let until_ms = until.map(parse_rfc3339);
    if matches!(from_ms, Some(None)) || matches!(until_ms, Some(None)) {
        verdict.push(
            "validity",
            Outcome::Failed,
            Some("validity-malformed"),
            "Its validity dates are not valid dates.".into(),
        );
    } else if let Some(Some(f)) = from_ms.filter(|f| f.is_some_and(|f| f > now)) {
        verdict.push(
            "validity",
            Outcome::Failed,
            Some("not-yet-valid"),
            format!("It is not valid before {}.", to_rfc3339(f)),
        );
    } else if let Some(Some(u)) = until_ms.filter(|u| u.is_some_and(|u| u <= now)) {
        verdict.push(
            "validity",
            Outcome::Failed,
            Some("expired"),
            format!("It expired on {}.", to_rfc3339(u)),
        );
    } else {
        let since = from.map(|f| format!(" since {f}")).unwrap_or_default();
        verdict.push(
            "validity",
            Outcome::Passed,
            None,
            format!("It is valid{since}."),
        );
    }
}

async fn check_status(state: &Context, credential: &Value, verdict: &mut Verdict) -> Result<()> {
    let entries: Vec<&Value> = match &credential["credentialStatus"] {
        Value::Null => {
            verdict.push(
                "status",
                Outcome::Skipped,
                None,
                "It carries no revocation status.".into(),
            );
            return Ok(());
        }
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    for entry in entries {
        if entry["type"] != "BitstringStatusListEntry" || entry["statusPurpose"] != "revocation" {
            continue;
        }
        let url = entry["statusListCredential"].as_str().unwrap_or_default();
        let index = entry["statusListIndex"]
            .as_str()
            .and_then(|i| i.parse::<i64>().ok());
        let (Some((key_id, list)), Some(index)) = (
            status::parse_list_url(&state.settings.public_url, url),
            index,
        ) else {
            verdict.warnings.push(format!(
                "Its status list is kept elsewhere ({url}) and was not fetched."
            ));
            verdict.push(
                "status",
                Outcome::Skipped,
                None,
                "Its revocation status is kept on another server.".into(),
            );
            return Ok(());
        };
        match records::revoked_at(&state.db, key_id, list, index).await? {
            Some(at) => verdict.push(
                "status",
                Outcome::Failed,
                Some("revoked"),
                format!("The issuer revoked it on {}.", &to_rfc3339(at)[..10]),
            ),
            None => verdict.push(
                "status",
                Outcome::Passed,
                None,
                "The issuer has not revoked it.".into(),
            ),
        }
        return Ok(());
    }
    verdict.push(
        "status",
        Outcome::Skipped,
        None,
        "It carries no revocation status this server understands.".into(),
    );
    Ok(())
}
