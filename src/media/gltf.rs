//! Structural validation of uploaded glTF 2.0 models. We never fetch what a
//! model references, so only plain relative paths are allowed. Input is
//! hostile: every length from the file is checked before slicing and no
//! allocation is sized by a number taken from the file.

use std::collections::BTreeMap;

use serde::Deserialize;

use GltfError::Invalid;

const CHUNK_JSON: u32 = 0x4E4F_534A;
const CHUNK_BIN: u32 = 0x004E_4942;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GltfSummary {
    /// `asset.version`, e.g. "2.0".
    pub version: String,
    pub generator: Option<String>,
    pub mesh_count: usize,
    pub node_count: usize,
    pub image_count: usize,
    pub buffer_count: usize,
    pub has_bin_chunk: bool,
    /// Relative paths, percent-decoded and without duplicates, of the files
    /// that must be uploaded next to a .gltf for it to display.
    pub external_uris: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GltfError {
    #[error("the file is too short to be a .glb model; it may be truncated")]
    Truncated,
    #[error("the file does not start with the glTF signature, so it is not a .glb model")]
    BadMagic,
    #[error("the file is a version {0} .glb; only glTF 2.0 models are supported")]
    UnsupportedVersion(u32),
    #[error("the file should be {declared} bytes but is {actual}; it may be truncated")]
    LengthMismatch { declared: u32, actual: usize },
    #[error("the .glb file is damaged: {0}")]
    Chunk(String),
    #[error("the model's JSON could not be read: {0}")]
    Json(String),
    #[error("the model says it is glTF version {0}; only glTF 2.x models are supported")]
    AssetVersion(String),
    #[error("buffer 0 uses the .glb file's binary data, but the file has none")]
    MissingBin,
    #[error("the model is inconsistent: {0}")]
    Invalid(String),
    #[error("the model refers to “{uri}”, {reason}")]
    Uri { uri: String, reason: &'static str },
}

impl GltfError {
    pub fn code(&self) -> &'static str {
        "gltf-invalid"
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Root {
    asset: Option<Asset>,
    buffers: Vec<Buffer>,
    buffer_views: Vec<BufferView>,
    accessors: Vec<Accessor>,
    images: Vec<Image>,
    meshes: Vec<Mesh>,
    nodes: Vec<Node>,
    scenes: Vec<Scene>,
    scene: Option<u64>,
}

// Fields glTF requires are left without `default` so serde reports them.
#[derive(Deserialize)]
struct Asset {
    version: String,
    generator: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Buffer {
    uri: Option<String>,
    byte_length: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BufferView {
    buffer: u64,
    #[serde(default)]
    byte_offset: u64,
    byte_length: u64,
    byte_stride: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accessor {
    buffer_view: Option<u64>,
    #[serde(default)]
    byte_offset: u64,
    count: u64,
    component_type: u32,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Image {
    uri: Option<String>,
    buffer_view: Option<u64>,
}

#[derive(Deserialize)]
struct Mesh {
    primitives: Vec<Primitive>,
}

#[derive(Deserialize)]
struct Primitive {
    attributes: BTreeMap<String, u64>,
    indices: Option<u64>,
    #[serde(default)]
    targets: Vec<BTreeMap<String, u64>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Node {
    mesh: Option<u64>,
    children: Vec<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Scene {
    nodes: Vec<u64>,
}

macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(Invalid(format!($($arg)*)))
    };
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(word.try_into().ok()?))
}

pub fn inspect_glb(bytes: &[u8]) -> Result<GltfSummary, GltfError> {
    let magic = bytes.get(..4).ok_or(GltfError::Truncated)?;
    if magic != b"glTF" {
        return Err(GltfError::BadMagic);
    }
    let (Some(version), Some(declared)) = (le32(bytes, 4), le32(bytes, 8)) else {
        return Err(GltfError::Truncated);
    };
    if version != 2 {
        return Err(GltfError::UnsupportedVersion(version));
    }
    if usize::try_from(declared).ok() != Some(bytes.len()) {
        let actual = bytes.len();
        return Err(GltfError::LengthMismatch { declared, actual });
    }
    let chunk_err = GltfError::Chunk;
    let (mut json, mut bin) = (None, None);
    let (mut offset, mut index) = (12usize, 0usize);
    while offset < bytes.len() {
        let (Some(len), Some(kind)) = (le32(bytes, offset), le32(bytes, offset + 4)) else {
            let stray = bytes.len() - offset;
            return Err(chunk_err(format!("{stray} stray bytes at the end")));
        };
        let start = offset + 8;
        let end = start.checked_add(len as usize);
        let Some(data) = end.and_then(|end| bytes.get(start..end)) else {
            return Err(chunk_err(format!("chunk {index} runs past the end")));
        };
        if len % 4 != 0 {
            return Err(chunk_err(format!("chunk {index} is not padded to 4 bytes")));
        }
        match (index, kind) {
            (0, CHUNK_JSON) => json = Some(data),
            (0, _) => return Err(chunk_err("the first chunk is not the JSON chunk".into())),
            (1, CHUNK_BIN) => bin = Some(data),
            (_, CHUNK_JSON | CHUNK_BIN) => {
                return Err(chunk_err(format!("chunk {index} is a duplicate")));
            }
            // The spec tells readers to skip chunk types they do not know.
            _ => {}
        }
        offset = start + data.len();
        index += 1;
    }
    let json = json.ok_or_else(|| chunk_err("there is no JSON chunk".into()))?;
    // The spec pads JSON with spaces; some exporters use NULs instead.
    let end = json.iter().rposition(|&b| b != b' ' && b != 0);
    inspect(&json[..end.map_or(0, |p| p + 1)], Some(bin))
}

pub fn inspect_gltf_json(bytes: &[u8]) -> Result<GltfSummary, GltfError> {
    inspect(bytes, None)
}

/// `glb` is `None` for a .gltf file, `Some(bin_chunk)` for a .glb.
fn inspect(json: &[u8], glb: Option<Option<&[u8]>>) -> Result<GltfSummary, GltfError> {
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    let text =
        std::str::from_utf8(json).map_err(|_| GltfError::Json("it is not UTF-8 text".into()))?;
    let root: Root = serde_json::from_str(text).map_err(|e| GltfError::Json(e.to_string()))?;
    let Some(asset) = &root.asset else {
        bail!("it has no \"asset\" section, which every glTF file needs");
    };
    let version = asset.version.clone();
    if !version.starts_with("2.") {
        return Err(GltfError::AssetVersion(version));
    }
    let mut external = Vec::new();
    check_buffers(&root, glb, &mut external)?;
    check_views_and_accessors(&root)?;
    check_images(&root, &mut external)?;
    check_scene_graph(&root)?;
    Ok(GltfSummary {
        version,
        generator: asset.generator.clone(),
        mesh_count: root.meshes.len(),
        node_count: root.nodes.len(),
        image_count: root.images.len(),
        buffer_count: root.buffers.len(),
        has_bin_chunk: matches!(glb, Some(Some(_))),
        external_uris: external,
    })
}

fn ix(i: u64, len: usize, owner: &str, target: &str) -> Result<usize, GltfError> {
    match usize::try_from(i) {
        Ok(i) if i < len => Ok(i),
        _ => bail!("{owner} refers to {target} {i}, which does not exist"),
    }
}

fn check_buffers(
    root: &Root,
    glb: Option<Option<&[u8]>>,
    ext: &mut Vec<String>,
) -> Result<(), GltfError> {
    for (i, buffer) in root.buffers.iter().enumerate() {
        let available = match (&buffer.uri, glb) {
            (Some(uri), _) if is_data_uri(uri) => match data_uri_len(uri) {
                Some(n) => n,
                None => bail!("buffer {i} has embedded data that is not valid base64"),
            },
            (Some(uri), _) => {
                add_external(uri, ext)?;
                continue;
            }
            (None, None) => bail!("buffer {i} has no uri, which is only allowed in a .glb file"),
            (None, Some(_)) if i != 0 => {
                bail!("buffer {i} has no uri; only buffer 0 may use the .glb binary chunk")
            }
            (None, Some(bin)) => bin.ok_or(GltfError::MissingBin)?.len() as u64,
        };
        if buffer.byte_length > available {
            let wanted = buffer.byte_length;
            bail!("buffer {i} should hold {wanted} bytes but only {available} are present");
        }
    }
    Ok(())
}

fn element_size(component_type: u32, kind: &str) -> Option<u64> {
    let component = match component_type {
        5120 | 5121 => 1,
        5122 | 5123 => 2,
        5125 | 5126 => 4,
        _ => return None,
    };
    // Matrix columns are padded to 4-byte boundaries.
    let size = match (kind, component) {
        ("SCALAR", c) => c,
        ("VEC2", c) => 2 * c,
        ("VEC3", c) => 3 * c,
        ("VEC4", c) | ("MAT2", c @ (2 | 4)) => 4 * c,
        ("MAT2", _) => 8,
        ("MAT3", 1) => 12,
        ("MAT3", 2) => 24,
        ("MAT3", c) => 9 * c,
        ("MAT4", c) => 16 * c,
        _ => return None,
    };
    Some(size)
}

fn check_views_and_accessors(root: &Root) -> Result<(), GltfError> {
    for (i, view) in root.buffer_views.iter().enumerate() {
        let owner = format!("bufferView {i}");
        let b = ix(view.buffer, root.buffers.len(), &owner, "buffer")?;
        let limit = root.buffers[b].byte_length;
        if view
            .byte_offset
            .checked_add(view.byte_length)
            .is_none_or(|end| end > limit)
        {
            bail!("{owner} reaches past the end of buffer {b} ({limit} bytes)");
        }
    }
    let views = root.buffer_views.len();
    for (i, acc) in root.accessors.iter().enumerate() {
        let owner = format!("accessor {i}");
        let Some(elem) = element_size(acc.component_type, &acc.kind) else {
            let (kind, ty) = (&acc.kind, acc.component_type);
            bail!("{owner} has an unknown data type ({kind} / {ty})");
        };
        let Some(v) = acc.buffer_view else { continue };
        let view = &root.buffer_views[ix(v, views, &owner, "bufferView")?];
        let stride = view.byte_stride.unwrap_or(elem);
        let needed = match acc.count.checked_sub(1) {
            None => Some(0),
            Some(last) => last
                .checked_mul(stride)
                .and_then(|n| n.checked_add(elem))
                .and_then(|n| n.checked_add(acc.byte_offset)),
        };
        if needed.is_none_or(|n| n > view.byte_length) {
            let len = view.byte_length;
            bail!("{owner} reads past the end of bufferView {v} ({len} bytes)");
        }
    }
    Ok(())
}

fn check_images(root: &Root, ext: &mut Vec<String>) -> Result<(), GltfError> {
    for (i, image) in root.images.iter().enumerate() {
        match (&image.uri, image.buffer_view) {
            (Some(uri), None) if is_data_uri(uri) => {
                if data_uri_len(uri).is_none() {
                    bail!("image {i} has embedded data that is not valid base64");
                }
            }
            (Some(uri), None) => add_external(uri, ext)?,
            (None, Some(v)) => {
                let views = root.buffer_views.len();
                ix(v, views, &format!("image {i}"), "bufferView")?;
            }
            (Some(_), Some(_)) => bail!("image {i} has both a uri and a bufferView"),
            (None, None) => bail!("image {i} has neither a uri nor a bufferView"),
        }
    }
    Ok(())
}

fn check_scene_graph(root: &Root) -> Result<(), GltfError> {
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, prim) in mesh.primitives.iter().enumerate() {
            let owner = format!("mesh {m} primitive {p}");
            let targets = prim.targets.iter().flat_map(|t| t.values());
            for &a in prim.attributes.values().chain(targets).chain(&prim.indices) {
                ix(a, root.accessors.len(), &owner, "accessor")?;
            }
        }
    }
    let n = root.nodes.len();
    let mut parent: Vec<Option<usize>> = vec![None; n];
    for (i, node) in root.nodes.iter().enumerate() {
        let owner = format!("node {i}");
        if let Some(mesh) = node.mesh {
            ix(mesh, root.meshes.len(), &owner, "mesh")?;
        }
        for &child in &node.children {
            let c = ix(child, n, &owner, "child node")?;
            if parent[c].replace(i).is_some() {
                bail!("node {c} has more than one parent");
            }
        }
    }
    // With one parent per node, walking parent links finds any cycle; nodes
    // already proven acyclic are skipped so the walk stays linear.
    let mut state = vec![0u8; n];
    for start in 0..n {
        let mut path = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur {
            match state[c] {
                2 => break,
                1 => bail!("node {c} is its own ancestor"),
                _ => {
                    state[c] = 1;
                    path.push(c);
                    cur = parent[c];
                }
            }
        }
        path.into_iter().for_each(|c| state[c] = 2);
    }
    for (s, scene) in root.scenes.iter().enumerate() {
        for &node in &scene.nodes {
            ix(node, n, &format!("scene {s}"), "node")?;
        }
    }
    if let Some(scene) = root.scene {
        ix(scene, root.scenes.len(), "the default scene", "scene")?;
    }
    Ok(())
}

fn is_data_uri(uri: &str) -> bool {
    uri.get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("data:"))
}

/// Decoded length of a base64 `data:` URI, or `None` if it is not one.
/// Validated without decoding so a huge URI costs no extra memory.
fn data_uri_len(uri: &str) -> Option<u64> {
    let (meta, data) = uri.get(5..)?.split_once(',')?;
    if !meta.to_ascii_lowercase().ends_with(";base64") {
        return None;
    }
    let body = data.trim_end_matches('=');
    let padding = data.len() - body.len();
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let shape_ok = body.len() % 4 != 1 && (padding == 0 || (padding <= 2 && data.len() % 4 == 0));
    (shape_ok && body.bytes().all(alphabet)).then_some(body.len() as u64 * 3 / 4)
}

fn add_external(uri: &str, external: &mut Vec<String>) -> Result<(), GltfError> {
    let path = relative_path(uri).map_err(|reason| GltfError::Uri {
        uri: uri.chars().take(100).collect(),
        reason,
    })?;
    if !external.contains(&path) {
        external.push(path);
    }
    Ok(())
}

fn relative_path(uri: &str) -> Result<String, &'static str> {
    const BAD_NAME: &str = "which is not a valid file name";
    if uri.contains(['?', '#']) {
        return Err("which has a ? or # in it; use a plain file name");
    }
    let mut decoded = Vec::with_capacity(uri.len());
    let mut bytes = uri.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            decoded.push(b);
            continue;
        }
        let hex = |d: Option<u8>| d.and_then(|d| char::from(d).to_digit(16));
        match (hex(bytes.next()), hex(bytes.next())) {
            (Some(hi), Some(lo)) => decoded.push((hi * 16 + lo) as u8),
            _ => return Err(BAD_NAME),
        }
    }
    let path = String::from_utf8(decoded).map_err(|_| BAD_NAME)?;
    if path.chars().any(char::is_control) {
        return Err(BAD_NAME);
    }
    // Anything before a colon with no slash in front of it is a URI scheme
    // (http:, file:) or a Windows drive letter.
    if path.find(':').is_some_and(|c| !path[..c].contains('/')) {
        return Err("which is not a file uploaded with the model");
    }
    if path.starts_with('/') {
        return Err("which is an absolute path; use a path relative to the model file");
    }
    if path.contains('\\') {
        return Err("which uses backslashes; use forward slashes (/) in paths");
    }
    let mut segments = Vec::new();
    for segment in path.split('/') {
        match segment {
            ".." => return Err("which points outside the model's folder"),
            "." => {}
            "" => return Err(BAD_NAME),
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        return Err(BAD_NAME);
    }
    Ok(segments.join("/"))
}

#[cfg(test)]
#[path = "gltf_tests.rs"]
mod tests;
