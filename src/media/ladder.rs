//! ABR ladder: plan the rungs from a probe, then encode all of them in ONE ffmpeg run that
//! decodes the upload once and writes one fragmented MP4 per rung.
//!
//! ffmpeg-sidecar builds the command (with the `-loglevel level+info` its parser expects) and
//! parses ffmpeg's progress and log lines from stderr. The process itself is spawned through
//! tokio from the sidecar's `Command`, so the shared runner can kill it on timeout,
//! cancellation or shutdown; the sidecar's own blocking iterator owns its child and could not.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::watch;

use super::ffmpeg::{run_command, Cleanup, FfmpegError, StdoutMode};
use super::probe::Probe;
use super::{fmp4, hls};

#[derive(Debug, Clone, PartialEq)]
pub struct Rung {
    /// "240p"… for video, "audio" for the audio-only rung; also the output file stem.
    pub name: String,
    pub role: &'static str,
    pub width: u32,
    pub height: u32,
    pub video_kbps: u32,
    pub audio_kbps: Option<u32>,
    pub audio_channels: u32,
    pub profile: &'static str,
    pub fps: f64,
}

#[derive(Debug, Clone)]
pub struct LadderConfig {
    pub ffmpeg: PathBuf,
    pub preset: String,
    /// (label applied to the shorter side, video kb/s), ascending.
    pub steps: Vec<(u32, u32)>,
    pub video_audio_kbps: u32,
    pub audio_only_kbps: u32,
    pub keyframe_secs: u32,
}

impl Default for LadderConfig {
    fn default() -> Self {
        LadderConfig {
            ffmpeg: PathBuf::from("ffmpeg"),
            preset: "veryfast".into(),
            steps: vec![
                (240, 400),
                (360, 800),
                (540, 1400),
                (720, 2800),
                (1080, 5000),
            ],
            video_audio_kbps: 96,
            audio_only_kbps: 64,
            keyframe_secs: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenditionFile {
    pub role: &'static str,
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    /// Target bit rate (video + audio), bits/s.
    pub bitrate: u64,
    /// RFC 6381, read back from the written sample entries (avcC/esds).
    pub codecs: String,
    pub bytes: u64,
}

/// Nearest even value: yuv420p needs even dimensions.
fn even(x: f64) -> u32 {
    (((x / 2.0).round() as u32) * 2).max(2)
}

pub fn plan(probe: &Probe, cfg: &LadderConfig) -> Vec<Rung> {
    let channels = probe.audio.as_ref().map(|a| a.channels.clamp(1, 2));
    let mut rungs = Vec::new();
    if let Some(v) = &probe.video {
        // Display size: ffmpeg autorotates before the filter graph sees the frames.
        let (w, h) = (v.display_width as f64, v.display_height as f64);
        let short = w.min(h);
        let mut push = |name: String, rw: u32, rh: u32, kbps: u32| {
            rungs.push(Rung {
                profile: if rw.min(rh) <= 240 {
                    "baseline"
                } else {
                    "main"
                },
                name,
                role: "video",
                width: rw,
                height: rh,
                video_kbps: kbps,
                audio_kbps: channels.map(|_| cfg.video_audio_kbps),
                audio_channels: channels.unwrap_or(0),
                fps: v.fps,
            })
        };
        let scaled = |label: u32| {
            let l = label as f64;
            if w >= h {
                (even(l * w / h), label)
            } else {
                (label, even(l * h / w))
            }
        };
        let fitting: Vec<&(u32, u32)> = cfg.steps.iter().filter(|s| s.0 as f64 <= short).collect();
        for &&(label, kbps) in &fitting {
            let (rw, rh) = scaled(label);
            push(format!("{label}p"), rw, rh, kbps);
        }
        if fitting.is_empty() {
            // Tiny source: one rung at its own size rather than upscaling to the first step.
            let kbps = cfg.steps.first().map_or(400, |s| s.1);
            push(format!("{}p", short as u32), even(w), even(h), kbps);
        }
    }
    if let Some(ch) = channels {
        rungs.push(Rung {
            name: "audio".into(),
            role: "audio",
            width: 0,
            height: 0,
            video_kbps: 0,
            audio_kbps: Some(cfg.audio_only_kbps),
            audio_channels: ch,
            profile: "",
            fps: 0.0,
        });
    }
    rungs
}

pub fn output_path(out_dir: &Path, rung: &Rung) -> PathBuf {
    let ext = if rung.role == "audio" { "m4a" } else { "mp4" };
    out_dir.join(format!("{}.{ext}", rung.name))
}

/// Exact ffmpeg argument vector (without the binary), shared by `transcode` and benchmarks.
pub fn ladder_args(
    input: &Path,
    out_dir: &Path,
    rungs: &[Rung],
    cfg: &LadderConfig,
) -> Vec<String> {
    // Option templates are split on spaces; only paths (pushed whole) may contain spaces.
    let words = |t: String| t.split_whitespace().map(String::from).collect::<Vec<_>>();
    let mut a = words("-hide_banner -nostdin -y -i".into());
    a.push(format!("file:{}", input.display()));
    let video: Vec<&Rung> = rungs.iter().filter(|r| r.role == "video").collect();
    if !video.is_empty() {
        let mut fc = format!("[0:v]split={}", video.len());
        (0..video.len()).for_each(|i| fc.push_str(&format!("[s{i}]")));
        for (i, r) in video.iter().enumerate() {
            let (w, h) = (r.width, r.height);
            fc.push_str(&format!(
                ";[s{i}]scale={w}:{h},setsar=1,format=yuv420p[v{i}]"
            ));
        }
        a.extend(["-filter_complex".to_string(), fc]);
    }
    let k = cfg.keyframe_secs.max(1);
    let strip = "-map_metadata -1 -map_chapters -1 -f mp4";
    for (i, r) in video.iter().enumerate() {
        let g = if r.fps > 0.0 {
            (r.fps * k as f64).round() as u32
        } else {
            50
        }
        .max(1);
        let kb = r.video_kbps;
        // Identical, time-based keyframes in every rung make fragments switchable; a fixed
        // GOP without scene cuts stops x264 adding keyframes that differ between rungs.
        // No B-frames (-bf 0): in fragmented output ffmpeg 5.1 writes no edit list to hide
        // their decode delay, so video would start 2 frames late (A/V offset, rung-dependent
        // timestamps). The bit-rate cost is small at these rates.
        a.extend(words(format!(
            "-map [v{i}] -c:v libx264 -preset {} -profile:v {} -b:v {kb}k -maxrate {}k \
             -bufsize {}k -g {g} -keyint_min {g} -sc_threshold 0 -bf 0 \
             -force_key_frames expr:gte(t,n_forced*{k})",
            cfg.preset,
            r.profile,
            kb * 11 / 10,
            kb * 2,
        )));
        if let Some(ab) = r.audio_kbps {
            let ch = r.audio_channels;
            a.extend(words(format!("-map 0:a:0 -c:a aac -b:a {ab}k -ac {ch}")));
        }
        // negative_cts_offsets (trun v1) keeps later fragments from drifting by the AAC
        // priming delay; global_sidx gives progressive players a seek index up front.
        let flags = "+frag_keyframe+empty_moov+default_base_moof+global_sidx+negative_cts_offsets";
        a.extend(words(format!("-movflags {flags} {strip}")));
        a.push(output_path(out_dir, r).display().to_string());
    }
    for r in rungs.iter().filter(|r| r.role == "audio") {
        let (ab, ch) = (
            r.audio_kbps.unwrap_or(cfg.audio_only_kbps),
            r.audio_channels,
        );
        // Every AAC frame is a sync sample, so frag_keyframe would make 23 ms fragments;
        // cut by duration instead, matching the video segment length.
        a.extend(words(format!(
            "-map 0:a:0 -vn -c:a aac -b:a {ab}k -ac {ch} \
             -movflags +empty_moov+default_base_moof+global_sidx -frag_duration {} {strip}",
            k as u64 * 1_000_000
        )));
        a.push(output_path(out_dir, r).display().to_string());
    }
    a
}

#[allow(clippy::too_many_arguments)]
pub async fn transcode(
    input: &Path,
    out_dir: &Path,
    rungs: &[Rung],
    cfg: &LadderConfig,
    duration_secs: f64,
    mut on_progress: impl FnMut(u8) + Send + 'static,
    cancel: watch::Receiver<bool>,
    timeout: Duration,
) -> Result<Vec<RenditionFile>, FfmpegError> {
    if rungs.is_empty() {
        return Ok(Vec::new());
    }
    let paths: Vec<PathBuf> = rungs.iter().map(|r| output_path(out_dir, r)).collect();
    let cleanup = Cleanup::new(paths.clone());
    let args = ladder_args(input, out_dir, rungs, cfg);
    let total = duration_secs.max(0.001);
    let (progress_tx, mut progress_rx) = watch::channel(0.0f64);
    // Capped at 99 until the outputs are verified, so 100 always means "usable".
    let reporter = tokio::spawn(async move {
        let mut last = 0u8;
        while progress_rx.changed().await.is_ok() {
            let secs = *progress_rx.borrow_and_update();
            let pct = (secs / total * 100.0).clamp(0.0, 99.0) as u8;
            if pct > last {
                last = pct;
                on_progress(pct);
            }
        }
        on_progress
    });
    let mut command = ffmpeg_sidecar::command::FfmpegCommand::new_with_path(&cfg.ffmpeg);
    command.args(&args);
    let out = run_command(
        command.into(),
        timeout,
        Some(cancel),
        StdoutMode::Collect { limit: 0 },
        Some(progress_tx),
    )
    .await;
    let mut on_progress = reporter
        .await
        .map_err(|e| FfmpegError::BadOutput(e.to_string()))?;
    let out = out?;
    if !out.status.success() {
        return Err(super::ffmpeg::failed(out));
    }
    let mut files = Vec::with_capacity(rungs.len());
    for (r, path) in rungs.iter().zip(paths) {
        let p = path.clone();
        let idx = tokio::task::spawn_blocking(move || fmp4::index_file(&p))
            .await
            .map_err(|e| FfmpegError::BadOutput(e.to_string()))?
            .map_err(|e| FfmpegError::BadOutput(format!("{}: {e}", path.display())))?;
        files.push(RenditionFile {
            role: r.role,
            bytes: std::fs::metadata(&path)?.len(),
            path,
            width: r.width,
            height: r.height,
            bitrate: (r.video_kbps as u64 + r.audio_kbps.unwrap_or(0) as u64) * 1000,
            codecs: hls::codecs(&idx),
        });
    }
    cleanup.disarm();
    on_progress(100);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::super::ffmpeg::test_util::{audio_clip, av_clip, fake_probe};
    use super::super::hls::{master_playlist, media_playlist, Variant};
    use super::super::probe::probe;
    use super::*;
    use std::io::{Read, Seek, SeekFrom};
    use std::sync::{Arc, Mutex};

    const T: Duration = Duration::from_secs(300);
    const LAND: [(u32, u32); 5] = [
        (426, 240),
        (640, 360),
        (960, 540),
        (1280, 720),
        (1920, 1080),
    ];

    fn cfg() -> LadderConfig {
        let preset = "ultrafast".into();
        LadderConfig {
            preset,
            ..LadderConfig::default()
        }
    }

    fn dims(r: &[Rung]) -> Vec<(u32, u32, &str)> {
        r.iter().map(|r| (r.width, r.height, r.role)).collect()
    }

    #[test]
    fn plans() {
        let c = LadderConfig::default();
        let p = plan(&fake_probe(1920, 1080, true), &c);
        let names: Vec<&str> = p.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["240p", "360p", "540p", "720p", "1080p", "audio"]);
        assert_eq!(dims(&p)[..2], [(426, 240, "video"), (640, 360, "video")]);
        let facts = (p[0].profile, p[1].profile, p[5].audio_channels);
        assert_eq!(facts, ("baseline", "main", 2));
        let p = plan(&fake_probe(1080, 1920, false), &c);
        let widths: Vec<u32> = p.iter().map(|r| r.width).collect();
        assert_eq!(widths, [240, 360, 540, 720, 1080]);
        assert_eq!(
            (p[0].height, p[4].height, p[0].audio_kbps),
            (426, 1920, None)
        );
        assert_eq!(dims(&plan(&fake_probe(960, 540, true), &c)).len(), 4);
        assert_eq!(dims(&plan(&fake_probe(0, 0, true), &c)), [(0, 0, "audio")]);
        let tiny = plan(&fake_probe(175, 143, false), &c);
        assert_eq!(dims(&tiny), [(176, 144, "video")]);
        let rungs = plan(&fake_probe(1280, 720, true), &c);
        let args = ladder_args(Path::new("in.mp4"), Path::new("/o"), &rungs, &c);
        assert!(args
            .iter()
            .any(|a| a.starts_with("[0:v]split=4[s0][s1][s2][s3];")));
        let forced = args.iter().filter(|a| *a == "expr:gte(t,n_forced*2)");
        assert_eq!(forced.count(), 4);
        assert_eq!(args.last().unwrap(), "/o/audio.m4a");
    }

    fn keyframes(p: &Path) -> Vec<String> {
        let args = "-v error -select_streams v -skip_frame nokey -show_entries frame=pts_time";
        let mut cmd = std::process::Command::new("ffprobe");
        cmd.args(args.split(' ')).args(["-of", "csv=p=0"]).arg(p);
        let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        out.split_whitespace()
            .map(|s| s.trim_end_matches(',').to_string())
            .collect()
    }

    fn read_at(p: &Path, off: u64, n: usize) -> Vec<u8> {
        let mut f = std::fs::File::open(p).unwrap();
        f.seek(SeekFrom::Start(off)).unwrap();
        let mut b = vec![0; n];
        f.read_exact(&mut b).unwrap();
        b
    }

    /// Checks one rendition's byte-range playlist against the real file; returns its Variant.
    fn check_playlist(f: &RenditionFile, src_secs: f64) -> Variant {
        let idx = fmp4::index_file(&f.path).unwrap();
        assert_eq!(&read_at(&f.path, idx.init_offset + 4, 4), b"ftyp");
        let mut total = 0.0;
        for l in media_playlist("x.mp4", &idx).lines() {
            if let Some(d) = l.strip_prefix("#EXTINF:") {
                total += d.trim_end_matches(',').parse::<f64>().unwrap();
            }
            if let Some(r) = l.strip_prefix("#EXT-X-BYTERANGE:") {
                let (len, off) = r.split_once('@').unwrap();
                let (len, off): (u64, u64) = (len.parse().unwrap(), off.parse().unwrap());
                assert!(off + len <= f.bytes);
                assert_eq!(&read_at(&f.path, off + 4, 4), b"moof");
            }
        }
        assert!((total - src_secs).abs() < 0.5, "EXTINF sum {total}");
        let res = (f.role == "video").then_some((f.width, f.height));
        Variant::from_index(&format!("{}.m3u8", f.bytes), &idx, res)
    }

    /// Full pipeline on a generated clip; returns the renditions after checking them.
    async fn run_ladder(src: &Path, out: &Path, expect: &[(u32, u32)]) -> Vec<RenditionFile> {
        std::fs::create_dir_all(out).unwrap();
        let sp = probe(src, T).await.unwrap();
        let rungs = plan(&sp, &cfg());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let progress = move |p| s2.lock().unwrap().push(p);
        let (_tx, rx) = watch::channel(false);
        let start = std::time::Instant::now();
        let files = transcode(src, out, &rungs, &cfg(), sp.duration_secs, progress, rx, T).await;
        let (files, secs) = (files.unwrap(), sp.duration_secs);
        eprintln!(
            "ladder {} rungs, {secs:.1}s source: {:?}",
            rungs.len(),
            start.elapsed()
        );
        let seen = seen.lock().unwrap().clone();
        assert!(seen.windows(2).all(|w| w[0] < w[1]) && seen.last() == Some(&100));
        let video: Vec<&RenditionFile> = files.iter().filter(|f| f.role == "video").collect();
        let sizes: Vec<(u32, u32)> = video.iter().map(|f| (f.width, f.height)).collect();
        assert_eq!(sizes, expect);
        let audio_files = files.iter().filter(|f| f.role == "audio").count();
        assert_eq!(audio_files, sp.audio.is_some() as usize);
        let mut variants = Vec::new();
        for f in &files {
            let p = probe(&f.path, T).await.unwrap();
            assert!(
                (p.duration_secs - secs).abs() < 0.5,
                "{f:?} {}",
                p.duration_secs
            );
            if let Some(v) = p.video {
                assert_eq!(
                    (v.codec.as_str(), v.width, v.height),
                    ("h264", f.width, f.height)
                );
                assert!(
                    f.codecs.starts_with("avc1.") && f.role == "video",
                    "{}",
                    f.codecs
                );
            } else {
                assert_eq!((f.codecs.as_str(), f.role), ("mp4a.40.2", "audio"));
            }
            assert_eq!(p.audio.is_some(), sp.audio.is_some());
            variants.push(check_playlist(f, secs));
        }
        let kf: Vec<Vec<String>> = video.iter().map(|f| keyframes(&f.path)).collect();
        if let Some(first) = kf.first() {
            let every2 = (0..).map(|i| format!("{:.6}", i as f64 * 2.0));
            let want: Vec<String> = every2
                .take_while(|t| t.parse::<f64>().unwrap() < secs)
                .collect();
            assert_eq!(first, &want);
            assert!(kf.iter().all(|k| k == first), "keyframes differ: {kf:?}");
        }
        let (audio, vids): (Vec<_>, Vec<_>) =
            variants.into_iter().partition(|v| v.resolution.is_none());
        let m = master_playlist(&vids, audio.first(), &[]);
        assert_eq!(m.matches("#EXT-X-STREAM-INF").count(), files.len());
        files
    }

    #[tokio::test]
    async fn ladder_1080p_with_audio() {
        let d = tempfile::tempdir().unwrap();
        let src = av_clip(d.path(), "src.mp4", 1920, 1080, 10, true);
        run_ladder(&src, &d.path().join("out"), &LAND).await;
    }

    #[tokio::test]
    async fn ladder_540p_and_portrait() {
        let d = tempfile::tempdir().unwrap();
        let src = av_clip(d.path(), "src.mp4", 960, 540, 4, true);
        run_ladder(&src, d.path(), &LAND[..3]).await;
        let src = av_clip(d.path(), "p.mp4", 1080, 1920, 3, false);
        let portrait: Vec<(u32, u32)> = LAND.iter().map(|&(w, h)| (h, w)).collect();
        run_ladder(&src, &d.path().join("p"), &portrait).await;
    }

    #[tokio::test]
    async fn ladder_audio_only() {
        let d = tempfile::tempdir().unwrap();
        let src = audio_clip(d.path(), "a.m4a", 5);
        let files = run_ladder(&src, &d.path().join("out"), &[]).await;
        assert!(files.len() == 1 && files[0].path.ends_with("audio.m4a"));
    }

    #[tokio::test]
    async fn cancel_timeout_and_missing_binary_leave_no_files() {
        let d = tempfile::tempdir().unwrap();
        let src = av_clip(d.path(), "src.mp4", 640, 360, 20, true);
        let sp = probe(&src, T).await.unwrap();
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let c = LadderConfig {
            preset: "medium".into(),
            ..cfg()
        };
        let (rungs, secs) = (plan(&sp, &c), sp.duration_secs);
        let (tx, rx) = watch::channel(false);
        let cancel_at_5 = move |p| {
            if p >= 5 {
                let _ = tx.send(true);
            }
        };
        let r = transcode(&src, &out, &rungs, &c, secs, cancel_at_5, rx, T).await;
        assert!(matches!(r, Err(FfmpegError::Cancelled)), "{r:?}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
        let (_tx, rx) = watch::channel(false);
        let short = Duration::from_millis(300);
        let r = transcode(&src, &out, &rungs, &c, secs, |_| {}, rx, short).await;
        assert!(matches!(r, Err(FfmpegError::TimedOut(_))), "{r:?}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
        let bogus = LadderConfig {
            ffmpeg: "/nonexistent/ffmpeg".into(),
            ..cfg()
        };
        let (_tx, rx) = watch::channel(false);
        let r = transcode(&src, &out, &rungs, &bogus, 1.0, |_| {}, rx, T).await;
        assert!(matches!(r, Err(FfmpegError::NotFound(_))));
    }
}
