//! Serving stored bytes over HTTP: byte ranges, validators, access control and signed URLs, from
//! any store.

pub mod access;
pub mod offline;
pub mod range;
pub mod signing;
pub mod source;
pub(crate) mod store;
pub mod zip;

use crate::{db::Db, storage::Store};

/// How long URLs handed to an authorised learner stay valid.
pub const SIGNED_URL_TTL_SECS: i64 = 6 * 3600;

pub struct Delivery {
    pub signer: signing::Signer,
    pub access: access::AccessCache,
    pub source: source::Source,
}

impl Delivery {
    pub async fn new(db: &Db, store: Store) -> anyhow::Result<Self> {
        Ok(Self {
            signer: signing::Signer::load(db).await?,
            access: access::AccessCache::default(),
            source: source::Source::new(store),
        })
    }

    /// The URL of a blob for someone allowed to see it: plain when public, signed otherwise.
    /// The path carries the extension of the blob's type (`/media/{sha}.mp4`), which players
    /// built on ffmpeg require of segments; the signature covers the bare `/media/{sha}`, so
    /// the extension is a name, never a second key to the same bytes.
    pub fn media_url(&self, sha: &str, mime: &str, public: bool) -> String {
        let path = match media_extension(mime) {
            Some(ext) => format!("/media/{sha}.{ext}"),
            None => format!("/media/{sha}"),
        };
        if public {
            return path;
        }
        let bare = &path[.."/media/".len() + sha.len()];
        let query = self.signer.signed_query(bare, SIGNED_URL_TTL_SECS);
        format!("{path}?{query}")
    }
}

/// The file name extension of each media type Caravan stores and serves, as players and
/// download tools expect to see it on a URL.
const EXTENSIONS: [(&str, &str); 31] = [
    ("video/mp4", "mp4"),
    ("audio/mp4", "m4a"),
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
    ("image/gif", "gif"),
    ("image/avif", "avif"),
    ("image/tiff", "tif"),
    ("image/heic", "heic"),
    ("image/ktx2", "ktx2"),
    ("text/vtt", "vtt"),
    ("application/x-subrip", "srt"),
    ("text/plain", "txt"),
    ("application/pdf", "pdf"),
    ("model/gltf-binary", "glb"),
    ("model/gltf+json", "gltf"),
    ("application/zip", "zip"),
    ("video/webm", "webm"),
    ("audio/webm", "weba"),
    ("video/quicktime", "mov"),
    ("video/x-matroska", "mkv"),
    ("audio/x-matroska", "mka"),
    ("video/x-msvideo", "avi"),
    ("video/mpeg", "mpg"),
    ("video/mp2t", "ts"),
    ("video/ogg", "ogv"),
    ("audio/ogg", "ogg"),
    ("audio/mpeg", "mp3"),
    ("audio/wav", "wav"),
    ("audio/flac", "flac"),
    ("audio/aac", "aac"),
];

/// The extension a URL of a blob of this type ends in; `None` for types without one (HTML,
/// SVG and anything unknown are served as bare `/media/{sha}`).
pub fn media_extension(mime: &str) -> Option<&'static str> {
    EXTENSIONS
        .iter()
        .find(|(m, _)| *m == mime)
        .map(|(_, ext)| *ext)
}

/// The blob named by the last segment of a media path: `{sha256}` or `{sha256}.{ext}` with an
/// extension of [`EXTENSIONS`]. The bytes' type comes from the blob, whatever the name says.
pub fn media_name(segment: &str) -> Option<crate::blobs::Sha256Hex> {
    let (sha, ext) = match segment.split_once('.') {
        Some((sha, ext)) => (sha, Some(ext)),
        None => (segment, None),
    };
    if ext.is_some_and(|ext| !EXTENSIONS.iter().any(|(_, e)| *e == ext)) {
        return None;
    }
    crate::blobs::Sha256Hex::parse(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_names_are_a_hash_with_an_optional_known_extension() {
        let sha = "a".repeat(64);
        assert!(media_name(&sha).is_some());
        assert!(media_name(&format!("{sha}.mp4")).is_some());
        assert!(media_name(&format!("{sha}.m4a")).is_some());
        assert!(media_name(&format!("{sha}.html")).is_none());
        assert!(media_name(&format!("{sha}.")).is_none());
        assert!(media_name(&format!("{sha}.mp4.mp4")).is_none());
        assert!(media_name(&format!("{}.mp4", "a".repeat(63))).is_none());
        assert_eq!(media_extension("audio/mp4"), Some("m4a"));
        assert_eq!(media_extension("text/html"), None);
        assert_eq!(media_extension("image/svg+xml"), None);
    }
}
