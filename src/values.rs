//! Parsed values shared by several domain areas. A value of one of these types is valid by
//! construction ("parse, don't validate"); the parse error is the sentence shown to people.

use std::fmt;

use serde::Serialize;

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A lower-cased e-mail address (one `@`, a dot in the domain, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);
string_value!(Email);

impl Email {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim().to_lowercase();
        let Some((local, domain)) = s.split_once('@') else {
            return Err("must be an e-mail address");
        };
        let ok = !local.is_empty()
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Self(s))
        } else {
            Err("must be an e-mail address")
        }
    }
}

/// A URL-safe identifier: 2–64 chars of `a-z`, `0-9` and inner `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Slug(String);
string_value!(Slug);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let ok = (2..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be 2–64 characters of a-z, 0-9 and single inner hyphens")
        }
    }
}

/// Trimmed, non-empty text of bounded length (names, titles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text(String);
string_value!(Text);

impl Text {
    pub fn parse(s: &str, max_chars: usize) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("must not be empty".into());
        }
        if t.chars().count() > max_chars {
            return Err(format!("must be at most {max_chars} characters"));
        }
        if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err("must not contain control characters".into());
        }
        Ok(Self(t.to_owned()))
    }
}

/// A well-formed BCP 47 language tag (RFC 5646 syntax: language, script, region, variants,
/// extensions, private use), kept in its canonical case (`zh-Hans-CN`, `en-GB`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguageTag(String);
string_value!(LanguageTag);

impl LanguageTag {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const ERR: &str = "must be a BCP 47 language tag such as zh-CN or en";
        let subtags: Vec<&str> = s.split('-').collect();
        if s.len() > 64 || subtags.iter().any(|t| t.is_empty() || t.len() > 8) {
            return Err(ERR);
        }
        if !subtags
            .iter()
            .all(|t| t.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(ERR);
        }
        let alpha = |t: &str| t.bytes().all(|b| b.is_ascii_alphabetic());
        let digit = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        let mut out = Vec::with_capacity(subtags.len());
        let mut it = subtags.iter().peekable();
        let lang = it.next().ok_or(ERR)?;
        if !(alpha(lang) && (2..=8).contains(&lang.len()) && lang.len() != 4) {
            return Err(ERR);
        }
        out.push(lang.to_ascii_lowercase());
        let mut extlangs = 0;
        while let Some(t) = it.peek() {
            if lang.len() <= 3 && t.len() == 3 && alpha(t) && extlangs < 3 {
                out.push(t.to_ascii_lowercase());
                extlangs += 1;
                it.next();
            } else {
                break;
            }
        }
        if let Some(t) = it.peek().filter(|t| t.len() == 4 && alpha(t)) {
            let mut c = t.to_ascii_lowercase();
            c[..1].make_ascii_uppercase();
            out.push(c);
            it.next();
        }
        if let Some(t) = it
            .peek()
            .filter(|t| (t.len() == 2 && alpha(t)) || (t.len() == 3 && digit(t)))
        {
            out.push(t.to_ascii_uppercase());
            it.next();
        }
        // Variants, extensions and private use: only their shape is checked.
        let (mut in_extension, mut needs_body, mut private) = (false, false, false);
        for t in it {
            if private {
                needs_body = false;
            } else if t.len() == 1 {
                if needs_body {
                    return Err(ERR);
                }
                private = t.eq_ignore_ascii_case("x");
                in_extension = true;
                needs_body = true;
            } else if in_extension {
                needs_body = false;
            } else {
                let variant = t.len() >= 5 || (t.len() == 4 && t.as_bytes()[0].is_ascii_digit());
                if !variant {
                    return Err(ERR);
                }
            }
            out.push(t.to_ascii_lowercase());
        }
        if needs_body {
            return Err(ERR);
        }
        Ok(Self(out.join("-")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Wang.Li@Example.CN ").unwrap().as_str(),
            "wang.li@example.cn"
        );
        for bad in ["", "a", "a@b", "@b.cn", "a b@c.cn", "a@.cn", "a@b.cn."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("elderly-care").is_ok());
        for bad in ["a", "-a", "a-", "a--b", "Ab", "a_b", "中文"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn language_tags_are_well_formed_and_canonical() {
        for (input, canon) in [
            ("zh", "zh"),
            ("zh-cn", "zh-CN"),
            ("ZH-hans-CN", "zh-Hans-CN"),
            ("en-GB", "en-GB"),
            ("es-419", "es-419"),
            ("de-CH-1901", "de-CH-1901"),
            ("en-US-x-twain", "en-US-x-twain"),
        ] {
            assert_eq!(
                LanguageTag::parse(input).unwrap().as_str(),
                canon,
                "{input}"
            );
        }
        for bad in [
            "",
            "e",
            "english-x",
            "zh_CN",
            "zh-",
            "en-US-x",
            "123",
            "en-GB-x-",
        ] {
            assert!(LanguageTag::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(Text::parse("  Hi ", 10).unwrap().as_str(), "Hi");
        assert!(Text::parse("   ", 10).is_err());
        assert!(Text::parse("abcdef", 5).is_err());
    }
}
