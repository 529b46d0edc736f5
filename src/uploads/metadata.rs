//! tus `Upload-Metadata`, the key-value pairs a client sends when it creates an upload.

/// Parses tus `Upload-Metadata`: comma-separated `key base64value` pairs.
pub fn parse_metadata(header: &str) -> Result<Vec<(String, String)>, &'static str> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let mut out = Vec::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = pair.splitn(2, ' ');
        let key = it.next().unwrap_or_default();
        if key.is_empty() || !key.is_ascii() || key.contains(' ') {
            return Err("Upload-Metadata keys must be non-empty ASCII without spaces");
        }
        let value = match it.next().map(str::trim) {
            Some(v) if !v.is_empty() => {
                let bytes = STANDARD
                    .decode(v)
                    .map_err(|_| "Upload-Metadata values must be base64")?;
                String::from_utf8(bytes).map_err(|_| "Upload-Metadata values must be UTF-8")?
            }
            _ => String::new(),
        };
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_parses_tus_pairs() {
        let m = super::parse_metadata("filename bGVjdHVyZS5tcDQ=,is_confidential, unit_id MTIz")
            .unwrap();
        assert_eq!(
            m,
            vec![
                ("filename".into(), "lecture.mp4".into()),
                ("is_confidential".into(), String::new()),
                ("unit_id".into(), "123".into()),
            ]
        );
        assert!(super::parse_metadata("filename !!!").is_err());
    }
}
