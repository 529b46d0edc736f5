//! Poster, thumbnails and a storyboard sprite + WebVTT track, from a single decode pass.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ffmpeg::{run_tool, Cleanup, FfmpegError, StdoutMode};

pub const TILE_W: u32 = 160;
pub const TILE_H: u32 = 90;
const MAX_TILES: u32 = 100;
const COLUMNS: u32 = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct Stills {
    /// At most 640 px on the long side: what a phone shows (a typical poster is well under
    /// 60 KB, even of a noisy source).
    pub poster: PathBuf,
    /// At most 1280 px on the long side, for big screens that ask for it (`srcset`).
    pub poster_large: PathBuf,
    pub thumbnails: Vec<PathBuf>,
    pub sprite: PathBuf,
    pub vtt: PathBuf,
    /// Seconds of video each storyboard tile stands for.
    pub tile_secs: u32,
    pub tiles: u32,
}

/// Layout derived from the duration alone, so the VTT can be written without inspecting the
/// sprite: (seconds per tile, tile count, columns, rows, thumbnail count).
fn layout(duration_secs: f64) -> (u32, u32, u32, u32, u32) {
    let d = duration_secs.max(0.1);
    let per = ((d / MAX_TILES as f64).ceil() as u32).max(1);
    let tiles = ((d / per as f64).ceil() as u32).clamp(1, MAX_TILES);
    let cols = tiles.min(COLUMNS);
    let thumbs = ((d / 20.0) as u32).clamp(3, 5);
    (per, tiles, cols, tiles.div_ceil(cols), thumbs)
}

fn ts(secs: f64) -> String {
    let ms = (secs * 1000.0).round() as u64;
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    format!("{h:02}:{m:02}:{s:02}.{:03}", ms % 1000)
}

/// WebVTT thumbnail track: one cue per tile pointing at its rectangle in `sprite_uri`.
pub fn storyboard_vtt(sprite_uri: &str, duration_secs: f64) -> String {
    let (per, tiles, cols, _, _) = layout(duration_secs);
    let mut out = String::from("WEBVTT\n");
    for i in 0..tiles {
        let start = (i * per) as f64;
        let end = (((i + 1) * per) as f64).min(duration_secs.max(start + 0.001));
        let (x, y) = ((i % cols) * TILE_W, (i / cols) * TILE_H);
        let _ = write!(
            out,
            "\n{} --> {}\n{sprite_uri}#xywh={x},{y},{TILE_W},{TILE_H}\n",
            ts(start),
            ts(end)
        );
    }
    out
}

pub async fn stills(
    input: &Path,
    out_dir: &Path,
    duration_secs: f64,
    timeout: Duration,
) -> Result<Stills, FfmpegError> {
    stills_with(Path::new("ffmpeg"), input, out_dir, duration_secs, timeout).await
}

/// The poster's scale: at most 640 px on the long side (never enlarged).
const POSTER_SCALE: &str =
    "scale=w=min(640\\,iw):h=min(640\\,ih):force_original_aspect_ratio=decrease";
/// The large poster's: at most 1280 px, for big screens.
const LARGE_SCALE: &str =
    "scale=w=min(1280\\,iw):h=min(1280\\,ih):force_original_aspect_ratio=decrease";

/// The two posters of an uploaded image (JPEG, PNG or WebP): `poster.jpg` and
/// `poster-large.jpg` in `out_dir`, scaled as a video's are.
pub async fn image_posters(
    ffmpeg: &Path,
    input: &Path,
    out_dir: &Path,
    timeout: Duration,
) -> Result<(PathBuf, PathBuf), FfmpegError> {
    let poster = out_dir.join("poster.jpg");
    let large = out_dir.join("poster-large.jpg");
    let cleanup = Cleanup::new(vec![poster.clone(), large.clone()]);
    let fc = format!("[0:v]split=2[p1][p2];[p1]{POSTER_SCALE}[poster];[p2]{LARGE_SCALE}[large]");
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-v", "error", "-i"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(format!("file:{}", input.display()));
    for (label, quality, path) in [("[poster]", "5", &poster), ("[large]", "4", &large)] {
        if label == "[poster]" {
            args.extend(["-filter_complex".to_owned(), fc.clone()]);
        }
        args.extend(
            ["-map", label, "-frames:v", "1", "-q:v", quality]
                .iter()
                .map(|s| s.to_string()),
        );
        args.push(path.display().to_string());
    }
    let out = run_tool(
        ffmpeg.as_os_str(),
        &args,
        timeout,
        None,
        StdoutMode::Collect { limit: 4096 },
    )
    .await?;
    if !out.status.success() {
        return Err(super::ffmpeg::failed(out));
    }
    if !poster.exists() || !large.exists() {
        return Err(FfmpegError::BadOutput(
            "posters missing after ffmpeg run".into(),
        ));
    }
    cleanup.disarm();
    Ok((poster, large))
}

pub async fn stills_with(
    ffmpeg: &Path,
    input: &Path,
    out_dir: &Path,
    duration_secs: f64,
    timeout: Duration,
) -> Result<Stills, FfmpegError> {
    let (per, tiles, cols, rows, n) = layout(duration_secs);
    let d = duration_secs.max(0.1);
    let interval = d / (n + 1) as f64;
    let poster = out_dir.join("poster.jpg");
    let poster_large = out_dir.join("poster-large.jpg");
    let sprite = out_dir.join("sprite.jpg");
    let vtt = out_dir.join("storyboard.vtt");
    let thumbnails: Vec<PathBuf> = (1..=n)
        .map(|i| out_dir.join(format!("thumb_{i:02}.jpg")))
        .collect();
    let mut all = vec![
        poster.clone(),
        poster_large.clone(),
        sprite.clone(),
        vtt.clone(),
    ];
    all.extend(thumbnails.iter().cloned());
    let cleanup = Cleanup::new(all);

    // One decode feeding three branches. `select` keeps the first frame at/after each target
    // time (then one per interval), which is exact for any GOP, unlike input seeking.
    let fc = format!(
        "[0:v]split=3[a][b][c];\
         [a]select=gte(t\\,{p:.3}),split=2[p1][p2];\
         [p1]{POSTER_SCALE}[poster];[p2]{LARGE_SCALE}[large];\
         [b]select=gte(t\\,{i:.3})*isnan(prev_selected_t)+gte(t-prev_selected_t\\,{i:.3}),\
         scale=320:-2[thumbs];\
         [c]fps=1/{per},scale={TILE_W}:{TILE_H}:force_original_aspect_ratio=decrease,\
         pad={TILE_W}:{TILE_H}:(ow-iw)/2:(oh-ih)/2,tile={cols}x{rows}[sprite]",
        p = d * 0.1,
        i = interval,
    );
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-v", "error", "-an", "-i"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(format!("file:{}", input.display()));
    let thumb_pattern = out_dir.join("thumb_%02d.jpg");
    let tail: [&str; 29] = [
        "-filter_complex",
        &fc,
        "-map",
        "[poster]",
        "-frames:v",
        "1",
        "-q:v",
        "5",
        poster.to_str().unwrap_or_default(),
        "-map",
        "[large]",
        "-frames:v",
        "1",
        "-q:v",
        "4",
        poster_large.to_str().unwrap_or_default(),
        "-map",
        "[thumbs]",
        "-frames:v",
        &n.to_string(),
        "-fps_mode",
        "passthrough",
        "-q:v",
        "4",
        thumb_pattern.to_str().unwrap_or_default(),
        "-map",
        "[sprite]",
        "-frames:v",
        "1",
    ];
    args.extend(tail.iter().map(|s| s.to_string()));
    args.extend(["-q:v".into(), "4".into(), sprite.display().to_string()]);

    let out = run_tool(
        ffmpeg.as_os_str(),
        &args,
        timeout,
        None,
        StdoutMode::Collect { limit: 4096 },
    )
    .await?;
    if !out.status.success() {
        return Err(super::ffmpeg::failed(out));
    }
    // A clip shorter than the last target yields fewer thumbnails; report what exists.
    let thumbnails: Vec<PathBuf> = thumbnails.into_iter().filter(|p| p.exists()).collect();
    if !poster.exists() || !poster_large.exists() || !sprite.exists() || thumbnails.is_empty() {
        return Err(FfmpegError::BadOutput(
            "stills missing after ffmpeg run".into(),
        ));
    }
    tokio::fs::write(&vtt, storyboard_vtt("sprite.jpg", duration_secs)).await?;
    cleanup.disarm();
    Ok(Stills {
        poster,
        poster_large,
        thumbnails,
        sprite,
        vtt,
        tile_secs: per,
        tiles,
    })
}

#[cfg(test)]
mod tests {
    use super::super::ffmpeg::test_util::{audio_clip, av_clip};
    use super::super::probe::probe;
    use super::*;

    const T: Duration = Duration::from_secs(60);

    async fn dims(p: &Path) -> (u32, u32) {
        let v = probe(p, T).await.unwrap().video.unwrap();
        (v.width, v.height)
    }

    #[test]
    fn layout_caps_tiles() {
        assert_eq!(layout(10.0), (1, 10, 10, 1, 3));
        assert_eq!(layout(95.5), (1, 96, 10, 10, 4));
        assert_eq!(layout(3600.0), (36, 100, 10, 10, 5));
        assert_eq!(layout(7.0).1, 7);
        let vtt = storyboard_vtt("s.jpg", 12.5);
        let lines: Vec<&str> = vtt.lines().collect();
        assert_eq!(lines[0], "WEBVTT");
        assert_eq!(lines[2], "00:00:00.000 --> 00:00:01.000");
        assert_eq!(lines[3], "s.jpg#xywh=0,0,160,90");
        assert!(vtt.contains("00:00:12.000 --> 00:00:12.500\ns.jpg#xywh=320,90,160,90"));
        assert_eq!(vtt.matches("#xywh=").count(), 13);
    }

    #[tokio::test]
    async fn stills_from_hd_clip() {
        let d = tempfile::tempdir().unwrap();
        let src = av_clip(d.path(), "src.mp4", 1920, 1080, 12, true);
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let start = std::time::Instant::now();
        let s = stills(&src, &out, 12.0, T).await.unwrap();
        eprintln!("stills for 12 s 1080p: {:?}", start.elapsed());
        assert_eq!(dims(&s.poster).await, (640, 360));
        assert_eq!(dims(&s.poster_large).await, (1280, 720));
        assert_eq!(s.thumbnails.len(), 3);
        for t in &s.thumbnails {
            assert_eq!(dims(t).await, (320, 180));
        }
        assert_eq!((s.tiles, s.tile_secs), (12, 1));
        assert_eq!(dims(&s.sprite).await, (1600, 180));
        let vtt = std::fs::read_to_string(&s.vtt).unwrap();
        assert_eq!(vtt.matches("sprite.jpg#xywh=").count(), 12);
    }

    /// The case: a noisy 1080p lecture made a 432 KB poster. A phone's poster is now
    /// at most 640 px and under 60 KB; the big-screen one stays within 1280 px.
    #[tokio::test]
    async fn a_noisy_hd_source_makes_a_poster_that_fits_a_phone() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("noisy.mp4");
        super::super::ffmpeg::test_util::ff(&format!(
            "-v error -f lavfi -i testsrc2=size=1920x1080:rate=25:duration=3,noise=alls=40:allf=t \
             -c:v libx264 -preset ultrafast -qp 10 -pix_fmt yuv420p {}",
            src.display()
        ));
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let s = stills(&src, &out, 3.0, T).await.unwrap();
        assert_eq!(dims(&s.poster).await, (640, 360));
        let bytes = std::fs::metadata(&s.poster).unwrap().len();
        eprintln!(
            "noisy 1080p: poster {bytes} B, large {} B",
            std::fs::metadata(&s.poster_large).unwrap().len()
        );
        assert!(bytes < 60_000, "poster of {bytes} bytes");
        assert_eq!(dims(&s.poster_large).await, (1280, 720));
    }

    #[tokio::test]
    async fn portrait_small_clip_and_failures_clean_up() {
        let d = tempfile::tempdir().unwrap();
        let src = av_clip(d.path(), "p.mp4", 360, 640, 3, false);
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let s = stills(&src, &out, 3.0, T).await.unwrap();
        // Portrait: the long side is the height; never larger than the source.
        assert_eq!(dims(&s.poster).await, (360, 640));
        assert_eq!(dims(&s.poster_large).await, (360, 640));
        assert_eq!(dims(&s.sprite).await, (480, 90));
        // No video stream: ffmpeg fails and nothing is left behind.
        let a = audio_clip(d.path(), "a.m4a", 2);
        let out2 = d.path().join("out2");
        std::fs::create_dir(&out2).unwrap();
        let e = stills(&a, &out2, 2.0, T).await.unwrap_err();
        assert!(matches!(e, FfmpegError::Failed { .. }), "{e:?}");
        assert_eq!(std::fs::read_dir(&out2).unwrap().count(), 0);
        let e = stills_with(Path::new("/nope/ffmpeg"), &src, &out2, 3.0, T).await;
        assert!(matches!(e, Err(FfmpegError::NotFound(_))));
    }
}
