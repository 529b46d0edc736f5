//! HLS v7 playlists over single-file fMP4 renditions, addressed with byte ranges, so storage
//! holds one file per rendition instead of thousands of segment objects.

use std::fmt::Write;

use super::fmp4::{children, path, FragmentIndex, Track};

/// One `#EXT-X-STREAM-INF` entry (also used for the audio-only rendition).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub uri: String,
    /// Peak segment bit rate (bits/s), as the spec requires for BANDWIDTH.
    pub bandwidth: u64,
    pub average_bandwidth: u64,
    pub resolution: Option<(u32, u32)>,
    pub codecs: String,
}

impl Variant {
    /// Bandwidths come from the real fragment sizes, not the encoder target, because x264's
    /// VBV still lets segments overshoot and players pick variants from these numbers.
    pub fn from_index(uri: &str, idx: &FragmentIndex, resolution: Option<(u32, u32)>) -> Self {
        let rate = |bytes: u64, secs: f64| (bytes as f64 * 8.0 / secs.max(1e-3)).ceil() as u64;
        let peak = idx
            .fragments
            .iter()
            .filter(|f| f.duration_secs > 0.0)
            .map(|f| rate(f.length, f.duration_secs))
            .max()
            .unwrap_or(0);
        let total: u64 = idx.fragments.iter().map(|f| f.length).sum();
        Variant {
            uri: uri.to_string(),
            bandwidth: peak,
            average_bandwidth: rate(total, idx.duration_secs()),
            resolution,
            codecs: codecs(idx),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubtitleTrack {
    pub name: String,
    pub language: String,
    pub uri: String,
    pub default: bool,
}

/// Codec list for the `CODECS` attribute, video first as players expect.
pub fn codecs(idx: &FragmentIndex) -> String {
    let mut t: Vec<&Track> = idx.tracks.iter().collect();
    t.sort_by_key(|t| t.handler != *b"vide");
    let strings = t.iter().filter_map(|t| {
        let (kind, entry) = t.sample_entry.as_ref()?;
        codec_string(kind, entry)
    });
    strings.collect::<Vec<_>>().join(",")
}

/// RFC 6381 string for an stsd sample entry; unknown entries fall back to their fourcc.
pub fn codec_string(kind: &[u8; 4], entry: &[u8]) -> Option<String> {
    let fourcc = String::from_utf8_lossy(kind).into_owned();
    match kind {
        // VisualSampleEntry has 78 bytes of fixed fields before its child boxes; the avcC
        // carries the profile/compat/level the encoder actually chose.
        b"avc1" | b"avc3" => {
            let avcc = path(entry.get(78..)?, &[b"avcC"]).ok()??;
            let p = avcc.get(1..4)?;
            Some(format!("{fourcc}.{:02x}{:02x}{:02x}", p[0], p[1], p[2]))
        }
        // AudioSampleEntry (v0) has 28 bytes of fixed fields before esds.
        b"mp4a" => Some(
            children(entry.get(28..)?)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == b"esds")
                .and_then(|(_, esds)| esds_codec(esds))
                .unwrap_or_else(|| "mp4a.40.2".into()),
        ),
        _ => Some(fourcc),
    }
}

/// Walks ES_Descriptor → DecoderConfigDescriptor → DecoderSpecificInfo for OTI and AAC AOT,
/// so HE-AAC would be advertised as mp4a.40.5 rather than guessed.
fn esds_codec(esds: &[u8]) -> Option<String> {
    fn desc(b: &[u8]) -> Option<(u8, &[u8])> {
        let tag = *b.first()?;
        let (mut len, mut i) = (0usize, 1);
        // Expandable size: up to 4 bytes of 7 bits.
        for _ in 0..4 {
            let c = *b.get(i)?;
            i += 1;
            len = (len << 7) | (c & 0x7f) as usize;
            if c & 0x80 == 0 {
                break;
            }
        }
        Some((tag, b.get(i..i.checked_add(len)?)?))
    }
    let (3, es) = desc(esds.get(4..)?)? else {
        return None;
    };
    let flags = *es.get(2)?;
    let mut i = 3 + if flags & 0x80 != 0 { 2 } else { 0 };
    if flags & 0x40 != 0 {
        i += 1 + *es.get(i)? as usize;
    }
    i += if flags & 0x20 != 0 { 2 } else { 0 };
    let (4, dc) = desc(es.get(i..)?)? else {
        return None;
    };
    let oti = *dc.first()?;
    let aot = match desc(dc.get(13..)?) {
        Some((5, dsi)) if dsi.first()? >> 3 == 31 => {
            32 + (((dsi[0] & 7) << 3) | (dsi.get(1)? >> 5))
        }
        Some((5, dsi)) => dsi[0] >> 3,
        _ => 2,
    };
    Some(format!("mp4a.{oti:02x}.{aot}"))
}

/// Quoted-string values may not contain `"` or line breaks (RFC 8216 §4.2).
fn quoted(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .map(|c| if c == '"' { '\'' } else { c })
        .collect()
}

pub fn media_playlist(file_uri: &str, idx: &FragmentIndex) -> String {
    let uri = file_uri.replace(['\r', '\n'], "");
    // EXTINF is written with 3 decimals, so the target must cover the rounded values.
    let target = idx
        .fragments
        .iter()
        .map(|f| ((f.duration_secs * 1000.0).round() / 1000.0).ceil() as u64)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-PLAYLIST-TYPE:VOD\n\
         #EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"{}\",BYTERANGE=\"{}@{}\"\n",
        quoted(&uri),
        idx.init_length,
        idx.init_offset
    );
    for f in &idx.fragments {
        let _ = write!(
            out,
            "#EXTINF:{:.3},\n#EXT-X-BYTERANGE:{}@{}\n{uri}\n",
            f.duration_secs, f.length, f.offset
        );
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

pub fn master_playlist(
    variants: &[Variant],
    audio_only: Option<&Variant>,
    subtitles: &[SubtitleTrack],
) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for s in subtitles {
        let yes_no = |b: bool| if b { "YES" } else { "NO" };
        let _ = writeln!(
            out,
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"{}\",LANGUAGE=\"{}\",\
             DEFAULT={},AUTOSELECT=YES,URI=\"{}\"",
            quoted(&s.name),
            quoted(&s.language),
            yes_no(s.default),
            quoted(&s.uri)
        );
    }
    // Lowest first: many players start with the first listed variant, so this starts fast.
    // Audio-only goes last so it is never the default for a video lesson.
    let mut sorted: Vec<&Variant> = variants.iter().collect();
    sorted.sort_by_key(|v| v.bandwidth);
    for v in sorted.into_iter().chain(audio_only) {
        let _ = write!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"",
            v.bandwidth,
            v.average_bandwidth,
            quoted(&v.codecs)
        );
        if let Some((w, h)) = v.resolution {
            let _ = write!(out, ",RESOLUTION={w}x{h}");
        }
        if !subtitles.is_empty() {
            out.push_str(",SUBTITLES=\"subs\"");
        }
        let _ = writeln!(out, "\n{}", v.uri.replace(['\r', '\n'], ""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fmp4::Fragment;
    use super::*;

    fn idx(durs: &[f64], size: u64) -> FragmentIndex {
        let mut off = 1000;
        let fragments = durs
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let f = Fragment {
                    offset: off,
                    length: size * (i as u64 + 1),
                    start_secs: 2.0 * i as f64,
                    duration_secs: d,
                };
                off += f.length;
                f
            })
            .collect();
        FragmentIndex {
            file_size: off,
            boxes: vec![],
            init_offset: 0,
            init_length: 1000,
            tracks: vec![],
            fragments,
        }
    }

    /// Attribute lists split on commas outside quotes.
    fn attrs(line: &str) -> Vec<(String, String)> {
        let (_, list) = line.split_once(':').unwrap();
        let (mut out, mut cur, mut inq) = (vec![], String::new(), false);
        for c in list.chars().chain([',']) {
            match c {
                '"' => {
                    inq = !inq;
                    cur.push(c);
                }
                ',' if !inq => {
                    let (k, v) = cur.split_once('=').unwrap();
                    out.push((k.to_string(), v.to_string()));
                    cur.clear();
                }
                _ => cur.push(c),
            }
        }
        out
    }

    #[test]
    fn media_playlist_lines() {
        let i = idx(&[2.0, 2.0, 1.2345], 500);
        let text = media_playlist("v720.mp4", &i);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#EXTM3U");
        assert!(lines.contains(&"#EXT-X-VERSION:7"));
        assert!(lines.contains(&"#EXT-X-TARGETDURATION:2"));
        assert!(lines.contains(&"#EXT-X-PLAYLIST-TYPE:VOD"));
        assert!(lines.contains(&"#EXT-X-MAP:URI=\"v720.mp4\",BYTERANGE=\"1000@0\""));
        assert_eq!(*lines.last().unwrap(), "#EXT-X-ENDLIST");
        let extinf: Vec<&str> = lines
            .iter()
            .filter(|l| l.starts_with("#EXTINF:"))
            .copied()
            .collect();
        assert_eq!(
            extinf,
            ["#EXTINF:2.000,", "#EXTINF:2.000,", "#EXTINF:1.234,"]
        );
        let ranges: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("#EXT-X-BYTERANGE:"))
            .collect();
        assert_eq!(ranges, ["500@1000", "1000@1500", "1500@2500"]);
        // Every range line is followed by the URI.
        for (n, l) in lines.iter().enumerate() {
            if l.starts_with("#EXT-X-BYTERANGE") {
                assert_eq!(lines[n + 1], "v720.mp4");
            }
        }
        assert!(media_playlist("a.mp4", &idx(&[2.0004], 1)).contains("TARGETDURATION:2\n"));
        assert!(media_playlist("a.mp4", &idx(&[2.1], 1)).contains("TARGETDURATION:3\n"));
    }

    #[test]
    fn master_playlist_lines() {
        let mut hi = Variant::from_index("720.m3u8", &idx(&[2.0, 2.0], 250_000), Some((1280, 720)));
        hi.codecs = "avc1.4d401f,mp4a.40.2".into();
        // Fragment 2 is 500 kB in 2 s → 2 Mb/s peak; 750 kB over 4 s → 1.5 Mb/s average.
        assert_eq!((hi.bandwidth, hi.average_bandwidth), (2_000_000, 1_500_000));
        let lo = Variant {
            uri: "240.m3u8".into(),
            bandwidth: 500_000,
            average_bandwidth: 400_000,
            resolution: Some((426, 240)),
            codecs: "avc1.42c015,mp4a.40.2".into(),
        };
        let audio = Variant {
            uri: "audio.m3u8".into(),
            bandwidth: 70_000,
            average_bandwidth: 64_000,
            resolution: None,
            codecs: "mp4a.40.2".into(),
        };
        let subs = [SubtitleTrack {
            name: "English \"CC\"".into(),
            language: "en".into(),
            uri: "subs/en.m3u8".into(),
            default: true,
        }];
        let text = master_playlist(&[hi, lo], Some(&audio), &subs);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#EXTM3U");
        let media = attrs(
            lines
                .iter()
                .find(|l| l.starts_with("#EXT-X-MEDIA:"))
                .unwrap(),
        );
        assert!(media.contains(&("TYPE".into(), "SUBTITLES".into())));
        assert!(media.contains(&("NAME".into(), "\"English 'CC'\"".into())));
        assert!(media.contains(&("URI".into(), "\"subs/en.m3u8\"".into())));
        let infs: Vec<(Vec<(String, String)>, &str)> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("#EXT-X-STREAM-INF:"))
            .map(|(n, l)| (attrs(l), lines[n + 1]))
            .collect();
        let uris: Vec<&str> = infs.iter().map(|i| i.1).collect();
        assert_eq!(uris, ["240.m3u8", "720.m3u8", "audio.m3u8"]);
        let get = |a: &Vec<(String, String)>, k: &str| {
            a.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone())
        };
        assert_eq!(get(&infs[1].0, "RESOLUTION").unwrap(), "1280x720");
        assert_eq!(
            get(&infs[1].0, "CODECS").unwrap(),
            "\"avc1.4d401f,mp4a.40.2\""
        );
        assert_eq!(get(&infs[2].0, "CODECS").unwrap(), "\"mp4a.40.2\"");
        assert!(get(&infs[2].0, "RESOLUTION").is_none());
        assert!(infs
            .iter()
            .all(|i| get(&i.0, "SUBTITLES").as_deref() == Some("\"subs\"")));
        assert!(!master_playlist(&[audio], None, &[]).contains("SUBTITLES"));
    }

    #[test]
    fn codec_strings_from_sample_entries() {
        let mut avc1 = vec![0u8; 78];
        avc1.extend([0, 0, 0, 12, b'a', b'v', b'c', b'C', 1, 0x64, 0, 0x28]);
        assert_eq!(codec_string(b"avc1", &avc1).unwrap(), "avc1.640028");
        // esds: ES(3){id, flags} → DecoderConfig(4){oti 0x40, …13 bytes} → DSI(5){HE-AAC}.
        let dsi = [5u8, 2, 5 << 3, 0];
        let mut dc = vec![4u8, 13 + 4, 0x40];
        dc.extend([0u8; 12]);
        dc.extend(dsi);
        let mut es = vec![3u8, (3 + dc.len()) as u8, 0, 1, 0];
        es.extend(&dc);
        let esds = [
            &[0u8, 0, 0, (12 + es.len()) as u8][..],
            b"esds",
            &[0; 4],
            &es,
        ]
        .concat();
        let mp4a = [&[0u8; 28][..], &esds].concat();
        assert_eq!(codec_string(b"mp4a", &mp4a).unwrap(), "mp4a.40.5");
        assert_eq!(codec_string(b"mp4a", &[0u8; 28]).unwrap(), "mp4a.40.2");
        assert_eq!(codec_string(b"hvc1", &[]).unwrap(), "hvc1");
    }
}
