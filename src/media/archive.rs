//! ZIP archives are checked at ingest from their central directory alone (nothing is unpacked):
//! entry names that would escape a folder (zip slip), and sizes or compression ratios that
//! betray a zip bomb, are refused before any later step could extract them.

use std::io::{Read, Seek};

/// Limits for one archive.
pub struct Limits {
    pub max_entries: usize,
    pub max_total_bytes: u64,
    /// Uncompressed ÷ compressed size of any entry.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_total_bytes: 8 << 30,
            max_ratio: 200,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub detail: String,
}

fn reject(code: &'static str, detail: impl Into<String>) -> Rejection {
    Rejection {
        code,
        detail: detail.into(),
    }
}

/// A name that stays inside the folder it is extracted to.
fn safe_name(name: &str) -> bool {
    let drive_letter = name.len() > 1 && name.as_bytes()[1] == b':';
    let escapes = name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || drive_letter
        || name.split('/').any(|part| part == "..");
    !escapes
}

/// The archive's entry count and uncompressed size, or why it is refused.
pub fn inspect<R: Read + Seek>(reader: R, limits: &Limits) -> Result<(usize, u64), Rejection> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| {
        reject(
            "archive-invalid",
            format!("This ZIP file cannot be read ({e}); it may be damaged or cut off."),
        )
    })?;
    if archive.len() > limits.max_entries {
        return Err(reject(
            "archive-too-large",
            format!(
                "This ZIP has {} files; at most {} are accepted.",
                archive.len(),
                limits.max_entries
            ),
        ));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| {
            reject(
                "archive-invalid",
                format!("Entry {i} of this ZIP cannot be read ({e})."),
            )
        })?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if !safe_name(&name) {
            return Err(reject(
                "archive-unsafe",
                format!(
                    "The ZIP entry \"{name}\" would be written outside its folder; it is refused."
                ),
            ));
        }
        let (size, packed) = (entry.size(), entry.compressed_size());
        if packed > 0 && size / packed > limits.max_ratio {
            return Err(reject(
                "archive-too-large",
                format!("The ZIP entry \"{name}\" expands {}-fold; files that inflate like this (zip bombs) are refused.", size / packed),
            ));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(reject(
                "archive-too-large",
                format!(
                    "This ZIP unpacks to more than {} bytes.",
                    limits.max_total_bytes
                ),
            ));
        }
    }
    Ok((archive.len(), total))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    fn build(entries: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(
                *name,
                SimpleFileOptions::default().compression_method(method),
            )
            .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_course_package_passes() {
        let zip = build(
            &[
                ("imsmanifest.xml", b"<manifest/>".to_vec()),
                ("res/index.html", b"<p>hi</p>".to_vec()),
            ],
            zip::CompressionMethod::Deflated,
        );
        assert_eq!(inspect(Cursor::new(zip), &Limits::default()).unwrap().0, 2);
    }

    #[test]
    fn zip_slip_names_are_refused() {
        for bad in [
            "../../etc/passwd",
            "/etc/passwd",
            "a/../../b",
            "C:/windows/x",
            "a\\..\\b",
        ] {
            let zip = build(&[(bad, b"x".to_vec())], zip::CompressionMethod::Stored);
            assert_eq!(
                inspect(Cursor::new(zip), &Limits::default())
                    .unwrap_err()
                    .code,
                "archive-unsafe",
                "{bad}"
            );
        }
    }

    #[test]
    fn zip_bombs_are_refused_without_inflating_them() {
        let zip = build(
            &[("zeros.bin", vec![0u8; 4 << 20])],
            zip::CompressionMethod::Deflated,
        );
        assert!(zip.len() < 64 << 10);
        let err = inspect(Cursor::new(zip), &Limits::default()).unwrap_err();
        assert_eq!(err.code, "archive-too-large");
        assert!(err.detail.contains("zip bomb"), "{}", err.detail);
        let many: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("f{i}"), vec![1])).collect();
        let refs: Vec<(&str, Vec<u8>)> =
            many.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        let zip = build(&refs, zip::CompressionMethod::Stored);
        let limits = Limits {
            max_entries: 10,
            ..Limits::default()
        };
        assert_eq!(
            inspect(Cursor::new(zip), &limits).unwrap_err().code,
            "archive-too-large"
        );
    }

    #[test]
    fn damaged_archives_are_invalid() {
        let zip = build(
            &[("a.txt", b"hello".to_vec())],
            zip::CompressionMethod::Stored,
        );
        let cut = zip[..zip.len() - 10].to_vec();
        assert_eq!(
            inspect(Cursor::new(cut), &Limits::default())
                .unwrap_err()
                .code,
            "archive-invalid"
        );
        assert_eq!(
            inspect(
                Cursor::new(b"PK\x03\x04garbage".to_vec()),
                &Limits::default()
            )
            .unwrap_err()
            .code,
            "archive-invalid"
        );
    }
}
