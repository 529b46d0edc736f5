//! What a phone needs to take a course offline at a chosen quality, and the same as one ZIP.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    source::Source,
    store,
    zip::{self, Entry, Segment},
};
use crate::{
    blobs::Sha256Hex,
    context::Context,
    error::{Error, Result},
    media::assets::{self, RenditionRow},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// The lowest video rung (240p): smallest downloads.
    Low,
    /// Up to 540p.
    #[default]
    Medium,
    /// Up to 720p.
    High,
}

impl Quality {
    fn cap(self) -> i64 {
        match self {
            Self::Low => 240,
            Self::Medium => 540,
            Self::High => 720,
        }
    }
}

/// One file of an offline course.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfflineFile {
    pub unit_id: String,
    pub asset_id: String,
    /// `video`, `audio`, `poster`, `captions` or `original`.
    pub role: String,
    pub mime: String,
    pub bytes: i64,
    pub sha256: String,
    /// Where the file sits inside `bundle.zip`.
    pub path: String,
    /// Where to download it (signed when the course is not public).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// The renditions a learner needs for one asset at this quality.
fn pick(renditions: &[RenditionRow], quality: Quality) -> Vec<&RenditionRow> {
    let short = |r: &RenditionRow| r.height.unwrap_or(0).min(r.width.unwrap_or(0));
    let mut video: Vec<&RenditionRow> = renditions.iter().filter(|r| r.role == "video").collect();
    video.sort_by_key(|r| short(r));
    let mut out = Vec::new();
    if !video.is_empty() {
        let best = video
            .iter()
            .rev()
            .find(|r| short(r) <= quality.cap())
            .copied()
            .unwrap_or(video[0]);
        out.push(best);
        out.extend(
            renditions
                .iter()
                .filter(|r| r.role == "poster" || r.role == "captions"),
        );
    } else if let Some(audio) = renditions.iter().find(|r| r.role == "audio") {
        out.push(audio);
    } else {
        out.extend(renditions.iter().filter(|r| r.role == "original"));
    }
    out
}

/// Every file of the course's ready assets, unit by unit, in course order; a unit lent by
/// another course only when its source reaches everyone the course reaches (see
/// [`store::bundle_units`]).
pub async fn files(state: &Context, course_id: &str, quality: Quality) -> Result<Vec<OfflineFile>> {
    let units = store::bundle_units(&state.db, course_id).await?;
    let mut out = Vec::new();
    for (unit_id, asset_id) in units {
        let renditions = assets::renditions(&state.db, &asset_id).await?;
        for r in pick(&renditions, quality) {
            out.push(OfflineFile {
                unit_id: unit_id.clone(),
                asset_id: asset_id.clone(),
                role: r.role.clone(),
                mime: r.mime.clone(),
                bytes: r.bytes,
                sha256: r.sha256.clone(),
                path: format!(
                    "files/{}.{}",
                    r.sha256,
                    super::media_extension(&r.mime).unwrap_or("bin")
                ),
                url: None,
                width: r.width,
                height: r.height,
                language: r.language.clone(),
            });
        }
    }
    Ok(out)
}

/// CRC-32 of a blob: recorded at ingest; computed once and recorded for older blobs.
async fn crc32(state: &Context, source: &Source, sha: &Sha256Hex) -> Result<u32> {
    let meta = source.meta(&state.db, sha).await?.ok_or(Error::NotFound)?;
    if let Some(crc) = meta.meta.crc32 {
        return Ok(crc as u32);
    }
    let bytes = source.read(sha, 0, meta.meta.bytes as u64).await?;
    let crc = crc32fast::hash(&bytes);
    store::record_crc32(&state.db, sha.as_str(), crc).await?;
    Ok(crc)
}

/// The bundle: `manifest.json` and `course.json`, then each file once, stored uncompressed.
/// `source` reads the blobs whose CRC-32 was not recorded at ingest.
pub async fn bundle(
    state: &Context,
    source: &Source,
    manifest: &[u8],
    course: &[u8],
    files: &[OfflineFile],
) -> Result<Vec<Segment>> {
    let mut entries = vec![
        Entry {
            name: "manifest.json".into(),
            crc32: crc32fast::hash(manifest),
            data: Segment::Inline(manifest.to_vec().into()),
        },
        Entry {
            name: "course.json".into(),
            crc32: crc32fast::hash(course),
            data: Segment::Inline(course.to_vec().into()),
        },
    ];
    let mut seen = std::collections::HashSet::new();
    for f in files {
        if !seen.insert(f.path.clone()) {
            continue;
        }
        let sha = Sha256Hex::parse(&f.sha256).ok_or(Error::NotFound)?;
        entries.push(Entry {
            name: f.path.clone(),
            crc32: crc32(state, source, &sha).await?,
            data: Segment::Blob {
                sha256: f.sha256.clone(),
                len: f.bytes as u64,
            },
        });
    }
    Ok(zip::layout(&entries))
}
