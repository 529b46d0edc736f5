//! Bulk import of a class list (CSV): each row is created, added or rejected with a reason, and
//! one bad row never stops the others.

use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

use super::members::{self, Added, NewMember};
use crate::{
    accounts::OrgRole,
    db::Db,
    error::{Error, Result},
    values::Email,
};

pub const MAX_ROWS: usize = 5000;

#[derive(Serialize, ToSchema, Debug)]
pub struct ImportReport {
    pub created: usize,
    /// Rows naming an existing account, which was invited.
    pub invited: usize,
    pub rejected: usize,
    pub rows: Vec<RowOutcome>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct RowOutcome {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    pub email: String,
    /// `created` (new account), `invited` (an existing account, which joins when it accepts)
    /// or `rejected`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Generated when the row had no password: hand it to the learner, it is shown only here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

/// Columns: `email` (required), `display_name`, `role` (default learner), `password`.
pub async fn import_csv(db: &Db, org_id: &str, csv_text: &[u8]) -> Result<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(csv_text);
    let headers = reader
        .headers()
        .map_err(|e| {
            Error::bad_request("csv-invalid", format!("The CSV header cannot be read: {e}"))
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect::<Vec<_>>();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let Some(email_col) = col("email") else {
        return Err(Error::field(
            "csv",
            "The first line must name the columns, including email.",
        ));
    };
    let (name_col, role_col, pw_col) = (
        col("display_name").or(col("name")),
        col("role"),
        col("password"),
    );

    let mut report = ImportReport {
        created: 0,
        invited: 0,
        rejected: 0,
        rows: Vec::new(),
    };
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if i >= MAX_ROWS {
            return Err(Error::TooLarge {
                code: "too-many-rows",
                detail: format!("A class list may have at most {MAX_ROWS} rows."),
            });
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.push_rejected(line, String::new(), format!("unreadable row: {e}"));
                continue;
            }
        };
        let field = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|s| !s.is_empty());
        let raw_email = field(Some(email_col)).unwrap_or_default().to_owned();
        let email = match Email::parse(&raw_email) {
            Ok(e) => e,
            Err(m) => {
                report.push_rejected(line, raw_email, format!("email {m}"));
                continue;
            }
        };
        let role = match field(role_col)
            .map(OrgRole::parse)
            .unwrap_or(Ok(OrgRole::Learner))
        {
            Ok(r) => r,
            Err(m) => {
                report.push_rejected(line, raw_email, format!("role {m}"));
                continue;
            }
        };
        let (password, generated) = match field(pw_col) {
            Some(p) => (p.to_owned(), None),
            None => {
                let p = initial_password();
                (p.clone(), Some(p))
            }
        };
        let new = NewMember {
            email,
            display_name: field(name_col).map(str::to_owned),
            password: Some(password),
            role,
        };
        match members::add(db, org_id, new).await {
            Ok(Added::Created(_)) => {
                report.created += 1;
                report.rows.push(RowOutcome {
                    line,
                    email: raw_email,
                    status: "created",
                    reason: None,
                    initial_password: generated,
                });
            }
            Ok(Added::Invited(_)) => {
                report.invited += 1;
                report.rows.push(RowOutcome {
                    line,
                    email: raw_email,
                    status: "invited",
                    reason: None,
                    initial_password: None,
                });
            }
            Err(Error::Validation(errors)) => {
                let reason = errors
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                report.push_rejected(line, raw_email, reason);
            }
            Err(Error::Conflict { detail, .. }) => report.push_rejected(line, raw_email, detail),
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}

impl ImportReport {
    fn push_rejected(&mut self, line: usize, email: String, reason: String) {
        self.rejected += 1;
        self.rows.push(RowOutcome {
            line,
            email,
            status: "rejected",
            reason: Some(reason),
            initial_password: None,
        });
    }
}

fn initial_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
