//! Importing a package as a course's units: a cmi5 course (a ZIP with `cmi5.xml` at its root,
//! or a bare `cmi5.xml` whose AUs are remote), or a SCORM 1.2 or 2004 package (a ZIP with
//! `imsmanifest.xml` at its root, whose items are served from the ZIP).
//!
//! Everything is checked before anything is written: the archive's central directory (zip
//! slip, zip bombs), the course structure, and every AU's URL (a relative one must be a file of
//! the ZIP; an absolute one must be http or https). If a later step fails, what was written is
//! deleted again, so a refused package leaves nothing behind.

use std::{
    collections::HashSet,
    io::Read,
    path::{Path, PathBuf},
};

use super::{
    caravan,
    cmi5::structure::{self, Node},
    mime_for,
    scorm::{self, manifest},
    store,
};
use crate::{
    accounts::User,
    blobs,
    catalogue::{courses, input, units},
    context::Context,
    db::time::now_ms,
    error::{Error, Result},
    media::{archive, assets, package},
    values::Text,
};

/// What the request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Zip,
    Xml,
}

/// Where the package's units go.
pub enum Into<'a> {
    /// A new draft course of the organisation, with these optional fields.
    NewCourse {
        domain: Option<String>,
        level: Option<i64>,
    },
    /// The end of an existing course of the organisation.
    Course(&'a str),
}

/// One unit made from an AU.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ImportedUnit {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// The AU's id in `cmi5.xml`, or the item's identifier in `imsmanifest.xml`.
    pub au_id: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub course_id: String,
    pub package_id: String,
    /// `cmi5`, `scorm-1.2` or `scorm-2004-2`, `-3`, `-4` (the edition).
    pub format: String,
    pub units: Vec<ImportedUnit>,
}

/// The role of a package's files among its asset's renditions.
pub const PACKAGE_FILE: &str = "package-file";

/// Largest `cmi5.xml` or `imsmanifest.xml` read.
const MAX_STRUCTURE_BYTES: u64 = 8 << 20;

pub(super) fn invalid(detail: impl std::fmt::Display) -> Error {
    Error::bad_request(
        "package-invalid",
        format!("This package cannot be imported: {detail}"),
    )
}

/// Imports the package in `file` for `org_id`.
pub async fn import(
    cx: &Context,
    user: &User,
    org_id: &str,
    file: &Path,
    body: Body,
    into: Into<'_>,
) -> Result<Imported> {
    let (found, names, needed) = read(file, body).await?;
    within_quota(cx, org_id, needed).await?;
    let plan = match found {
        Found::Cmi5(xml) => {
            let course = structure::parse(&xml).map_err(|p| invalid(p.join("; ")))?;
            check_urls(&course, names.as_ref())?;
            Plan::Cmi5(course)
        }
        Found::Scorm(xml) => {
            let files = names.unwrap_or_default();
            Plan::Scorm(manifest::parse(&xml, &files).map_err(|p| invalid(p.join("; ")))?)
        }
        Found::Caravan(json) => {
            Plan::Caravan(caravan::Package::parse(&json, &names.unwrap_or_default())?)
        }
    };
    let mut fields = match &plan {
        Plan::Cmi5(c) => input::CourseFields {
            title: Some(c.title.clone()),
            summary: Some(c.description.clone()),
            language: c.language.clone(),
            ..Default::default()
        },
        Plan::Scorm(m) => input::CourseFields {
            title: Some(m.title.clone()),
            ..Default::default()
        },
        Plan::Caravan(p) => input::CourseFields {
            title: Some(p.course.title.clone()),
            summary: Some(p.course.summary.clone()),
            domain: Some(p.course.domain.clone()),
            level: Some(p.course.level),
            language: Some(p.course.language.clone()),
            target_groups: Some(p.course.target_groups.clone()),
            tags: Some(p.course.tags.clone()),
            credit_value: Some(p.course.credit_value),
            estimated_minutes: Some(p.course.estimated_minutes),
            ..Default::default()
        },
    };
    let target = match into {
        Into::Course(id) => {
            let row = courses::row(&cx.db, id).await?;
            if row.org_id != org_id {
                return Err(Error::field(
                    "course_id",
                    "must be a course of this organisation",
                ));
            }
            Target::Existing(id.to_owned())
        }
        Into::NewCourse { domain, level } => {
            fields.domain = domain
                .or(fields.domain)
                .or_else(|| Some("employment-skills".to_owned()));
            fields.level = level.or(fields.level).or(Some(1));
            fields.language = fields.language.or_else(|| Some("en".to_owned()));
            let parsed = input::parse(&cx.db, fields, true).await?;
            Target::Created(courses::create(&cx.db, org_id, &user.id, parsed).await?)
        }
    };
    let mut written = Written {
        target,
        assets: Vec::new(),
        units: Vec::new(),
    };
    let result = match &plan {
        Plan::Cmi5(course) => {
            let zipped = matches!(body, Body::Zip);
            write(cx, user, org_id, file, zipped, course, &mut written).await
        }
        Plan::Scorm(manifest) => {
            match store_files(cx, user, org_id, file, "scorm-package.zip").await {
                Ok(asset) => {
                    written.assets.push(asset.clone());
                    scorm::write_import(cx, manifest, &asset, &mut written).await
                }
                Err(e) => Err(e),
            }
        }
        Plan::Caravan(package) => match unpack(file).await {
            Ok((_dir, files)) => {
                caravan::write_import(cx, user, org_id, package, &files, &mut written).await
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(imported) => Ok(imported),
        Err(e) => {
            written.take_back(cx).await;
            Err(e)
        }
    }
}

/// What the package's root file says to import.
enum Plan {
    Cmi5(structure::Course),
    Scorm(manifest::Manifest),
    Caravan(caravan::Package),
}

/// The root file a package brought.
enum Found {
    Cmi5(Vec<u8>),
    Scorm(Vec<u8>),
    Caravan(Vec<u8>),
}

enum Target {
    Created(String),
    Existing(String),
}

impl Target {
    fn id(&self) -> &str {
        match self {
            Target::Created(id) | Target::Existing(id) => id,
        }
    }
}

/// What an import has written so far, to delete if it fails.
pub(super) struct Written {
    target: Target,
    pub(super) assets: Vec<String>,
    pub(super) units: Vec<String>,
}

/// A unit an import adds.
pub(super) struct NewPackageUnit<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub required: bool,
    pub asset_id: Option<&'a str>,
    /// The AU's or item's id in the package (empty for a Caravan package).
    pub id_in_package: &'a str,
}

impl Written {
    pub(super) fn course_id(&self) -> &str {
        self.target.id()
    }

    /// Adds a unit at the end of the course, remembered to take back if the import fails.
    pub(super) async fn add_unit(
        &mut self,
        cx: &Context,
        u: NewPackageUnit<'_>,
    ) -> Result<ImportedUnit> {
        let name = if u.id_in_package.is_empty() {
            u.title
        } else {
            u.id_in_package
        };
        let title = Text::parse(u.title, 200)
            .map_err(|e| invalid(format!("unit \"{name}\": title {e}")))?;
        let unit = units::add(
            &cx.db,
            self.target.id(),
            units::NewUnit {
                kind: u.kind,
                title: &title,
                required: u.required,
                source_unit_id: None,
                asset_id: u.asset_id,
            },
        )
        .await?;
        self.units.push(unit.id.clone());
        Ok(ImportedUnit {
            id: unit.id,
            kind: u.kind.into(),
            title: u.title.into(),
            au_id: u.id_in_package.into(),
        })
    }

    async fn take_back(&self, cx: &Context) {
        let result = async {
            match &self.target {
                Target::Created(course) => courses::delete(&cx.db, course).await?,
                Target::Existing(course) => {
                    for unit in &self.units {
                        units::delete(&cx.db, course, unit).await?;
                    }
                }
            }
            for asset in &self.assets {
                assets::delete(&cx.db, asset).await?;
            }
            Ok::<_, Error>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(error = ?e, "taking back a failed package import failed");
        }
    }
}

async fn write(
    cx: &Context,
    user: &User,
    org_id: &str,
    file: &Path,
    zipped: bool,
    course: &structure::Course,
    written: &mut Written,
) -> Result<Imported> {
    let course_id = written.target.id().to_owned();
    let asset = match zipped {
        true => Some(store_files(cx, user, org_id, file, "cmi5-package.zip").await?),
        false => None,
    };
    written.assets.extend(asset.clone());
    let package_id = uuid::Uuid::now_v7().to_string();
    let mut blocks = Vec::new();
    let mut aus = Vec::new();
    flatten(&course.children, None, &mut blocks, &mut aus);
    let mut imported = Vec::new();
    for (au, _) in &aus {
        let unit = NewPackageUnit {
            kind: "package",
            title: &au.title,
            required: true,
            asset_id: asset.as_deref(),
            id_in_package: &au.id,
        };
        imported.push(written.add_unit(cx, unit).await?);
    }
    let mut tx = cx.db.pool.begin().await?;
    store::insert_package(
        &mut tx,
        store::NewPackage {
            id: &package_id,
            course_id: &course_id,
            asset_id: asset.as_deref(),
            publisher_id: &course.id,
            title: &course.title,
            now: now_ms(),
        },
    )
    .await?;
    for (position, (block, parent)) in blocks.iter().enumerate() {
        store::insert_block(
            &mut tx,
            &package_id,
            position as i64,
            *parent,
            &block.id,
            &block.title,
        )
        .await?;
    }
    for ((au, block), unit) in aus.iter().zip(&imported) {
        store::insert_au(
            &mut tx,
            store::NewAu {
                unit_id: &unit.id,
                package_id: &package_id,
                block: *block,
                publisher_id: &au.id,
                url: &au.url,
                in_package: !is_absolute(&au.url),
                move_on: au.move_on.as_str(),
                mastery_score: au.mastery_score,
                launch_method: au.launch_method.as_str(),
                launch_parameters: au.launch_parameters.as_deref(),
                entitlement_key: au.entitlement_key.as_deref(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Imported {
        course_id,
        package_id,
        format: "cmi5".into(),
        units: imported,
    })
}

/// Blocks in document order with their parent's position, and AUs with their block's.
fn flatten<'a>(
    nodes: &'a [Node],
    parent: Option<i64>,
    blocks: &mut Vec<(&'a structure::Block, Option<i64>)>,
    aus: &mut Vec<(&'a structure::Au, Option<i64>)>,
) {
    for node in nodes {
        match node {
            Node::Au(au) => aus.push((au, parent)),
            Node::Block(block) => {
                let position = blocks.len() as i64;
                blocks.push((block, parent));
                flatten(&block.children, Some(position), blocks, aus);
            }
        }
    }
}

/// The ZIP as an asset whose renditions are its files, by their paths in the package.
async fn store_files(
    cx: &Context,
    user: &User,
    org_id: &str,
    file: &Path,
    filename: &str,
) -> Result<String> {
    let (sha, _) = blobs::put_file(&cx.store, &cx.db, file, "application/zip").await?;
    let asset = assets::create_ready(
        &cx.db,
        assets::NewAsset {
            org_id,
            user_id: &user.id,
            filename,
            sha: &sha,
            kind: crate::media::AssetKind::Archive,
            mime: "application/zip",
            unit_id: None,
            upload_id: None,
        },
    )
    .await?;
    let result = async {
        let (_dir, files) = unpack(file).await?;
        for (name, path) in &files {
            let mime = mime_for(name);
            let (sha, bytes) = blobs::put_file(&cx.store, &cx.db, path, mime).await?;
            let rendition = assets::NewRendition::file(name, PACKAGE_FILE, &sha, bytes, mime);
            assets::put_rendition(&cx.db.pool, &asset, rendition).await?;
        }
        Ok::<_, Error>(())
    }
    .await;
    match result {
        Ok(()) => Ok(asset),
        Err(e) => {
            let _ = assets::delete(&cx.db, &asset).await;
            Err(e)
        }
    }
}

/// Refuses a package that would take the organisation past its storage quota.
async fn within_quota(cx: &Context, org_id: &str, needed: u64) -> Result<()> {
    let Some(quota) = cx.settings.org_quota_bytes else {
        return Ok(());
    };
    let used = blobs::org_usage(&cx.db, org_id).await?;
    if used + needed > quota {
        return Err(Error::TooLarge {
            code: "quota-exceeded",
            detail: format!(
                "Stored, this package needs up to {needed} bytes; your organisation has {} of its \
                 {quota} bytes left.",
                quota.saturating_sub(used)
            ),
        });
    }
    Ok(())
}

/// Unpacks the (inspected) ZIP into a temporary folder: its files by their paths in the package.
async fn unpack(
    file: &Path,
) -> Result<(
    tempfile::TempDir,
    std::collections::HashMap<String, PathBuf>,
)> {
    let dir = tempfile::tempdir().map_err(anyhow::Error::from)?;
    let (zip, to) = (file.to_owned(), dir.path().to_owned());
    let files = tokio::task::spawn_blocking(move || package::unpack(&zip, &to))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(|r| invalid(r.detail))?;
    Ok((dir, files.into_iter().collect()))
}

/// The root file's XML and, for a ZIP, the names of its files.
async fn read(file: &Path, body: Body) -> Result<(Found, Option<HashSet<String>>, u64)> {
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || -> Result<_> {
        let mut f = std::fs::File::open(&file).map_err(anyhow::Error::from)?;
        let mut head = [0u8; 4];
        let n = f.read(&mut head).map_err(anyhow::Error::from)?;
        let is_zip = head[..n].starts_with(b"PK");
        match (body, is_zip) {
            (Body::Xml, _) => {
                let mut xml = Vec::new();
                std::fs::File::open(&file)
                    .and_then(|f| f.take(MAX_STRUCTURE_BYTES + 1).read_to_end(&mut xml))
                    .map_err(anyhow::Error::from)?;
                if xml.len() as u64 > MAX_STRUCTURE_BYTES {
                    return Err(invalid("cmi5.xml is larger than 8 MiB."));
                }
                Ok((Found::Cmi5(xml), None, 0))
            }
            (Body::Zip, false) => Err(invalid("the body is not a ZIP file.")),
            (Body::Zip, true) => read_zip(&file),
        }
    })
    .await
    .map_err(anyhow::Error::from)?
}

/// The root file, the names of the ZIP's files, and the bytes storing it takes at most (the ZIP
/// and its files unpacked).
fn read_zip(file: &Path) -> Result<(Found, Option<HashSet<String>>, u64)> {
    let open = || std::fs::File::open(file).map_err(anyhow::Error::from);
    let limits = archive::Limits {
        max_total_bytes: 4 << 30,
        ..Default::default()
    };
    let (_, unpacked) = archive::inspect(open()?, &limits).map_err(|r| invalid(r.detail))?;
    let zipped = open()?.metadata().map_err(anyhow::Error::from)?.len();
    let mut zip = zip::ZipArchive::new(open()?).map_err(invalid)?;
    let names: HashSet<String> = zip
        .file_names()
        .filter(|n| !n.ends_with('/'))
        .map(str::to_owned)
        .collect();
    let root = ["cmi5.xml", "imsmanifest.xml", caravan::ROOT]
        .into_iter()
        .find(|root| names.contains(*root))
        .ok_or_else(|| {
            invalid(
                "the ZIP has no cmi5.xml (cmi5), imsmanifest.xml (SCORM) or caravan.json \
                 (a Caravan course) at its root.",
            )
        })?;
    let mut entry = zip.by_name(root).map_err(invalid)?;
    if entry.size() > MAX_STRUCTURE_BYTES {
        return Err(invalid(format!("{root} is larger than 8 MiB.")));
    }
    let mut xml = Vec::new();
    (&mut entry)
        .take(MAX_STRUCTURE_BYTES)
        .read_to_end(&mut xml)
        .map_err(|e| invalid(format!("{root} cannot be read ({e}).")))?;
    let found = match root {
        "cmi5.xml" => Found::Cmi5(xml),
        "imsmanifest.xml" => Found::Scorm(xml),
        _ => Found::Caravan(xml),
    };
    Ok((found, Some(names), zipped + unpacked))
}

/// The query parameters a cmi5 launch adds to an AU's URL.
const LAUNCH_PARAMETERS: [&str; 5] = ["endpoint", "fetch", "actor", "registration", "activityId"];

/// Has the URL a scheme (`https:`), as opposed to a path relative to the package?
pub fn is_absolute(url: &str) -> bool {
    url::Url::parse(url).is_ok()
}

/// Every AU's URL must be http(s), or (in a ZIP) name a file of the package.
fn check_urls(course: &structure::Course, names: Option<&HashSet<String>>) -> Result<()> {
    let mut problems = Vec::new();
    for au in course.aus() {
        // The launch adds these; an AU URL that brings its own would be ambiguous (cmi5 8.1).
        let query = au.url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let query = query.split('#').next().unwrap_or_default();
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if LAUNCH_PARAMETERS.contains(&name.as_ref()) {
                problems.push(format!(
                    "AU \"{}\": its URL's query has \"{name}\", which the launch sets",
                    au.id
                ));
            }
        }
        match url::Url::parse(&au.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(u) => problems.push(format!(
                "AU \"{}\": the URL scheme \"{}\" is not http or https",
                au.id,
                u.scheme()
            )),
            Err(_) => {
                let Some(names) = names else {
                    problems.push(format!(
                        "AU \"{}\": \"{}\" is relative, but a cmi5.xml without its ZIP needs absolute URLs",
                        au.id, au.url
                    ));
                    continue;
                };
                let path = au.url.split(['?', '#']).next().unwrap_or_default();
                let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
                let safe = !decoded.starts_with('/') && !decoded.split('/').any(|p| p == "..");
                if !safe || !names.contains(decoded.as_ref()) {
                    problems.push(format!(
                        "AU \"{}\": \"{}\" is not a file in the ZIP",
                        au.id, au.url
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(invalid(problems.join("; ")))
    }
}
