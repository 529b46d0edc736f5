//! ffprobe wrapper and the upload gate that turns probe results into teacher-facing rejections.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::ffmpeg::{run_tool, FfmpegError, StdoutMode};

/// Failure to run or understand ffprobe (as opposed to the media being unacceptable).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("ffprobe binary `{0}` not found")]
    NotFound(String),
    #[error("ffprobe timed out after {0:?}")]
    TimedOut(Duration),
    #[error("ffprobe failed ({status}): {stderr_tail}")]
    Failed { status: String, stderr_tail: String },
    #[error("ffprobe output could not be parsed: {0}")]
    Parse(String),
    #[error("i/o error while probing: {0}")]
    Io(#[from] std::io::Error),
}

impl From<FfmpegError> for ProbeError {
    fn from(e: FfmpegError) -> Self {
        use FfmpegError as F;
        match e {
            F::NotFound(b) => ProbeError::NotFound(b),
            F::TimedOut(d) => ProbeError::TimedOut(d),
            F::Failed {
                status,
                stderr_tail,
            } => ProbeError::Failed {
                status,
                stderr_tail,
            },
            F::Io(e) => ProbeError::Io(e),
            other => ProbeError::Parse(other.to_string()),
        }
    }
}

impl ProbeError {
    /// ffprobe refusing the file is the upload's fault and must reach the teacher as a
    /// rejection; a missing binary or a timeout is ours and stays a server error.
    pub fn as_rejection(&self) -> Option<Rejection> {
        match self {
            ProbeError::Failed { .. } | ProbeError::Parse(_) => Some(unreadable()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    /// Dimensions as shown to the viewer, i.e. after applying rotation metadata.
    pub display_width: u32,
    pub display_height: u32,
    pub rotation: i32,
    pub fps: f64,
    pub frames: Option<u64>,
    pub spherical: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    pub codec: String,
    pub channels: u32,
    pub sample_rate: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub format_name: String,
    /// 0.0 when neither the container nor any stream states a duration.
    pub duration_secs: f64,
    pub bit_rate: Option<u64>,
    pub size_bytes: Option<u64>,
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
    /// Container declares more media than the file holds, or ffprobe complained about it.
    pub truncated: bool,
    /// ffprobe's stderr on a successful run (it reports recoverable damage there).
    pub warnings: String,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_duration: Duration,
    pub max_dimension: u32,
    pub max_aspect: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_duration: Duration::from_secs(4 * 3600),
            max_dimension: 8192,
            max_aspect: 10.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Video,
    Audio,
}

/// Reason an upload is refused; `code` is stable for the UI, `detail` is shown to teachers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub detail: String,
}

fn reject(code: &'static str, detail: impl Into<String>) -> Rejection {
    let detail = detail.into();
    Rejection { code, detail }
}

fn unreadable() -> Rejection {
    reject(
        "media-unreadable",
        "We could not read this file. It may be damaged or only partly uploaded; \
         please export it again and upload the complete file.",
    )
}

pub async fn probe(path: &Path, timeout: Duration) -> Result<Probe, ProbeError> {
    probe_with(Path::new("ffprobe"), path, timeout).await
}

/// Same as [`probe`] with an explicit binary, for deployments that pin ffprobe (and tests).
pub async fn probe_with(bin: &Path, path: &Path, timeout: Duration) -> Result<Probe, ProbeError> {
    let mut args: Vec<String> = "-v error -print_format json -show_format -show_streams"
        .split(' ')
        .map(String::from)
        .collect();
    // `file:` stops a name like `concat:…` or `http://…` from being treated as a protocol.
    args.push(format!("file:{}", path.display()));
    let out = run_tool(
        bin.as_os_str(),
        &args,
        timeout,
        None,
        StdoutMode::Collect { limit: 16 << 20 },
    )
    .await?;
    if !out.status.success() {
        return Err(super::ffmpeg::failed(out).into());
    }
    let raw: RawProbe =
        serde_json::from_slice(&out.stdout).map_err(|e| ProbeError::Parse(e.to_string()))?;
    Ok(from_raw(raw, out.stderr_tail))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawProbe {
    streams: Vec<RawStream>,
    format: Option<RawFormat>,
}

#[derive(Deserialize, Default)]
struct RawFormat {
    format_name: Option<String>,
    duration: Option<String>,
    bit_rate: Option<String>,
    size: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    channels: Option<u32>,
    sample_rate: Option<String>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    bit_rate: Option<String>,
    nb_frames: Option<String>,
    disposition: HashMap<String, i64>,
    tags: HashMap<String, String>,
    side_data_list: Vec<serde_json::Value>,
}

fn num<T: std::str::FromStr>(s: &Option<String>) -> Option<T> {
    s.as_deref().and_then(|s| s.trim().parse().ok())
}

fn rate(s: &Option<String>) -> Option<f64> {
    let s = s.as_deref()?;
    let v = match s.split_once('/') {
        Some((n, d)) => n.parse::<f64>().ok()? / d.parse::<f64>().ok()?,
        None => s.parse().ok()?,
    };
    (v.is_finite() && v > 0.0).then_some(v)
}

fn rotation(s: &RawStream) -> i32 {
    let from_side = s.side_data_list.iter().find_map(|sd| {
        let r = sd.get("rotation")?;
        r.as_f64().or_else(|| r.as_str()?.parse().ok())
    });
    let deg = from_side.or_else(|| s.tags.get("rotate")?.parse().ok());
    deg.map(|d| ((d.round() as i32 % 360) + 360) % 360)
        .unwrap_or(0)
}

fn spherical(s: &RawStream) -> bool {
    let side = s.side_data_list.iter().any(|sd| {
        sd.get("side_data_type")
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.eq_ignore_ascii_case("Spherical Mapping"))
    });
    let tag = |k: &String| k.to_ascii_lowercase().contains("spherical");
    side || s.tags.keys().any(tag)
}

fn from_raw(raw: RawProbe, warnings: String) -> Probe {
    let fmt = raw.format.unwrap_or_default();
    // Cover art in an MP3/M4A is a "video" stream; it must not turn a podcast into a video.
    let video_stream = raw.streams.iter().find(|s| {
        s.codec_type.as_deref() == Some("video")
            && s.disposition.get("attached_pic").copied().unwrap_or(0) == 0
    });
    let is_audio = |s: &&RawStream| s.codec_type.as_deref() == Some("audio");
    let audio_stream = raw.streams.iter().find(is_audio);

    let video = video_stream.map(|s| {
        let (w, h) = (s.width.unwrap_or(0), s.height.unwrap_or(0));
        let rot = rotation(s);
        let swap = rot == 90 || rot == 270;
        VideoInfo {
            codec: s.codec_name.clone().unwrap_or_default(),
            width: w,
            height: h,
            display_width: if swap { h } else { w },
            display_height: if swap { w } else { h },
            rotation: rot,
            fps: rate(&s.avg_frame_rate)
                .or(rate(&s.r_frame_rate))
                .unwrap_or(0.0),
            frames: num(&s.nb_frames),
            spherical: spherical(s),
        }
    });
    let audio = audio_stream.map(|s| AudioInfo {
        codec: s.codec_name.clone().unwrap_or_default(),
        channels: s.channels.unwrap_or(0),
        sample_rate: num(&s.sample_rate).unwrap_or(0),
    });

    let durations = raw.streams.iter().filter_map(|s| num::<f64>(&s.duration));
    let stream_max = durations.reduce(f64::max);
    let duration_secs = num::<f64>(&fmt.duration)
        .or(stream_max)
        .filter(|d| d.is_finite() && *d > 0.0)
        .unwrap_or(0.0);
    let size_bytes: Option<u64> = num(&fmt.size);

    // ffprobe only reads the head of a file, so a faststart MP4 cut short probes "fine".
    // The per-stream bit rates come from the sample tables, so they reveal how many bytes
    // the container promises; far fewer on disk means the upload was cut off.
    let bits = raw.streams.iter().filter_map(|s| num::<u64>(&s.bit_rate));
    let declared_bits: u64 = bits.sum();
    let declared_bytes = (declared_bits as f64 * duration_secs / 8.0) as u64;
    let short = size_bytes.is_some_and(|sz| declared_bytes > sz + sz / 5 + 64 * 1024);
    let lower = warnings.to_ascii_lowercase();
    let complained = DAMAGE_HINTS.iter().any(|p| lower.contains(p));

    Probe {
        format_name: fmt.format_name.unwrap_or_default(),
        duration_secs,
        bit_rate: num(&fmt.bit_rate),
        size_bytes,
        video,
        audio,
        truncated: short || complained,
        warnings,
    }
}

/// ffprobe stderr phrases that mean the file is cut short or its index is missing.
const DAMAGE_HINTS: &[&str] = &[
    "partial file",
    "truncat",
    "moov atom not found",
    "end of file",
];

const IMAGE_CODECS: &[&str] = &["mjpeg", "png", "webp", "bmp", "tiff", "jpeg2000", "gif"];

fn is_still_image(p: &Probe, v: &VideoInfo) -> bool {
    if !IMAGE_CODECS.contains(&v.codec.as_str()) {
        return false;
    }
    let image_container = p.format_name.contains("image2") || p.format_name.ends_with("_pipe");
    // image2 reports one frame as 1/25 s, so "short" must allow for that.
    image_container || v.frames.is_some_and(|f| f <= 1) || p.duration_secs < 0.1
}

pub fn check(probe: &Probe, limits: &Limits) -> Result<MediaKind, Rejection> {
    if let Some(v) = &probe.video {
        if is_still_image(probe, v) {
            return Err(reject(
                "unsupported-media-type",
                "This looks like a picture, not a video or audio recording. \
                 Please add images to the lesson as images, or upload a video file.",
            ));
        }
    }
    if probe.video.is_none() && probe.audio.is_none() {
        return Err(reject(
            "media-no-streams",
            "This file contains no video or sound we can play. \
             Please check that you picked the right file.",
        ));
    }
    if probe.duration_secs <= 0.0 || probe.truncated {
        return Err(unreadable());
    }
    if let Some(v) = &probe.video {
        let (w, h) = (v.display_width, v.display_height);
        let max = limits.max_dimension;
        let aspect = w.max(h) as f64 / w.min(h).max(1) as f64;
        if w == 0 || h == 0 || w > max || h > max || aspect > limits.max_aspect {
            return Err(reject(
                "media-dimensions-invalid",
                format!(
                    "The video picture is {w}×{h} pixels, which we cannot show. Videos must be \
                     at most {max} pixels on each side and not extremely narrow or wide; \
                     please export it at a standard size such as 1920×1080."
                ),
            ));
        }
    }
    if probe.duration_secs > limits.max_duration.as_secs_f64() {
        let mins = |s: f64| (s / 60.0).ceil() as u64;
        return Err(reject(
            "media-too-long",
            format!(
                "This recording is about {} minutes long; the limit is {} minutes. \
                 Please split it into shorter parts.",
                mins(probe.duration_secs),
                mins(limits.max_duration.as_secs_f64())
            ),
        ));
    }
    Ok(probe
        .video
        .as_ref()
        .map_or(MediaKind::Audio, |_| MediaKind::Video))
}

#[cfg(test)]
mod tests {
    use super::super::ffmpeg::test_util::{audio_clip, av_clip, fake_probe, ff};
    use super::*;

    const T: Duration = Duration::from_secs(20);

    #[tokio::test]
    async fn good_1080p_is_video() {
        let d = tempfile::tempdir().unwrap();
        let f = av_clip(d.path(), "a.mp4", 1920, 1080, 2, true);
        let p = probe(&f, T).await.unwrap();
        let v = p.video.as_ref().unwrap();
        assert_eq!((v.width, v.height, v.display_width), (1920, 1080, 1920));
        assert!((v.fps - 25.0).abs() < 0.01 && (p.duration_secs - 2.0).abs() < 0.1);
        assert!(!v.spherical && !p.truncated && v.codec == "h264");
        let a = p.audio.as_ref().unwrap();
        assert_eq!((a.codec.as_str(), a.sample_rate), ("aac", 48000));
        assert_eq!(check(&p, &Limits::default()), Ok(MediaKind::Video));
    }

    #[tokio::test]
    async fn audio_only_is_audio() {
        let d = tempfile::tempdir().unwrap();
        let f = audio_clip(d.path(), "a.m4a", 2);
        let p = probe(&f, T).await.unwrap();
        assert!(p.video.is_none() && p.audio.as_ref().unwrap().channels == 1);
        assert_eq!(check(&p, &Limits::default()), Ok(MediaKind::Audio));
    }

    #[tokio::test]
    async fn rotated_phone_video_reports_display_size() {
        let d = tempfile::tempdir().unwrap();
        let f = av_clip(d.path(), "a.mp4", 320, 240, 1, false);
        let r = d.path().join("r.mp4");
        // ffmpeg 5.1 turns the legacy `rotate` tag into a display matrix on mux.
        let (f, r) = (f.display(), r.display());
        ff(&format!("-i {f} -c copy -metadata:s:v:0 rotate=90 {r}"));
        let v = probe(d.path().join("r.mp4").as_path(), T)
            .await
            .unwrap()
            .video
            .unwrap();
        assert_eq!(v.rotation % 180, 90);
        assert_eq!((v.display_width, v.display_height), (240, 320));
    }

    #[tokio::test]
    async fn text_file_is_unreadable() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("notes.mp4");
        std::fs::write(&f, "these are my lesson notes, not a video\n").unwrap();
        let e = probe(&f, T).await.unwrap_err();
        assert!(matches!(e, ProbeError::Failed { ref stderr_tail, .. } if !stderr_tail.is_empty()));
        assert_eq!(e.as_rejection().unwrap().code, "media-unreadable");
    }

    #[tokio::test]
    async fn truncated_mp4_is_unreadable() {
        let d = tempfile::tempdir().unwrap();
        // moov at the end: the half file has no index at all, so ffprobe itself fails.
        let f = av_clip(d.path(), "a.mp4", 320, 240, 4, true);
        let bytes = std::fs::read(&f).unwrap();
        let half = d.path().join("half.mp4");
        std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
        let e = probe(&half, T).await.unwrap_err();
        assert_eq!(e.as_rejection().unwrap().code, "media-unreadable");

        // faststart: the index survives and ffprobe is silent; the size check must catch it.
        let fs = d.path().join("fs.mp4");
        let (fd, fsd) = (f.display(), fs.display());
        ff(&format!("-i {fd} -c copy -movflags +faststart {fsd}"));
        let bytes = std::fs::read(&fs).unwrap();
        std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
        let p = probe(&half, T).await.unwrap();
        assert!(p.truncated);
        assert_eq!(
            check(&p, &Limits::default()).unwrap_err().code,
            "media-unreadable"
        );
    }

    #[tokio::test]
    async fn jpeg_renamed_mp4_is_unsupported() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("photo.mp4");
        let lavfi = "-f lavfi -i testsrc2=size=320x240 -frames:v 1";
        ff(&format!("{lavfi} -f image2 -c:v mjpeg {}", f.display()));
        let r = check(&probe(&f, T).await.unwrap(), &Limits::default()).unwrap_err();
        assert_eq!(r.code, "unsupported-media-type");
    }

    #[tokio::test]
    async fn too_long_for_limits() {
        let d = tempfile::tempdir().unwrap();
        let f = audio_clip(d.path(), "a.m4a", 3);
        let p = probe(&f, T).await.unwrap();
        let limits = Limits {
            max_duration: Duration::from_secs(1),
            ..Limits::default()
        };
        let r = check(&p, &limits).unwrap_err();
        assert_eq!(r.code, "media-too-long");
        assert!(r.detail.contains("minutes"));
    }

    #[test]
    fn dimension_and_stream_rules() {
        let code = |p: &Probe| check(p, &Limits::default()).unwrap_err().code;
        let base = fake_probe(4000, 100, false);
        assert_eq!(code(&base), "media-dimensions-invalid");
        assert_eq!(
            code(&fake_probe(9000, 5000, false)),
            "media-dimensions-invalid"
        );
        assert_eq!(code(&fake_probe(0, 0, false)), "media-no-streams");
        let mut nodur = fake_probe(640, 360, true);
        nodur.duration_secs = 0.0;
        assert_eq!(code(&nodur), "media-unreadable");
        let mut cover = fake_probe(640, 360, true);
        cover.video.as_mut().unwrap().codec = "png".into();
        cover.video.as_mut().unwrap().frames = Some(1);
        assert_eq!(code(&cover), "unsupported-media-type");
    }

    #[tokio::test]
    async fn missing_binary_is_not_found() {
        let e = probe_with(Path::new("/nonexistent/ffprobe"), Path::new("x.mp4"), T)
            .await
            .unwrap_err();
        assert!(matches!(e, ProbeError::NotFound(_)));
        assert!(e.as_rejection().is_none());
    }
}
