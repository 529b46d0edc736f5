//! Media: type sniffing, validation, the asset records and their processing.

pub mod archive;
pub mod assets;
pub mod captions;
pub mod ffmpeg;
pub mod fmp4;
pub mod gltf;
pub mod hls;
pub mod ladder;
pub mod local;
pub mod package;
pub mod pipeline;
pub mod probe;
pub mod process;
pub mod sniff;
pub mod stills;
mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an asset is, decided from its bytes (and, for audio/video, by ffprobe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    Video,
    Audio,
    Document,
    Model,
    Captions,
    Archive,
    /// A JPEG, PNG or WebP image: a course's poster.
    Image,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Model => "model",
            Self::Captions => "captions",
            Self::Archive => "archive",
            Self::Image => "image",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            "model" => Self::Model,
            "captions" => Self::Captions,
            "archive" => Self::Archive,
            "image" => Self::Image,
            _ => return None,
        })
    }

    /// The kind for sniffed bytes; `None` for what Caravan does not accept.
    pub fn from_sniffed(s: &sniff::Sniffed) -> Option<Self> {
        use sniff::Sniffed;
        Some(match s {
            Sniffed::Video(_) => Self::Video,
            Sniffed::Audio(_) => Self::Audio,
            Sniffed::Pdf => Self::Document,
            Sniffed::Glb | Sniffed::GltfJson => Self::Model,
            Sniffed::Captions(_) => Self::Captions,
            Sniffed::Zip => Self::Archive,
            Sniffed::Image("image/jpeg" | "image/png" | "image/webp") => Self::Image,
            Sniffed::Image(_) | Sniffed::Text | Sniffed::Unknown => return None,
        })
    }
}

/// The sentence a teacher sees when a file's bytes are of a type Caravan does not take.
pub fn unsupported_detail(s: &sniff::Sniffed) -> String {
    format!(
        "This file is {}, whatever its name says. Caravan accepts video (MP4, MOV, MKV, WebM, AVI), \
         audio, PDF documents, glTF/GLB models, SRT/WebVTT captions, ZIP packages and JPEG, PNG \
         or WebP images (course posters).",
        s.describe()
    )
}

/// The ffmpeg version line when both ffmpeg and ffprobe run, for logs and `/readyz`.
pub async fn ffmpeg_available(
    ffmpeg: &std::path::Path,
    ffprobe: &std::path::Path,
) -> Option<String> {
    let run = |bin: std::path::PathBuf| async move {
        tokio::process::Command::new(bin)
            .arg("-version")
            .kill_on_drop(true)
            .output()
            .await
            .ok()
            .filter(|o| o.status.success())
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
    };
    let (ffmpeg, ffprobe) = tokio::join!(run(ffmpeg.to_owned()), run(ffprobe.to_owned()));
    ffprobe.and(ffmpeg)
}

/// What operators and `/readyz` are told when the media tools are missing.
pub const FFMPEG_MISSING: &str =
    "ffmpeg/ffprobe not found: video and audio jobs wait until ffmpeg is installed (Debian/Ubuntu: apt-get install ffmpeg)";
