//! Caravan's HLS read by players no one here wrote: the real `ffprobe` and `ffmpeg` over HTTP,
//! with signed URLs, on the local store and on S3 (the browser players are in `browser.rs`).
//! Recent ffmpeg builds follow only segment and map URLs that end in a media extension, so
//! this is also the test that media URLs carry one.

use std::{path::Path, process::Command, time::Duration};

use serde_json::Value;

use crate::support::{media::av_clip, Backend, S3Server, TestApp};

/// `ffprobe` of a URL as JSON: streams and programs (one program per variant of a master).
fn ffprobe(url: &str) -> Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json"])
        .args(["-show_streams", "-show_programs", "-show_format"])
        .arg(url)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "ffprobe {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `ffmpeg -i URL -c copy` into `out`, as a download tool would; the copy's probe.
fn copy(url: &str, out: &Path) -> Value {
    let run = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i", url, "-map", "0", "-c", "copy"])
        .arg(out)
        .output()
        .expect("ffmpeg runs");
    assert!(
        run.status.success(),
        "ffmpeg -i {url} -c copy: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    ffprobe(out.to_str().unwrap())
}

fn duration(probe: &Value) -> f64 {
    probe["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {probe}"))
}

async fn every_rung_reads_with_ffprobe_and_ffmpeg(app: TestApp) {
    let root = app.superadmin().await;
    let org = app.create_org(&root, "players").await;
    let teacher = app.member(&root, &org, "teacher").await;
    let dir = tempfile::tempdir().unwrap();
    let source = av_clip(dir.path(), "talk.mp4", "960x540", 3);
    let id = app
        .upload(&teacher, &source, &[("filename", "talk.mp4")])
        .await;
    let asset = app
        .wait_asset(Some(&teacher), &id, Duration::from_secs(180))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    let captions = app.attach_captions(&teacher, &id, "en").await;
    assert_eq!(captions["status"], "ready", "{captions}");
    let asset = app
        .get(&format!("/api/v1/assets/{id}"), Some(&teacher))
        .await
        .body;

    // Every media URL names its type, and the private course's URLs are signed.
    for r in asset["renditions"].as_array().unwrap() {
        let url = r["url"].as_str().unwrap();
        let ext = match r["mime"].as_str().unwrap() {
            "video/mp4" => ".mp4?",
            "audio/mp4" => ".m4a?",
            "image/jpeg" => ".jpg?",
            "text/vtt" => ".vtt?",
            other => panic!("unexpected type {other}"),
        };
        assert!(url.contains(ext) && url.contains("sig="), "{url}");
    }

    // The master, as a player given only its URL (no cookie, no token) reads it.
    let master = app.url(asset["hls"].as_str().unwrap());
    let probe = ffprobe(&master);
    let programs = probe["programs"].as_array().unwrap();
    let video_rungs = asset["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == "video")
        .count();
    assert_eq!(video_rungs, 3, "{asset}");
    assert_eq!(programs.len(), video_rungs + 1, "every variant: {probe}");
    let mut heights: Vec<i64> = probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["height"].as_i64())
        .collect();
    heights.sort();
    heights.dedup();
    assert_eq!(heights, vec![240, 360, 540]);

    // Each variant playlist on its own, probed and copied out whole.
    let (_, _, text) = app.bytes(asset["hls"].as_str().unwrap(), None).await;
    let text = String::from_utf8(text).unwrap();
    let base = master
        .split('?')
        .next()
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .0;
    let variants: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| match l.starts_with('/') {
            true => app.url(l),
            false => format!("{base}/{l}"),
        })
        .collect();
    assert_eq!(variants.len(), video_rungs + 1, "{text}");
    for (i, url) in variants.iter().enumerate() {
        let probe = ffprobe(url);
        let streams = probe["streams"].as_array().unwrap();
        assert!(
            streams.iter().any(|s| s["codec_name"] == "aac"),
            "{url}: {probe}"
        );
        let copied = copy(url, &dir.path().join(format!("rung-{i}.mp4")));
        assert!(
            (duration(&copied) - 3.0).abs() < 0.5,
            "{url} copies out whole: {copied}"
        );
        let video = copied["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["codec_type"] == "video");
        if let Some(video) = video {
            assert_eq!(video["codec_name"], "h264");
        }
    }

    // The whole master with -c copy: the player's default pick, every byte fetched over HTTP.
    let copied = copy(&master, &dir.path().join("master.mp4"));
    assert!((duration(&copied) - 3.0).abs() < 0.5, "{copied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_reads_every_rung_from_the_local_store() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.ffmpeg_preset = "ultrafast".into();
        s.job_poll = Duration::from_millis(100);
    })
    .await;
    every_rung_reads_with_ffprobe_and_ffmpeg(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_reads_every_rung_from_s3() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        S3Server::shared().store_in(s, "players", "m");
        s.ffmpeg_preset = "ultrafast".into();
        s.job_poll = Duration::from_millis(100);
    })
    .await;
    every_rung_reads_with_ffprobe_and_ffmpeg(app).await;
}
