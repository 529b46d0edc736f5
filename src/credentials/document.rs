//! The Open Badges 3.0 `OpenBadgeCredential` Caravan issues (VC Data Model 2.0), before it is
//! signed. Level, domain, credits and learning hours travel in standard Open Badges terms:
//! `alignment` to the level scale, `fieldOfStudy` and `tag` for the domain, `creditsAvailable` /
//! `creditsEarned`, and a `ResultDescription` + `Result` for the hours.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub const VC_V2: &str = "https://www.w3.org/ns/credentials/v2";
pub const OB_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// What was achieved, as recorded in the credential and the learning account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Achievement {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// What the learner had to do, in words.
    #[serde(default)]
    pub criteria: String,
    /// 1 (entry) … 5 (expert).
    pub level: Option<i64>,
    /// A domain slug from the vocabulary.
    pub domain: Option<String>,
    #[serde(default)]
    pub credits: f64,
    #[serde(default)]
    pub hours: f64,
}

/// How the learner is named: a salted hash of their e-mail unless they opted in to the address.
pub struct Subject<'a> {
    pub email: &'a str,
    pub plain_email: bool,
}

impl Subject<'_> {
    fn identifier(&self) -> Value {
        if self.plain_email {
            return json!({
                "type": "IdentityObject",
                "identityHash": self.email,
                "identityType": "emailAddress",
                "hashed": false,
            });
        }
        let salt = hex::encode(rand::random::<[u8; 16]>());
        let hash = Sha256::digest(format!("{}{salt}", self.email).as_bytes());
        json!({
            "type": "IdentityObject",
            "identityHash": format!("sha256${}", hex::encode(hash)),
            "identityType": "emailAddress",
            "hashed": true,
            "salt": salt,
        })
    }
}

pub struct Draft<'a> {
    pub public_url: &'a str,
    pub credential_id: &'a str,
    /// The issuer id: the signing key's did:key.
    pub issuer_did: &'a str,
    pub org_id: &'a str,
    pub org_name: &'a str,
    /// The course's stable achievement id, or None for learning recognised from elsewhere.
    pub course_id: Option<&'a str>,
    pub language: Option<&'a str>,
    pub achievement: &'a Achievement,
    pub domain_label: Option<&'a str>,
    pub subject: Subject<'a>,
    pub valid_from: &'a str,
    pub evidence: &'a [Value],
    pub status: Value,
}

/// The organisation's issuer profile (also served at its stable URL).
pub fn issuer_profile(public_url: &str, org_id: &str, org_name: &str, did: &str) -> Value {
    json!({
        "id": did,
        "type": ["Profile"],
        "name": org_name,
        "url": format!("{public_url}/api/v1/orgs/{org_id}/issuer"),
    })
}

impl Draft<'_> {
    pub fn build(&self) -> Value {
        let a = self.achievement;
        let achievement_id = match self.course_id {
            // The course's page: the same id for every learner who completes it.
            Some(course) => format!("{}/courses/{course}", self.public_url),
            None => format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        };
        let hours_id = format!("{achievement_id}#learning-hours");
        let mut achievement = json!({
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": if self.course_id.is_some() { "Course" } else { "Certificate" },
            "name": a.name,
            "description": if a.description.is_empty() { &a.name } else { &a.description },
            "criteria": {"narrative": criteria(a, self.course_id.is_some())},
            "image": {"id": badge_image(a), "type": "Image", "caption": a.name},
            "creditsAvailable": a.credits,
            "resultDescription": [{
                "id": hours_id,
                "type": ["ResultDescription"],
                "name": "Learning hours",
                "resultType": "ext:LearningHours",
            }],
        });
        let map = achievement.as_object_mut().expect("an object");
        if let Some(lang) = self.language {
            map.insert("inLanguage".into(), lang.into());
        }
        let mut tags = Vec::new();
        if let Some(domain) = &a.domain {
            map.insert(
                "fieldOfStudy".into(),
                self.domain_label.unwrap_or(domain).into(),
            );
            tags.push(domain.clone());
        }
        if let Some(level) = a.level {
            tags.push(format!("level-{level}"));
            map.insert(
                "alignment".into(),
                json!([{
                    "type": ["Alignment"],
                    "targetName": format!("Level {level}"),
                    "targetCode": level.to_string(),
                    "targetFramework": "Caravan training levels (1 entry – 5 expert)",
                    "targetUrl": format!("{}/api/v1/vocabulary/levels#{level}", self.public_url),
                }]),
            );
        }
        if !tags.is_empty() {
            map.insert("tag".into(), tags.into());
        }
        let mut credential = json!({
            "@context": [VC_V2, OB_V3],
            "id": format!("urn:uuid:{}", self.credential_id),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": a.name,
            "issuer": issuer_profile(self.public_url, self.org_id, self.org_name, self.issuer_did),
            "validFrom": self.valid_from,
            "awardedDate": self.valid_from,
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": [self.subject.identifier()],
                "achievement": achievement,
                "creditsEarned": a.credits,
                "result": [{
                    "type": ["Result"],
                    "resultDescription": hours_id,
                    "value": format_hours(a.hours),
                }],
            },
            "credentialStatus": self.status,
        });
        if !self.evidence.is_empty() {
            credential["evidence"] = Value::Array(self.evidence.to_vec());
        }
        credential
    }
}

fn criteria(a: &Achievement, course: bool) -> String {
    if !a.criteria.is_empty() {
        a.criteria.clone()
    } else if course {
        format!("Completed every required unit of the course “{}”.", a.name)
    } else {
        format!("Recognised achievement: {}.", a.name)
    }
}

fn format_hours(hours: f64) -> String {
    let s = format!("{hours:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A small self-contained SVG badge (a data: URI, so the credential needs no server to show it).
fn badge_image(a: &Achievement) -> String {
    let level = a.level.map(|l| format!("L{l}")).unwrap_or_default();
    let initials: String = a
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(3)
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 120 120\">\
         <circle cx=\"60\" cy=\"60\" r=\"56\" fill=\"#1d4ed8\"/>\
         <circle cx=\"60\" cy=\"60\" r=\"46\" fill=\"none\" stroke=\"#fff\" stroke-width=\"3\"/>\
         <text x=\"60\" y=\"66\" font-family=\"sans-serif\" font-size=\"26\" fill=\"#fff\" \
         text-anchor=\"middle\">{}</text>\
         <text x=\"60\" y=\"92\" font-family=\"sans-serif\" font-size=\"14\" fill=\"#fff\" \
         text-anchor=\"middle\">{}</text></svg>",
        crate::html::escape(&initials),
        crate::html::escape(&level)
    );
    format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_identities_hide_the_address_and_check_against_it() {
        let id = Subject {
            email: "li.wei@example.cn",
            plain_email: false,
        }
        .identifier();
        let text = id.to_string();
        assert!(!text.contains("li.wei"), "{text}");
        let salt = id["salt"].as_str().unwrap();
        let expected = Sha256::digest(format!("li.wei@example.cn{salt}").as_bytes());
        assert_eq!(
            id["identityHash"],
            format!("sha256${}", hex::encode(expected))
        );
        assert_eq!(format_hours(2.5), "2.5");
        assert_eq!(format_hours(3.0), "3");
    }
}
