//! ISO 8601:2004 durations, format 4.4.3.2 (`PnYnMnDTnHnMnS` or `PnW`).
//!
//! xAPI Data 4.6 (XAPI-00124) requires exactly this format; the alternative
//! format of 4.4.3.3 (`P0003-06-04T12:30:05`) MUST NOT be used, and the
//! conformance suite rejects mixing weeks with other units (`P4W1D`).

const SECS_PER_DAY: f64 = 86_400.0;

/// Nominal lengths used to turn calendar units into seconds. ISO 8601 leaves
/// years and months context-dependent; for progress tracking and reporting a
/// fixed approximation (365-day year, 30-day month) is sufficient.
const SECS_PER_YEAR: f64 = 365.0 * SECS_PER_DAY;
const SECS_PER_MONTH: f64 = 30.0 * SECS_PER_DAY;

/// Parses an ISO 8601 duration into seconds; `None` if it is not valid.
///
/// Accepts `P3Y1M29DT4H35M59.14S`, `PT16559.14S`, `P1D`, `P4W`. Rejects an
/// empty designator list (`P`, `PT`), weeks combined with other units, a
/// decimal fraction anywhere but the last component (ISO 8601 4.4.3.2),
/// signs, and lowercase designators.
pub fn parse_duration(s: &str) -> Option<f64> {
    let body = s.strip_prefix('P')?;
    if let Some(weeks) = body.strip_suffix('W') {
        let (n, _) = parse_number(weeks)?;
        return (weeks.len() == n.1 && n.0.is_finite()).then_some(n.0 * 7.0 * SECS_PER_DAY);
    }
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (body, None),
    };
    let mut total = 0.0;
    let mut components = 0;
    let mut fraction_seen = false;
    let mut parts: Vec<(&str, &[(char, f64)])> = vec![(
        date,
        &[
            ('Y', SECS_PER_YEAR),
            ('M', SECS_PER_MONTH),
            ('D', SECS_PER_DAY),
        ],
    )];
    if let Some(t) = time {
        parts.push((t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)]));
    }
    for (mut rest, units) in parts {
        let mut next_unit = 0;
        let before = components;
        while !rest.is_empty() {
            if fraction_seen {
                return None;
            }
            let ((value, used), had_fraction) = parse_number(rest)?;
            let designator = rest[used..].chars().next()?;
            let pos = units[next_unit..]
                .iter()
                .position(|(d, _)| *d == designator)?;
            next_unit += pos + 1;
            total += value * units[next_unit - 1].1;
            components += 1;
            fraction_seen = had_fraction;
            rest = &rest[used + 1..];
        }
        if time.is_some() && units[0].0 == 'H' && components == before {
            return None;
        }
    }
    (components > 0 && total.is_finite()).then_some(total)
}

/// Reads `digits[(.|,)digits]` from the start of `s`; returns
/// ((value, bytes consumed), whether a fraction was present).
fn parse_number(s: &str) -> Option<((f64, usize), bool)> {
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    if int_len == 0 {
        return None;
    }
    let mut used = int_len;
    let mut fraction = false;
    if matches!(s.as_bytes().get(used), Some(b'.' | b',')) {
        let frac_len = s[used + 1..].bytes().take_while(u8::is_ascii_digit).count();
        if frac_len == 0 {
            return None;
        }
        used += 1 + frac_len;
        fraction = true;
    }
    let value: f64 = s[..used].replace(',', ".").parse().ok()?;
    Some(((value, used), fraction))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn parses_time_components() {
        assert!(close(parse_duration("PT1H2M3.5S"), 3723.5));
        assert!(close(parse_duration("PT1H0M0.1S"), 3600.1));
        assert!(close(parse_duration("PT16559.14S"), 16559.14));
        assert!(close(parse_duration("PT0S"), 0.0));
        assert!(close(parse_duration("PT1,5S"), 1.5));
    }

    #[test]
    fn parses_date_and_week_components() {
        assert!(close(parse_duration("P1D"), 86_400.0));
        assert!(close(parse_duration("P3W"), 3.0 * 7.0 * 86_400.0));
        assert!(parse_duration("P3Y").is_some());
        assert!(parse_duration("P3Y1M29DT4H35M59.14S").is_some());
        // Month before the T is months, after the T minutes.
        assert!(close(parse_duration("P1MT1M"), 30.0 * 86_400.0 + 60.0));
    }

    #[test]
    fn rejects_what_the_suite_rejects() {
        for bad in [
            "PA1H0M0S",
            "should fail",
            "P4W1D",
            "P",
            "PT",
            "P1DT",
            "1D",
            "pt1s",
            "PT-1S",
            "PT1.S",
            "PT.5S",
            "PT1S2M",
            "PT1M1M",
            "P1.5DT1H",
            "P0003-06-04T12:30:05",
            "PT1H ",
            "P1W2W",
            "P1H",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
