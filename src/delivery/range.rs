//! The `Range` header (RFC 9110 §14): one range of bytes, in any of its three forms.

/// A resolved, satisfiable byte range: `start..=end` within a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable Range header (absent, not `bytes`, malformed, or several ranges): send it all.
    Full,
    Partial(ByteRange),
    /// Well-formed but outside the representation: 416.
    Unsatisfiable,
}

/// Interprets a `Range` header against a representation of `len` bytes. Several ranges are
/// answered with the whole representation (allowed by RFC 9110 and simpler for every client).
pub fn parse(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let num = |s: &str| {
        s.parse::<u64>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
    };
    match (first.is_empty(), last.is_empty()) {
        (true, true) => RangeRequest::Full,
        (true, false) => match num(last) {
            None => RangeRequest::Full,
            Some(0) => RangeRequest::Unsatisfiable,
            Some(_) if len == 0 => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Partial(ByteRange {
                start: len.saturating_sub(n),
                end: len - 1,
            }),
        },
        (false, _) => {
            let Some(start) = num(first) else {
                return RangeRequest::Full;
            };
            let end = if last.is_empty() {
                Some(u64::MAX)
            } else {
                match num(last) {
                    Some(e) if e >= start => Some(e),
                    _ => None,
                }
            };
            match end {
                None => RangeRequest::Full,
                Some(_) if start >= len => RangeRequest::Unsatisfiable,
                Some(end) => RangeRequest::Partial(ByteRange {
                    start,
                    end: end.min(len - 1),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, ByteRange, RangeRequest::*};

    fn p(s: &str, len: u64) -> super::RangeRequest {
        parse(Some(s), len)
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(p("bytes=0-1", 100), Partial(ByteRange { start: 0, end: 1 }));
        assert_eq!(
            p("bytes=10-", 100),
            Partial(ByteRange { start: 10, end: 99 })
        );
        assert_eq!(
            p("bytes=-10", 100),
            Partial(ByteRange { start: 90, end: 99 })
        );
        assert_eq!(
            p("bytes=-500", 100),
            Partial(ByteRange { start: 0, end: 99 })
        );
        assert_eq!(
            p("bytes=50-5000", 100),
            Partial(ByteRange { start: 50, end: 99 })
        );
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(p("bytes=100-", 100), Unsatisfiable);
        assert_eq!(p("bytes=-0", 100), Unsatisfiable);
        assert_eq!(p("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(p("bytes=5-1", 100), Full);
        assert_eq!(p("bytes=a-b", 100), Full);
        assert_eq!(p("items=0-1", 100), Full);
        assert_eq!(p("bytes=0-1,5-6", 100), Full);
        assert_eq!(p("bytes=+1-2", 100), Full);
        assert_eq!(parse(None, 100), Full);
    }
}
