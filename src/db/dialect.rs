//! Where SQL must differ between SQLite and PostgreSQL, the difference is written here once;
//! the areas' store modules ask for the fragment and stay one query text for both backends.

use super::{Backend, Placeholders};

impl Backend {
    /// Locks the selected rows for this transaction (PostgreSQL); SQLite's one writer needs none.
    pub fn row_lock(self) -> &'static str {
        match self {
            Backend::Postgres => "FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// As [`Backend::row_lock`], skipping rows another transaction holds (queue claims).
    pub fn row_lock_skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// SQLite plans without statistics: a unary `+` before a column keeps it from walking that
    /// column's index when a more selective one exists. PostgreSQL plans from statistics.
    pub fn index_hint(self) -> &'static str {
        match self {
            Backend::Sqlite => "+",
            Backend::Postgres => "",
        }
    }

    /// Bulk-insert placeholders: plain `?` on SQLite, whose per-parameter name lookup makes
    /// numbered ones cost O(n²) in a statement of thousands of parameters; `$n` on PostgreSQL.
    /// Either way each is bound once, in the order written.
    pub fn bulk_placeholders(self) -> impl FnMut() -> String {
        let mut ph = Placeholders::default();
        move || match self {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => ph.take(),
        }
    }

    /// A UTC calendar label of the epoch milliseconds in the SQL expression `at`.
    pub fn utc_label(self, at: &str, label: CalendarLabel) -> String {
        match self {
            Backend::Sqlite => {
                let secs = format!("{at} / 1000, 'unixepoch'");
                match label {
                    CalendarLabel::Month => format!("strftime('%Y-%m', {secs})"),
                    CalendarLabel::Year => format!("strftime('%Y', {secs})"),
                    CalendarLabel::Quarter => format!(
                        "strftime('%Y', {secs}) || '-Q' || \
                         ((CAST(strftime('%m', {secs}) AS INTEGER) + 2) / 3)"
                    ),
                }
            }
            Backend::Postgres => {
                let pattern = match label {
                    CalendarLabel::Month => "YYYY-MM",
                    CalendarLabel::Quarter => "YYYY-\"Q\"Q",
                    CalendarLabel::Year => "YYYY",
                };
                format!("to_char(to_timestamp({at} / 1000) AT TIME ZONE 'UTC', '{pattern}')")
            }
        }
    }
}

/// The calendar labels [`Backend::utc_label`] writes: `2026-03`, `2026-Q1`, `2026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarLabel {
    Month,
    Quarter,
    Year,
}
