//! Timestamps are stored as BIGINT milliseconds since the Unix epoch (portable and sortable)
//! and shown as RFC 3339 in UTC on the wire.

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Always three fractional digits (`2026-11-27T08:30:00.080Z`): the precision stored, and
/// text that sorts like the instants it names.
pub fn to_rfc3339(ms: i64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_default()
}

pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// serde helper: epoch milliseconds out as RFC 3339.
pub fn serialize_ms<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*ms))
}

/// serde helper: optional epoch milliseconds out as RFC 3339 or null.
pub fn serialize_opt_ms<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&to_rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_through_rfc3339() {
        let s = super::to_rfc3339(1_764_227_716_123);
        assert_eq!(s, "2025-11-27T07:15:16.123Z");
        assert_eq!(super::parse_rfc3339(&s), Some(1_764_227_716_123));
        assert_eq!(
            super::to_rfc3339(1_764_227_716_080),
            "2025-11-27T07:15:16.080Z"
        );
        assert_eq!(
            super::to_rfc3339(1_764_227_716_000),
            "2025-11-27T07:15:16.000Z"
        );
    }
}
