//! Courses out as packages: Caravan's own (`caravan.json` and every file by its hash, which
//! another Caravan imports intact), and cmi5 or SCORM 1.2 packages for other LMSs, where each
//! video, audio, document and quiz unit is an AU or SCO: a small page that plays the unit's
//! included files (`web/export/player.js`) and reports completion, score and time.

use std::{collections::BTreeMap, io::Write, path::PathBuf};

use serde_json::{json, Value};

use super::caravan::{self, blob_path};
use crate::{
    blobs::{self, Sha256Hex},
    catalogue::{courses, units::UnitView},
    context::Context,
    error::{Error, Result},
    html::escape,
    lrs::identity,
    media::assets::{self, AssetRow, RenditionRow},
    quizzes::{self, Quiz},
};

const PLAYER_JS: &str = include_str!("../../web/export/player.js");
const PLAYER_CSS: &str = include_str!("../../web/export/player.css");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Caravan,
    Cmi5,
    Scorm12,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "caravan" => Some(Self::Caravan),
            "cmi5" => Some(Self::Cmi5),
            "scorm12" => Some(Self::Scorm12),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Caravan => "caravan",
            Self::Cmi5 => "cmi5",
            Self::Scorm12 => "scorm12",
        }
    }
}

/// A package written to a temporary file, and the name to offer it under.
pub struct Exported {
    pub file: tempfile::NamedTempFile,
    pub filename: String,
}

/// A unit with what exporting it needs.
struct Part {
    unit: UnitView,
    asset: Option<(AssetRow, Vec<RenditionRow>)>,
    quiz: Option<Quiz>,
}

/// What goes into the ZIP: generated text, or a blob by its hash.
enum Entry {
    Text(String),
    Blob(String),
}

pub async fn export(cx: &Context, course_id: &str, format: Format) -> Result<Exported> {
    let course = courses::view(&cx.db, course_id).await?;
    let mut parts = Vec::new();
    for unit in course.units.clone().unwrap_or_default() {
        let asset = match &unit.asset_id {
            Some(id) => match assets::find(&cx.db, id).await? {
                Some(a) => {
                    let renditions = assets::renditions(&cx.db, id).await?;
                    Some((a, renditions))
                }
                None => None,
            },
            None => None,
        };
        let quiz = match unit.kind.as_str() {
            "quiz" => quizzes::load(&cx.db, &unit).await?,
            _ => None,
        };
        parts.push(Part { unit, asset, quiz });
    }
    let entries = match format {
        Format::Caravan => caravan_entries(&course, &parts)?,
        Format::Cmi5 | Format::Scorm12 => {
            player_entries(&cx.settings.public_url, &course, &parts, format)?
        }
    };
    let file = write_zip(cx, entries).await?;
    let slug: String = course
        .title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    Ok(Exported {
        file,
        filename: format!("{}-{}.zip", slug.trim_matches('-'), format.as_str()),
    })
}

fn caravan_entries(course: &courses::CourseView, parts: &[Part]) -> Result<Vec<(String, Entry)>> {
    let mut entries = Vec::new();
    let mut assets = BTreeMap::new();
    let mut units = Vec::new();
    let mut skipped = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if !matches!(
            p.unit.kind.as_str(),
            "video" | "audio" | "document" | "vr" | "quiz"
        ) {
            skipped.push(caravan::Skipped {
                title: p.unit.title.clone(),
                reason: "a package unit: export it from its own package".into(),
            });
            continue;
        }
        let key = p.asset.as_ref().map(|(a, renditions)| {
            let key = format!("a{i}");
            let mut hashes = vec![a.source_sha256.clone()];
            hashes.extend(renditions.iter().map(|r| r.sha256.clone()));
            for sha in hashes {
                entries.push((blob_path(&sha), Entry::Blob(sha)));
            }
            assets.insert(key.clone(), caravan_asset(a, renditions));
            key
        });
        let quiz = p.quiz.as_ref().map(|q| caravan::Quiz {
            pass_mark: q.pass_mark,
            max_attempts: q.max_attempts,
            questions: q
                .questions
                .iter()
                .map(|q| serde_json::to_value(q).unwrap_or_default())
                .collect(),
        });
        units.push(caravan::Unit {
            kind: p.unit.kind.clone(),
            title: p.unit.title.clone(),
            required: p.unit.required,
            asset: key,
            quiz,
        });
    }
    let package = caravan::Package {
        caravan: caravan::VERSION,
        course: caravan::Course {
            title: course.title.clone(),
            summary: course.summary.clone(),
            domain: course.domain.clone(),
            level: course.level,
            language: course.language.clone(),
            target_groups: course.target_groups.clone(),
            tags: course.tags.clone(),
            credit_value: course.credit_value,
            estimated_minutes: course.estimated_minutes,
        },
        units,
        assets,
        skipped,
    };
    let json = serde_json::to_string_pretty(&package).map_err(anyhow::Error::from)?;
    entries.insert(0, (caravan::ROOT.to_owned(), Entry::Text(json)));
    Ok(entries)
}

fn caravan_asset(a: &AssetRow, renditions: &[RenditionRow]) -> caravan::Asset {
    caravan::Asset {
        filename: a.filename.clone(),
        kind: a.kind.clone(),
        mime: a.mime.clone(),
        source_sha256: a.source_sha256.clone(),
        duration_ms: a.duration_ms,
        width: a.width,
        height: a.height,
        spherical: a.spherical,
        renditions: renditions
            .iter()
            .map(|r| caravan::Rendition {
                name: r.name.clone(),
                role: r.role.clone(),
                sha256: r.sha256.clone(),
                bytes: r.bytes,
                mime: r.mime.clone(),
                width: r.width,
                height: r.height,
                bitrate: r.bitrate,
                codecs: r.codecs.clone(),
                language: r.language.clone(),
                label: r.label.clone(),
                fragments: r.fragments.clone(),
            })
            .collect(),
    }
}

/// A media file's path in a player package, from the unit page's folder.
fn media_path(sha: &str, mime: &str) -> String {
    let ext = match mime.split(';').next().unwrap_or("").trim() {
        "video/mp4" => "mp4",
        "audio/mp4" => "m4a",
        "audio/mpeg" => "mp3",
        "video/webm" => "webm",
        "text/vtt" => "vtt",
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "bin",
    };
    format!("media/{sha}.{ext}")
}

/// The unit's page data for the player, and the media files it names.
fn unit_data(p: &Part, language: &str, standard: &str) -> Option<(Value, Vec<(String, String)>)> {
    let mut files = Vec::new();
    let mut link = |sha: &str, mime: &str| {
        let path = media_path(sha, mime);
        files.push((path.clone(), sha.to_owned()));
        format!("../../{path}")
    };
    let mut data = json!({
        "standard": standard,
        "kind": p.unit.kind,
        "title": p.unit.title,
        "language": language,
    });
    match (p.unit.kind.as_str(), &p.asset, &p.quiz) {
        ("video" | "audio", Some((_, renditions)), _) => {
            let role = p.unit.kind.as_str();
            let media: Vec<Value> = renditions
                .iter()
                .filter(|r| r.role == role)
                .map(|r| {
                    json!({"src": link(&r.sha256, &r.mime), "type": r.mime.split(';').next().unwrap_or(""),
                        "width": r.width, "height": r.height,
                        "label": r.height.map(|h| format!("{h}p")).unwrap_or_else(|| r.name.clone())})
                })
                .collect();
            let captions: Vec<Value> = renditions
                .iter()
                .filter(|r| r.role == "captions")
                .map(|r| {
                    json!({"src": link(&r.sha256, &r.mime), "srclang": r.language,
                        "label": r.label.clone().or_else(|| r.language.clone()).unwrap_or_default()})
                })
                .collect();
            data["media"] = json!(media);
            data["captions"] = json!(captions);
        }
        ("document", Some((a, _)), _) => {
            data["document"] = json!({"src": link(&a.source_sha256, &a.mime), "type": a.mime,
                "filename": a.filename});
        }
        ("quiz", _, Some(q)) => {
            data["quiz"] = json!({"pass_mark": q.pass_mark, "questions": q.questions});
        }
        _ => return None,
    }
    Some((data, files))
}

fn unit_page(title: &str, language: &str, data: &Value) -> String {
    let data = data.to_string().replace('<', "\\u003c");
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"../../player/player.css\"></head>\
         <body><main><h1>{title}</h1><div id=\"unit\"></div>\
         <p id=\"status\" role=\"status\" aria-live=\"polite\"></p></main>\
         <script type=\"application/json\" id=\"unit-data\">{data}</script>\
         <script src=\"../../player/player.js\"></script></body></html>",
        lang = escape(language),
        title = escape(title),
    )
}

fn player_entries(
    public_url: &str,
    course: &courses::CourseView,
    parts: &[Part],
    format: Format,
) -> Result<Vec<(String, Entry)>> {
    let standard = format.as_str();
    let mut entries = vec![
        ("player/player.js".to_owned(), Entry::Text(PLAYER_JS.into())),
        (
            "player/player.css".to_owned(),
            Entry::Text(PLAYER_CSS.into()),
        ),
    ];
    let mut items = String::new();
    let mut resources = String::new();
    let mut aus = String::new();
    let lang = escape(&course.language);
    for (i, p) in parts.iter().enumerate() {
        let Some((data, files)) = unit_data(p, &course.language, standard) else {
            continue;
        };
        let n = i + 1;
        let page = format!("units/{n}/index.html");
        entries.push((
            page.clone(),
            Entry::Text(unit_page(&p.unit.title, &course.language, &data)),
        ));
        let mut file_list = format!(
            "<file href=\"{page}\"/><file href=\"player/player.js\"/><file href=\"player/player.css\"/>"
        );
        for (path, sha) in files {
            file_list.push_str(&format!("<file href=\"{path}\"/>"));
            entries.push((path, Entry::Blob(sha)));
        }
        let title = escape(&p.unit.title);
        let mastery = p.quiz.as_ref().map(|q| q.pass_mark);
        match format {
            Format::Scorm12 => {
                let mastery = mastery
                    .map(|m| format!("<adlcp:masteryscore>{m}</adlcp:masteryscore>"))
                    .unwrap_or_default();
                items.push_str(&format!(
                    "<item identifier=\"unit-{n}\" identifierref=\"res-{n}\"><title>{title}</title>{mastery}</item>"
                ));
                resources.push_str(&format!(
                    "<resource identifier=\"res-{n}\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"{page}\">{file_list}</resource>"
                ));
            }
            _ => {
                let (move_on, score) = match mastery {
                    Some(m) => ("Passed", format!(" masteryScore=\"{}\"", m as f64 / 100.0)),
                    None => ("Completed", String::new()),
                };
                aus.push_str(&format!(
                    "<au id=\"{}\" moveOn=\"{move_on}\"{score}><title><langstring lang=\"{lang}\">{title}</langstring></title>\
                     <description><langstring lang=\"{lang}\">{title}</langstring></description><url>{page}</url></au>",
                    escape(&identity::unit_activity(public_url, &p.unit.id)),
                ));
            }
        }
    }
    if items.is_empty() && aus.is_empty() {
        return Err(Error::Refused {
            code: "nothing-to-export",
            detail: "This course has no video, audio, document or quiz unit to export.".into(),
        });
    }
    let title = escape(&course.title);
    let root = match format {
        Format::Scorm12 => (
            "imsmanifest.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest identifier=\"caravan-{id}\" version=\"1\" \
                 xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\" \
                 xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\">\
                 <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>\
                 <organizations default=\"course\"><organization identifier=\"course\"><title>{title}</title>{items}</organization></organizations>\
                 <resources>{resources}</resources></manifest>\n",
                id = escape(&course.id),
            ),
        ),
        _ => (
            "cmi5.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<courseStructure xmlns=\"https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd\">\
                 <course id=\"{id}\"><title><langstring lang=\"{lang}\">{title}</langstring></title>\
                 <description><langstring lang=\"{lang}\">{summary}</langstring></description></course>{aus}</courseStructure>\n",
                id = escape(&identity::course_activity(public_url, &course.id)),
                summary = escape(&course.summary),
            ),
        ),
    };
    entries.insert(0, (root.0.to_owned(), Entry::Text(root.1)));
    Ok(entries)
}

/// Fetches the blobs and writes the ZIP (each path once) to a temporary file.
async fn write_zip(cx: &Context, entries: Vec<(String, Entry)>) -> Result<tempfile::NamedTempFile> {
    let dir = tempfile::tempdir().map_err(anyhow::Error::from)?;
    let mut seen = std::collections::HashSet::new();
    let mut files: Vec<(String, Result<String, PathBuf>)> = Vec::new();
    for (name, entry) in entries {
        if !seen.insert(name.clone()) {
            continue;
        }
        match entry {
            Entry::Text(text) => files.push((name, Ok(text))),
            Entry::Blob(sha) => {
                let sha = Sha256Hex::parse(&sha)
                    .ok_or_else(|| anyhow::anyhow!("a stored hash is not one: {sha}"))?;
                let path = dir.path().join(sha.as_str());
                if !path.exists() {
                    blobs::download(&cx.store, &blobs::key(&sha), &path).await?;
                }
                files.push((name, Err(path)));
            }
        }
    }
    let out = tempfile::NamedTempFile::new().map_err(anyhow::Error::from)?;
    let target = out.reopen().map_err(anyhow::Error::from)?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(target));
        for (name, file) in files {
            // Media is compressed already: stored as it is; the generated text is deflated.
            let method = match &file {
                Ok(_) => zip::CompressionMethod::Deflated,
                Err(_) => zip::CompressionMethod::Stored,
            };
            let large = match &file {
                Ok(text) => text.len() as u64 >= u32::MAX as u64,
                Err(path) => std::fs::metadata(path)?.len() >= u32::MAX as u64,
            };
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .large_file(large);
            zip.start_file(name, options)?;
            match file {
                Ok(text) => zip.write_all(text.as_bytes())?,
                Err(path) => {
                    std::io::copy(&mut std::fs::File::open(path)?, &mut zip)?;
                }
            }
        }
        zip.finish()?.flush()?;
        Ok(())
    })
    .await
    .map_err(anyhow::Error::from)??;
    drop(dir);
    Ok(out)
}
