//! An organisation's conversion rules: how the learning its credentials record becomes credits
//! a credit bank can take up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{document::Achievement, store};
use crate::{
    db::{time::now_ms, Db},
    error::{Error, FieldError, Result},
};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CreditRules {
    /// Learning hours worth one credit, for learning that carries no credit value of its own.
    pub hours_per_credit: Option<f64>,
    /// Multipliers by level (`"1"` … `"5"`); a level not listed counts once.
    #[serde(default)]
    pub level_multipliers: BTreeMap<String, f64>,
    /// Names of certificates from elsewhere that count toward credits (case-insensitive).
    /// Credentials for other outside learning are recorded but convert to nothing.
    #[serde(default)]
    pub recognised_certificates: Vec<String>,
}

/// What the rules make of one credential.
#[derive(Debug, PartialEq)]
pub struct Conversion {
    /// The credential's credit value: its own, or its hours at the organisation's rate.
    pub credits: f64,
    /// What counts toward academic credit.
    pub convertible: f64,
    /// The rule applied, in words.
    pub rule: String,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl CreditRules {
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        if let Some(h) = self.hours_per_credit {
            if !(h.is_finite() && h > 0.0 && h <= 1000.0) {
                errors.push(FieldError::new(
                    "hours_per_credit",
                    "must be a number above 0 and at most 1000",
                ));
            }
        }
        for (level, m) in &self.level_multipliers {
            if !matches!(level.as_str(), "1" | "2" | "3" | "4" | "5") {
                errors.push(FieldError::new("level_multipliers", "levels are 1 to 5"));
            } else if !(m.is_finite() && (0.0..=10.0).contains(m)) {
                errors.push(FieldError::new(
                    "level_multipliers",
                    "multipliers are between 0 and 10",
                ));
            }
        }
        if self.recognised_certificates.len() > 500
            || self
                .recognised_certificates
                .iter()
                .any(|c| c.trim().is_empty() || c.chars().count() > 200)
        {
            errors.push(FieldError::new(
                "recognised_certificates",
                "at most 500 names of 1 to 200 characters",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(errors))
        }
    }

    pub fn convert(&self, achievement: &Achievement, from_course: bool) -> Conversion {
        let (credits, base) = if achievement.credits > 0.0 {
            let c = round2(achievement.credits);
            (c, format!("{c} credits"))
        } else if let Some(h) = self.hours_per_credit {
            let c = round2(achievement.hours / h);
            (c, format!("{} h ÷ {h} h per credit", achievement.hours))
        } else {
            (0.0, "no credit value".to_owned())
        };
        if !from_course && !self.recognises(&achievement.name) {
            return Conversion {
                credits,
                convertible: 0.0,
                rule: format!("{base}; not a recognised certificate"),
            };
        }
        let level = achievement.level.map(|l| l.to_string()).unwrap_or_default();
        match self.level_multipliers.get(&level) {
            Some(m) => Conversion {
                credits,
                convertible: round2(credits * m),
                rule: format!("{base} × {m} (level {level})"),
            },
            None => Conversion {
                credits,
                convertible: credits,
                rule: base,
            },
        }
    }

    fn recognises(&self, name: &str) -> bool {
        let name = name.trim().to_lowercase();
        self.recognised_certificates
            .iter()
            .any(|c| c.trim().to_lowercase() == name)
    }
}

pub async fn load(db: &Db, org_id: &str) -> Result<CreditRules> {
    Ok(match store::credits::rules(db, org_id).await? {
        Some(t) => serde_json::from_str(&t).map_err(|e| Error::Internal(e.into()))?,
        None => CreditRules::default(),
    })
}

pub async fn save(db: &Db, org_id: &str, by: &str, rules: &CreditRules) -> Result<()> {
    rules.validate()?;
    let text = serde_json::to_string(rules).map_err(|e| Error::Internal(e.into()))?;
    store::credits::save_rules(db, org_id, &text, by, now_ms()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn achievement(name: &str, level: i64, credits: f64, hours: f64) -> Achievement {
        Achievement {
            name: name.into(),
            description: String::new(),
            criteria: String::new(),
            level: Some(level),
            domain: None,
            credits,
            hours,
        }
    }

    #[test]
    fn hours_convert_at_the_rate_and_levels_multiply() {
        let rules = CreditRules {
            hours_per_credit: Some(16.0),
            level_multipliers: [("3".to_owned(), 1.5)].into(),
            recognised_certificates: vec!["Electrician Level 3".into()],
        };
        let c = rules.convert(&achievement("Wiring", 3, 0.0, 8.0), true);
        assert_eq!((c.credits, c.convertible), (0.5, 0.75));
        assert_eq!(c.rule, "8 h ÷ 16 h per credit × 1.5 (level 3)");
        let own = rules.convert(&achievement("Wiring", 2, 2.0, 8.0), true);
        assert_eq!((own.credits, own.convertible), (2.0, 2.0));
        let outside = rules.convert(&achievement("electrician level 3 ", 3, 4.0, 0.0), false);
        assert_eq!(outside.convertible, 6.0);
        let unknown = rules.convert(&achievement("Forklift", 3, 4.0, 0.0), false);
        assert_eq!((unknown.credits, unknown.convertible), (4.0, 0.0));
    }

    #[test]
    fn nonsense_rules_are_refused() {
        let rules = CreditRules {
            hours_per_credit: Some(0.0),
            level_multipliers: [("7".to_owned(), 1.0)].into(),
            recognised_certificates: vec![" ".into()],
        };
        let Err(Error::Validation(errors)) = rules.validate() else {
            panic!("accepted")
        };
        assert_eq!(errors.len(), 3);
    }
}
