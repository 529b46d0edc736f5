//! The concurrency headers of a document write (Communication 3.1): `If-Match` and
//! `If-None-Match` checked against the current ETag as RFC 9110 compares them.

use super::{DocumentError, DocumentResult};

/// The entity tags of an `If-Match` or `If-None-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tags {
    Any,
    /// (tag without quotes, is weak)
    List(Vec<(String, bool)>),
}

impl Tags {
    pub fn parse(header: &str) -> Tags {
        if header.trim() == "*" {
            return Tags::Any;
        }
        Tags::List(
            header
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    let (t, weak) = match t.strip_prefix("W/") {
                        Some(rest) => (rest, true),
                        None => (t, false),
                    };
                    (t.trim_matches('"').to_ascii_lowercase(), weak)
                })
                .collect(),
        )
    }

    /// RFC 9110 13.1.1: If-Match uses the strong comparison, so weak tags never match.
    fn strong_match(&self, current: &str) -> bool {
        match self {
            Tags::Any => true,
            Tags::List(tags) => tags.iter().any(|(t, weak)| !weak && t == current),
        }
    }

    /// RFC 9110 13.1.2: If-None-Match uses the weak comparison.
    fn weak_match(&self, current: &str) -> bool {
        match self {
            Tags::Any => true,
            Tags::List(tags) => tags.iter().any(|(t, _)| t == current),
        }
    }
}

/// The concurrency headers of a write.
#[derive(Debug, Clone, Default)]
pub struct Preconditions {
    pub if_match: Option<Tags>,
    pub if_none_match: Option<Tags>,
}

impl Preconditions {
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// Checks the headers against the current document's ETag (`None`: no document).
    pub(super) fn check(&self, current: Option<&str>) -> DocumentResult<()> {
        let failed = DocumentError::PreconditionFailed;
        if let Some(tags) = &self.if_match {
            if !current.is_some_and(|c| tags.strong_match(c)) {
                return Err(failed(
                    "If-Match does not match the document's current ETag (or there is no document).",
                ));
            }
        }
        if let Some(tags) = &self.if_none_match {
            if current.is_some_and(|c| tags.weak_match(c)) {
                return Err(failed("If-None-Match matches the document's current ETag."));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Preconditions, Tags};

    #[test]
    fn preconditions_follow_rfc_9110() {
        let tags = Tags::parse(r#"W/"abc", "def""#);
        assert!(!tags.strong_match("abc") && tags.weak_match("abc"));
        assert!(tags.strong_match("def"));
        assert_eq!(Tags::parse(" * "), Tags::Any);
        let create_only = Preconditions {
            if_none_match: Some(Tags::Any),
            ..Default::default()
        };
        assert!(create_only.check(None).is_ok());
        assert!(create_only.check(Some("abc")).is_err());
        let update_only = Preconditions {
            if_match: Some(Tags::Any),
            ..Default::default()
        };
        assert!(update_only.check(None).is_err());
        assert!(update_only.check(Some("abc")).is_ok());
    }
}
