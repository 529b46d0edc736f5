//! Video and audio through the whole pipeline: upload → probe → one-pass ladder → HLS, checked
//! with ffprobe and by fetching every byte range the playlists name.

use std::{path::Path, process::Command, time::Duration};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{
    media::{audio_clip, av_clip},
    Backend, TestApp,
};

async fn spawn(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn_with(backend, |s| {
        s.ffmpeg_preset = "ultrafast".into();
        s.job_poll = Duration::from_millis(100);
    })
    .await;
    let root = app.superadmin().await;
    let org = app.create_org(&root, "media-college").await;
    let teacher = app.member(&root, &org, "teacher").await;
    (app, teacher)
}

fn rungs(asset: &Value, role: &str) -> Vec<Value> {
    asset["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == role)
        .cloned()
        .collect()
}

/// Keyframe times of a file's video stream.
fn keyframes(path: &Path) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-skip_frame",
            "nokey",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().trim_end_matches(',').to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn probe_json(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks a media playlist: v7, an init section that is `ftyp…`, segments that each start with
/// a `moof` box, durations adding up to the source's.
async fn check_media_playlist(app: &TestApp, token: &str, url: &str, expected_secs: f64) {
    let (status, headers, body) = app.bytes_as(Some(token), url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/vnd.apple.mpegurl");
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.starts_with("#EXTM3U")
            && text.contains("#EXT-X-VERSION:7")
            && text.contains("#EXT-X-ENDLIST"),
        "{text}"
    );
    let map = text
        .lines()
        .find(|l| l.starts_with("#EXT-X-MAP:"))
        .expect("EXT-X-MAP");
    let attr = |line: &str, key: &str| -> String {
        let start = line.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        line[start..].split('"').next().unwrap().to_owned()
    };
    let range_of = |spec: &str| -> (u64, u64) {
        let (len, off) = spec.split_once('@').unwrap();
        (off.parse().unwrap(), len.parse().unwrap())
    };
    let (off, len) = range_of(&attr(map, "BYTERANGE"));
    let uri = attr(map, "URI");
    let (s, _, init) = app
        .bytes(&uri, Some(&format!("bytes={}-{}", off, off + len - 1)))
        .await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&init[4..8], b"ftyp");
    let lines: Vec<&str> = text.lines().collect();
    let mut total = 0.0;
    let mut segments = 0;
    for (i, line) in lines.iter().enumerate() {
        if let Some(d) = line.strip_prefix("#EXTINF:") {
            total += d.trim_end_matches(',').parse::<f64>().unwrap();
            let (off, len) = range_of(
                lines[i + 1]
                    .strip_prefix("#EXT-X-BYTERANGE:")
                    .expect("byte range after EXTINF"),
            );
            let seg_uri = lines[i + 2];
            let (s, h, bytes) = app
                .bytes(seg_uri, Some(&format!("bytes={}-{}", off, off + len - 1)))
                .await;
            assert_eq!(s, StatusCode::PARTIAL_CONTENT);
            assert_eq!(h["content-length"], len.to_string());
            assert_eq!(
                &bytes[4..8],
                b"moof",
                "segment {segments} of {url} starts with a moof box"
            );
            segments += 1;
        }
    }
    assert!(segments >= 1);
    assert!(
        (total - expected_secs).abs() < 0.5,
        "{url}: segments add up to {total}, source is {expected_secs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1080p_lecture_becomes_an_aligned_ladder_with_hls() {
    let (app, teacher) = spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let source = av_clip(dir.path(), "lecture.mov", "1920x1080", 4);
    let id = app
        .upload(&teacher, &source, &[("filename", "lecture.mov")])
        .await;
    let asset = app
        .wait_asset(Some(&teacher), &id, Duration::from_secs(240))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    assert_eq!(asset["kind"], "video");
    assert_eq!(
        (asset["width"].as_i64(), asset["height"].as_i64()),
        (Some(1920), Some(1080))
    );
    assert!((asset["duration_seconds"].as_f64().unwrap() - 4.0).abs() < 0.2);
    assert_eq!(asset["progress"], 100);

    let video = rungs(&asset, "video");
    let mut heights: Vec<i64> = video
        .iter()
        .map(|r| r["height"].as_i64().unwrap())
        .collect();
    heights.sort();
    assert_eq!(heights, vec![240, 360, 540, 720, 1080]);
    assert_eq!(
        rungs(&asset, "audio").len(),
        1,
        "an audio-only rung for the slowest links"
    );
    for role in ["poster", "storyboard", "storyboard-vtt"] {
        assert_eq!(rungs(&asset, role).len(), 1, "{role}");
    }
    assert!(rungs(&asset, "thumbnail").len() >= 3);
    let poster = asset["poster"].as_str().unwrap();
    let (_, h, jpeg) = app.bytes(poster, None).await;
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let vtt = rungs(&asset, "storyboard-vtt")[0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, vtt) = app.bytes(&vtt, None).await;
    let vtt = String::from_utf8(vtt).unwrap();
    assert!(vtt.starts_with("WEBVTT") && vtt.contains("#xywh="), "{vtt}");

    // Every rung is one fMP4 file that also plays on its own; keyframes line up across rungs.
    let mut first_keyframes = None;
    for r in &video {
        let (_, h, bytes) = app.bytes(r["url"].as_str().unwrap(), None).await;
        assert_eq!(h["content-type"], "video/mp4");
        assert_eq!(h["content-length"], bytes.len().to_string());
        let path = dir
            .path()
            .join(format!("{}.mp4", r["name"].as_str().unwrap()));
        std::fs::write(&path, &bytes).unwrap();
        let probe = probe_json(&path);
        let v = probe["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["codec_type"] == "video")
            .unwrap();
        assert_eq!(v["codec_name"], "h264");
        assert_eq!(v["height"].as_i64(), r["height"].as_i64());
        assert!(probe["streams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["codec_name"] == "aac"));
        let secs: f64 = probe["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((secs - 4.0).abs() < 0.5, "{secs}");
        let kf = keyframes(&path);
        assert!(kf.len() >= 2, "{kf:?}");
        match &first_keyframes {
            None => first_keyframes = Some(kf),
            Some(first) => assert_eq!(
                &kf, first,
                "keyframes of {} align with the others",
                r["name"]
            ),
        }
    }

    let master_url = asset["hls"].as_str().unwrap();
    let (_, h, master) = app.bytes_as(Some(&teacher), master_url, None).await;
    assert_eq!(h["content-type"], "application/vnd.apple.mpegurl");
    let master = String::from_utf8(master).unwrap();
    let variants: Vec<&str> = master
        .lines()
        .filter(|l| l.starts_with("#EXT-X-STREAM-INF:"))
        .collect();
    assert_eq!(variants.len(), 6, "{master}");
    for v in &variants {
        assert!(v.contains("BANDWIDTH=") && v.contains("CODECS=\""), "{v}");
    }
    assert_eq!(
        variants
            .iter()
            .filter(|v| v.contains("RESOLUTION="))
            .count(),
        5
    );
    assert!(variants
        .iter()
        .any(|v| v.contains("RESOLUTION=1920x1080") && v.contains("avc1.")));
    let base = master_url.rsplit_once('/').unwrap().0;
    for line in master.lines().filter(|l| l.ends_with(".m3u8")) {
        check_media_playlist(&app, &teacher, &format!("{base}/{line}"), 4.0).await;
    }

    // Captions attached afterwards join the master playlist as a subtitles group.
    assert_eq!(
        app.attach_captions(&teacher, &id, "en").await["status"],
        "ready"
    );
    let (_, _, master) = app.bytes_as(Some(&teacher), master_url, None).await;
    let master = String::from_utf8(master).unwrap();
    let media = master
        .lines()
        .find(|l| l.starts_with("#EXT-X-MEDIA:TYPE=SUBTITLES"))
        .expect("subtitles group");
    assert!(media.contains("LANGUAGE=\"en\""), "{media}");
    assert!(
        master
            .lines()
            .filter(|l| l.starts_with("#EXT-X-STREAM-INF"))
            .all(|l| l.contains("SUBTITLES=")),
        "{master}"
    );
    let (s, _, playlist) = app
        .bytes_as(Some(&teacher), &format!("{base}/captions-en.m3u8"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8(playlist).unwrap().contains("/media/"));
}

async fn smaller_sources(backend: Backend) {
    let (app, teacher) = spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    // 540p never gets rungs above its own height.
    let source = av_clip(dir.path(), "540.mp4", "960x540", 2);
    let id = app
        .upload(&teacher, &source, &[("filename", "540.mp4")])
        .await;
    let asset = app
        .wait_asset(Some(&teacher), &id, Duration::from_secs(120))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    let mut heights: Vec<i64> = rungs(&asset, "video")
        .iter()
        .map(|r| r["height"].as_i64().unwrap())
        .collect();
    heights.sort();
    assert_eq!(heights, vec![240, 360, 540]);

    // Portrait: the rung applies to the shorter side.
    let source = av_clip(dir.path(), "portrait.mp4", "540x960", 2);
    let id = app
        .upload(&teacher, &source, &[("filename", "portrait.mp4")])
        .await;
    let asset = app
        .wait_asset(Some(&teacher), &id, Duration::from_secs(120))
        .await;
    let mut widths: Vec<i64> = rungs(&asset, "video")
        .iter()
        .map(|r| r["width"].as_i64().unwrap())
        .collect();
    widths.sort();
    assert_eq!(widths, vec![240, 360, 540]);
    assert!(rungs(&asset, "video")
        .iter()
        .all(|r| r["height"].as_i64() > r["width"].as_i64()));

    // Audio gets the audio rung only.
    let source = audio_clip(dir.path(), "talk.m4a", 3);
    let id = app
        .upload(&teacher, &source, &[("filename", "talk.m4a")])
        .await;
    let asset = app
        .wait_asset(Some(&teacher), &id, Duration::from_secs(60))
        .await;
    assert_eq!(asset["status"], "ready", "{asset}");
    assert_eq!(asset["kind"], "audio");
    let names: Vec<&str> = asset["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["audio"]);
    let (_, _, master) = app
        .bytes_as(Some(&teacher), asset["hls"].as_str().unwrap(), None)
        .await;
    let master = String::from_utf8(master).unwrap();
    assert_eq!(
        master
            .lines()
            .filter(|l| l.starts_with("#EXT-X-STREAM-INF"))
            .count(),
        1,
        "{master}"
    );
    assert!(master.contains("mp4a.40"), "{master}");
}

crate::both_backends!(smaller_sources);
