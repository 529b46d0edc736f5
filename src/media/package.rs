//! A glTF model with its external buffers and textures, uploaded as one ZIP. Each file becomes a
//! rendition named by its path in the package, and `/api/v1/assets/{id}/files/{path}` serves
//! them, so the model's relative references resolve exactly as they did on the author's disk.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use super::{
    archive::Rejection,
    assets::{self, NewRendition},
    gltf,
};
use crate::{blobs, context::Context, jobs::worker::JobError};

/// The type a file of a model package is served with, from its extension.
pub fn mime_for(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "gltf" => "model/gltf+json",
        "glb" => "model/gltf-binary",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ktx2" => "image/ktx2",
        _ => "application/octet-stream",
    }
}

/// The one `.gltf` in the archive, if this ZIP is a model package.
pub fn main_gltf(zip: &Path) -> std::io::Result<Option<String>> {
    let archive = zip::ZipArchive::new(std::fs::File::open(zip)?).map_err(std::io::Error::other)?;
    let gltfs: Vec<String> = archive
        .file_names()
        .filter(|n| n.to_ascii_lowercase().ends_with(".gltf"))
        .map(str::to_owned)
        .collect();
    Ok(if gltfs.len() == 1 {
        gltfs.into_iter().next()
    } else {
        None
    })
}

/// Unpacks the (already inspected) archive into `dir`, returning each file's path in the package.
pub fn unpack(zip: &Path, dir: &Path) -> Result<Vec<(String, PathBuf)>, Rejection> {
    let invalid = |e: String| Rejection {
        code: "archive-invalid",
        detail: format!("This ZIP cannot be unpacked ({e})."),
    };
    let file = std::fs::File::open(zip).map_err(|e| invalid(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| invalid(e.to_string()))?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| invalid(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        // Names were checked by archive::inspect; enclosed_name re-checks before touching disk.
        let Some(relative) = entry.enclosed_name() else {
            return Err(Rejection {
                code: "archive-unsafe",
                detail: format!("The entry \"{}\" is not a safe path.", entry.name()),
            });
        };
        let name = entry.name().to_owned();
        let target = dir.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| invalid(e.to_string()))?;
        }
        let declared = entry.size();
        let mut out_file = std::fs::File::create(&target).map_err(|e| invalid(e.to_string()))?;
        // Never write more than the entry declared, whatever the compressed stream produces.
        let copied = std::io::copy(&mut (&mut entry).take(declared + 1), &mut out_file)
            .map_err(|e| invalid(e.to_string()))?;
        if copied > declared {
            return Err(Rejection {
                code: "archive-invalid",
                detail: format!("The entry \"{name}\" is larger than it declares."),
            });
        }
        out.push((name, target));
    }
    Ok(out)
}

fn permanent(r: Rejection) -> JobError {
    JobError::Permanent {
        code: r.code,
        detail: r.detail,
    }
}

/// Validates the model against the package's files and stores them all as renditions.
pub async fn process(
    state: &Context,
    asset_id: &str,
    zip: &Path,
    main: &str,
) -> Result<(), JobError> {
    let dir = tempfile::tempdir()?;
    let (zip_path, dir_path) = (zip.to_owned(), dir.path().to_owned());
    let files = tokio::task::spawn_blocking(move || unpack(&zip_path, &dir_path))
        .await?
        .map_err(permanent)?;
    let (_, main_path) = files.iter().find(|(n, _)| n == main).ok_or_else(|| {
        permanent(Rejection {
            code: "gltf-invalid",
            detail: "The model file is missing.".into(),
        })
    })?;
    let json = tokio::fs::read(main_path).await?;
    let summary = gltf::inspect_gltf_json(&json).map_err(|e| JobError::Permanent {
        code: "gltf-invalid",
        detail: e.to_string(),
    })?;
    let base = main
        .rsplit_once('/')
        .map(|(d, _)| format!("{d}/"))
        .unwrap_or_default();
    for uri in &summary.external_uris {
        let wanted = format!("{base}{uri}");
        if !files.iter().any(|(n, _)| *n == wanted) {
            return Err(JobError::Permanent {
                code: "gltf-invalid",
                detail: format!("The model refers to \"{uri}\", which is not in the ZIP. Add it next to the .gltf and upload again."),
            });
        }
    }
    for (name, path) in &files {
        let mime = mime_for(name);
        let (sha, bytes) = blobs::put_file(&state.store, &state.db, path, mime).await?;
        let role = if name == main { "model" } else { "model-file" };
        let rendition = NewRendition::file(name, role, &sha, bytes, mime);
        assets::put_rendition(&state.db.pool, asset_id, rendition).await?;
    }
    super::store::set_model_package(&state.db, asset_id).await?;
    Ok(())
}
