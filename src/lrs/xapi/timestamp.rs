//! Timestamp formats for `timestamp` and `stored` (xAPI Data 4.5).
//!
//! * 2.0.0: RFC 3339 `date-time` (seconds and offset required, `T`/`t` or a
//!   space between date and time, which the 2.0 suite explicitly accepts).
//! * 1.0.3: ISO 8601 extended or basic date-time. The 1.0.3 spec only says a
//!   timestamp SHOULD carry a time zone (4.1.7), so an offset is optional,
//!   seconds may be omitted and offsets may be `Z`, `±hh`, `±hhmm`, `±hh:mm`.
//!
//! Both versions reject the "negative zero" offsets `-00`, `-0000`, `-00:00`
//! (conformance XAPI-00123; RFC 3339 4.3 gives `-00:00` the meaning "offset
//! unknown", which cannot be stored faithfully).

use super::XapiVersion;

/// True when `s` is an acceptable timestamp for `version`.
pub fn is_valid_timestamp(s: &str, version: XapiVersion) -> bool {
    let Some(split) = s.find(['T', 't', ' ']) else {
        return false;
    };
    let (date, rest) = (&s[..split], &s[split + 1..]);
    let strict = version == XapiVersion::V2_0_0;
    let extended = date.contains('-');
    if strict && !extended {
        return false;
    }
    if !date_ok(date, extended) {
        return false;
    }
    let (time, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    if !time_ok(time, extended, strict) {
        return false;
    }
    match offset {
        Some(o) => offset_ok(o, strict),
        None => !strict,
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn date_ok(date: &str, extended: bool) -> bool {
    let parts = if extended {
        let p: Vec<&str> = date.split('-').collect();
        if p.len() != 3 || p[0].len() != 4 || p[1].len() != 2 || p[2].len() != 2 {
            return false;
        }
        (p[0], p[1], p[2])
    } else {
        if date.len() != 8 || !date.is_ascii() {
            return false;
        }
        (&date[..4], &date[4..6], &date[6..])
    };
    let (Some(y), Some(m), Some(d)) = (num(parts.0), num(parts.1), num(parts.2)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn time_ok(time: &str, extended: bool, strict: bool) -> bool {
    let (hms, frac) = match time.find(['.', ',']) {
        Some(i) => (&time[..i], Some(&time[i + 1..])),
        None => (time, None),
    };
    if frac.is_some_and(|f| num(f).is_none() || (strict && time.contains(','))) {
        return false;
    }
    let fields: Vec<&str> = if extended {
        hms.split(':').collect()
    } else {
        if !hms.is_ascii() || hms.len() % 2 != 0 {
            return false;
        }
        (0..hms.len()).step_by(2).map(|i| &hms[i..i + 2]).collect()
    };
    let need_seconds = strict || frac.is_some();
    if fields.len() < 2 || fields.len() > 3 || (need_seconds && fields.len() != 3) {
        return false;
    }
    if fields.iter().any(|f| f.len() != 2) {
        return false;
    }
    let limits = [23, 59, 60];
    fields
        .iter()
        .zip(limits)
        .all(|(f, max)| num(f).is_some_and(|v| v <= max))
}

fn offset_ok(o: &str, strict: bool) -> bool {
    if o == "Z" || o == "z" {
        return true;
    }
    if !o.is_ascii() {
        return false;
    }
    let sign = &o[..1];
    let body = &o[1..];
    let (h, m) = match (body.len(), body.as_bytes().get(2)) {
        (5, Some(b':')) => (&body[..2], Some(&body[3..])),
        (4, _) if !strict => (&body[..2], Some(&body[2..])),
        (2, _) if !strict => (body, None),
        _ => return false,
    };
    let (Some(h), Some(m)) = (num(h), m.map_or(Some(0), num)) else {
        return false;
    };
    if h > 23 || m > 59 {
        return false;
    }
    !(sign == "-" && h == 0 && m == 0)
}

#[cfg(test)]
mod tests {
    use super::is_valid_timestamp;
    use crate::lrs::xapi::XapiVersion::{V1_0_3, V2_0_0};

    #[test]
    fn rfc3339_accepted_by_both_versions() {
        for ts in [
            "2008-09-15T15:53:00.601Z",
            "2008-09-15T15:53:00+05:30",
            "2008-09-15 15:53:00.601+00:00",
            "2024-02-29t23:59:60z",
        ] {
            assert!(is_valid_timestamp(ts, V2_0_0), "{ts}");
            assert!(is_valid_timestamp(ts, V1_0_3), "{ts}");
        }
    }

    #[test]
    fn iso8601_only_forms_are_1_0_3_only() {
        for ts in [
            "2008-09-15T15:53:00",
            "20080915T155300Z",
            "2008-09-15T15:53Z",
            "2008-09-15T15:53:00+0530",
            "2008-09-15T15:53:00+05",
            "2008-09-15T15:53:00,5Z",
        ] {
            assert!(is_valid_timestamp(ts, V1_0_3), "{ts}");
            assert!(!is_valid_timestamp(ts, V2_0_0), "{ts}");
        }
    }

    #[test]
    fn negative_zero_offsets_and_garbage_rejected() {
        for ts in [
            "2008-09-15T15:53:00.601-00",
            "2008-09-15T15:53:00.601-0000",
            "2008-09-15T15:53:00.601-00:00",
            "01/011/2015",
            "should fail",
            "2008-02-30T00:00:00Z",
            "2007-02-29T00:00:00Z",
            "2008-13-01T00:00:00Z",
            "2008-09-15T24:00:00Z",
            "2008-09-15T15:53:00.Z",
            "2008-09-15",
            "2008-09-15T15:53:00+24:00",
        ] {
            assert!(!is_valid_timestamp(ts, V1_0_3), "{ts}");
            assert!(!is_valid_timestamp(ts, V2_0_0), "{ts}");
        }
    }
}
