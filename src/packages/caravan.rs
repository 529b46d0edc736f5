//! Caravan's own course package: `caravan.json` (the course, its units in order, their quizzes,
//! and each asset with its renditions by hash) and every file as `blobs/{sha256}`. Another
//! Caravan imports it with everything intact: the same bytes, so the same ladder, captions,
//! posters and storyboards, with no processing job.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
};

use serde::{Deserialize, Serialize};

use super::import::{invalid, Imported, NewPackageUnit, Written};
use crate::{
    accounts::User,
    blobs::{self, Sha256Hex},
    context::Context,
    error::Result,
    media::{assets, AssetKind},
    quizzes::{self, QuizInput},
};

/// The name of the root file.
pub const ROOT: &str = "caravan.json";
/// The format's version in `caravan.json`.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// The format's version, [`VERSION`].
    pub caravan: u32,
    pub course: Course,
    pub units: Vec<Unit>,
    /// By a key the units name.
    pub assets: BTreeMap<String, Asset>,
    /// Units the package leaves out, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    pub title: String,
    pub summary: String,
    pub domain: String,
    pub level: i64,
    pub language: String,
    pub target_groups: Vec<String>,
    pub tags: Vec<String>,
    pub credit_value: f64,
    pub estimated_minutes: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub kind: String,
    pub title: String,
    pub required: bool,
    pub asset: Option<String>,
    pub quiz: Option<Quiz>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    pub pass_mark: i64,
    pub max_attempts: Option<i64>,
    /// As Caravan stores them: `{kind, prompt, choices?, answer}`.
    pub questions: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    pub filename: String,
    pub kind: String,
    pub mime: String,
    pub source_sha256: String,
    pub duration_ms: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub spherical: bool,
    pub renditions: Vec<Rendition>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rendition {
    pub name: String,
    pub role: String,
    pub sha256: String,
    pub bytes: i64,
    pub mime: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub bitrate: Option<i64>,
    pub codecs: Option<String>,
    pub language: Option<String>,
    pub label: Option<String>,
    pub fragments: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skipped {
    pub title: String,
    pub reason: String,
}

/// Where a blob lives in the package.
pub fn blob_path(sha: &str) -> String {
    format!("blobs/{sha}")
}

impl Package {
    /// Reads and checks `caravan.json` against the ZIP's file names: every hash the package
    /// names must be one of its files, and every unit's asset one of its assets.
    pub fn parse(json: &[u8], files: &HashSet<String>) -> Result<Self> {
        let p: Package = serde_json::from_slice(json)
            .map_err(|e| invalid(format!("caravan.json does not read ({e}).")))?;
        let mut problems = Vec::new();
        if p.caravan != VERSION {
            problems.push(format!(
                "caravan.json is version {}, this server reads {VERSION}",
                p.caravan
            ));
        }
        for (key, a) in &p.assets {
            if AssetKind::parse(&a.kind).is_none() {
                problems.push(format!("asset \"{key}\": unknown kind \"{}\"", a.kind));
            }
            let hashes =
                std::iter::once(&a.source_sha256).chain(a.renditions.iter().map(|r| &r.sha256));
            for sha in hashes {
                if Sha256Hex::parse(sha).is_none() || !files.contains(&blob_path(sha)) {
                    problems.push(format!(
                        "asset \"{key}\": {sha} is not a file of the package"
                    ));
                }
            }
        }
        for (i, u) in p.units.iter().enumerate() {
            let n = i + 1;
            if !matches!(
                u.kind.as_str(),
                "video" | "audio" | "document" | "vr" | "quiz"
            ) {
                problems.push(format!("unit {n}: kind \"{}\" cannot be imported", u.kind));
            }
            if let Some(key) = &u.asset {
                if !p.assets.contains_key(key) {
                    problems.push(format!("unit {n}: no asset \"{key}\""));
                }
            }
        }
        if problems.is_empty() {
            Ok(p)
        } else {
            Err(invalid(problems.join("; ")))
        }
    }
}

/// Writes the package's assets, units and quizzes into the course `written` names; `files` are
/// the unpacked files by their paths in the package.
pub(super) async fn write_import(
    cx: &Context,
    user: &User,
    org_id: &str,
    package: &Package,
    files: &HashMap<String, PathBuf>,
    written: &mut Written,
) -> Result<Imported> {
    // Every quiz is checked before anything is written.
    let mut parsed = Vec::new();
    for (i, u) in package.units.iter().enumerate() {
        let quiz = match &u.quiz {
            Some(q) => {
                let input: QuizInput = serde_json::from_value(serde_json::json!({
                    "pass_mark": q.pass_mark, "max_attempts": q.max_attempts, "questions": q.questions,
                }))
                .map_err(|e| invalid(format!("unit {}: the quiz does not read ({e})", i + 1)))?;
                Some(input.parse()?)
            }
            None => None,
        };
        parsed.push(quiz);
    }
    let mut asset_ids = HashMap::new();
    for (key, a) in &package.assets {
        let id = restore_asset(cx, user, org_id, a, files, written).await?;
        asset_ids.insert(key.as_str(), id);
    }
    let course_id = written.course_id().to_owned();
    let mut imported = Vec::new();
    for (u, quiz) in package.units.iter().zip(parsed) {
        let asset_id = u.asset.as_deref().and_then(|k| asset_ids.get(k));
        let unit = NewPackageUnit {
            kind: &u.kind,
            title: &u.title,
            required: u.required,
            asset_id: asset_id.map(String::as_str),
            id_in_package: "",
        };
        let unit = written.add_unit(cx, unit).await?;
        if let Some(quiz) = quiz {
            quizzes::save(&cx.db, &unit.id, &quiz, user).await?;
        }
        imported.push(unit);
    }
    Ok(Imported {
        course_id,
        package_id: String::new(),
        format: "caravan".into(),
        units: imported,
    })
}

/// Stores an asset's blobs, checking each against its hash, and the asset as it was: ready, with
/// its facts and renditions.
async fn restore_asset(
    cx: &Context,
    user: &User,
    org_id: &str,
    a: &Asset,
    files: &HashMap<String, PathBuf>,
    written: &mut Written,
) -> Result<String> {
    let put = |sha: String, mime: String| async move {
        let path = files
            .get(&blob_path(&sha))
            .ok_or_else(|| invalid(format!("{sha} is not a file of the package")))?;
        let (got, bytes) = blobs::put_file(&cx.store, &cx.db, path, &mime).await?;
        if got.as_str() != sha {
            return Err(invalid(format!("blobs/{sha} does not have that hash")));
        }
        Ok::<_, crate::error::Error>((got, bytes))
    };
    let (source, _) = put(a.source_sha256.clone(), a.mime.clone()).await?;
    let kind = AssetKind::parse(&a.kind).ok_or_else(|| invalid("an unknown asset kind"))?;
    let id = assets::create_ready(
        &cx.db,
        assets::NewAsset {
            org_id,
            user_id: &user.id,
            filename: &a.filename,
            sha: &source,
            kind,
            mime: &a.mime,
            unit_id: None,
            upload_id: None,
        },
    )
    .await?;
    written.assets.push(id.clone());
    assets::restore_facts(
        &cx.db,
        &id,
        assets::Facts {
            duration_ms: a.duration_ms,
            width: a.width,
            height: a.height,
            spherical: a.spherical,
        },
    )
    .await?;
    for r in &a.renditions {
        let (sha, bytes) = put(r.sha256.clone(), r.mime.clone()).await?;
        let rendition = assets::NewRendition {
            name: &r.name,
            role: &r.role,
            sha256: &sha,
            bytes,
            mime: &r.mime,
            width: r.width,
            height: r.height,
            bitrate: r.bitrate,
            codecs: r.codecs.as_deref(),
            language: r.language.as_deref(),
            label: r.label.as_deref(),
            fragments: r.fragments.clone(),
        };
        assets::put_rendition(&cx.db.pool, &id, rendition).await?;
    }
    Ok(id)
}
