//! SubRip and WebVTT captions. Everything is normalised to WebVTT because
//! that is the only format `<track>` understands; error messages are shown
//! to teachers as-is, so they name the line and say what is wrong in plain
//! words.

/// Real captions for a multi-hour lecture are a few hundred KiB; anything
/// larger is almost certainly the wrong file.
pub const MAX_CAPTIONS_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    /// WebVTT cue settings (`line:0 align:start` …), kept verbatim.
    pub settings: Option<String>,
    pub id: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptionsError {
    #[error("the captions file is {bytes} bytes; the limit is 5 MiB")]
    TooLarge { bytes: usize },
    #[error("line {line}: the file is not UTF-8 text; save it as UTF-8 and upload it again")]
    NotUtf8 { line: usize },
    #[error("line {line}: the file contains binary data, not captions")]
    Binary { line: usize },
    #[error("the file is neither SubRip (.srt) nor WebVTT (.vtt) captions")]
    UnknownFormat,
    #[error("the file contains no captions")]
    NoCues,
    #[error("line {line}: the end time {end} is before the start time {start}")]
    EndBeforeStart {
        line: usize,
        start: String,
        end: String,
    },
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
}

impl CaptionsError {
    pub fn line(&self) -> Option<usize> {
        match self {
            CaptionsError::NotUtf8 { line }
            | CaptionsError::Binary { line }
            | CaptionsError::EndBeforeStart { line, .. }
            | CaptionsError::Syntax { line, .. } => Some(*line),
            _ => None,
        }
    }
}

fn syntax(line: usize, message: impl Into<String>) -> CaptionsError {
    CaptionsError::Syntax {
        line,
        message: message.into(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Srt,
    Vtt,
}

/// Decodes, detects and re-serialises captions as canonical WebVTT.
pub fn normalise(bytes: &[u8]) -> Result<String, CaptionsError> {
    if bytes.len() > MAX_CAPTIONS_BYTES {
        return Err(CaptionsError::TooLarge { bytes: bytes.len() });
    }
    // UTF-16 is what Windows Notepad calls "Unicode"; fail with the encoding
    // hint rather than a confusing "binary data".
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(CaptionsError::NotUtf8 { line: 1 });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        CaptionsError::NotUtf8 {
            line: 1 + before.iter().filter(|&&b| b == b'\n').count(),
        }
    })?;
    let cues = match detect(text)? {
        Format::Srt => parse_srt(text)?,
        Format::Vtt => parse_vtt(text)?,
    };
    Ok(to_vtt(&cues))
}

fn detect(text: &str) -> Result<Format, CaptionsError> {
    check_binary(text)?;
    let lines = split_lines(text.strip_prefix('\u{FEFF}').unwrap_or(text));
    if lines.first().is_some_and(|l| is_vtt_signature(l)) {
        return Ok(Format::Vtt);
    }
    match lines.iter().map(|l| l.trim()).find(|l| !l.is_empty()) {
        Some(l) if l.contains("-->") || l.bytes().all(|b| b.is_ascii_digit()) => Ok(Format::Srt),
        Some(_) => Err(CaptionsError::UnknownFormat),
        None => Err(CaptionsError::NoCues),
    }
}

fn is_vtt_signature(line: &str) -> bool {
    line.strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

fn check_binary(text: &str) -> Result<(), CaptionsError> {
    if text.len() > MAX_CAPTIONS_BYTES {
        return Err(CaptionsError::TooLarge { bytes: text.len() });
    }
    let bad = text
        .char_indices()
        .find(|&(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C'));
    match bad {
        Some((at, _)) => Err(CaptionsError::Binary {
            line: 1 + text[..at].matches('\n').count(),
        }),
        None => Ok(()),
    }
}

/// Splits into lines accepting LF, CRLF and lone CR. Line `i` of the result
/// is line `i + 1` for error messages.
fn split_lines(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .flat_map(|piece| piece.split(['\r', '\n']))
        .collect()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_index(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

pub fn parse_srt(s: &str) -> Result<Vec<Cue>, CaptionsError> {
    check_binary(s)?;
    let lines = split_lines(s.strip_prefix('\u{FEFF}').unwrap_or(s));
    let mut cues = Vec::new();
    let mut i = 0;
    loop {
        while lines.get(i).is_some_and(|l| is_blank(l)) {
            i += 1;
        }
        let Some(first) = lines.get(i) else { break };
        let id = if first.contains("-->") {
            None
        } else if is_index(first) {
            i += 1;
            Some(first.trim().to_owned())
        } else {
            return Err(syntax(
                i + 1,
                format!("expected a caption number, found “{}”", snippet(first)),
            ));
        };
        let timing = lines.get(i).copied().unwrap_or("");
        let (start_ms, end_ms, _) = parse_timing(timing, i + 1, Format::Srt)?;
        i += 1;
        let mut text = Vec::new();
        while let Some(line) = lines.get(i).filter(|l| !is_blank(l)) {
            // Tolerate a missing blank line before the next numbered cue.
            if is_index(line) && lines.get(i + 1).is_some_and(|n| n.contains("-->")) {
                break;
            }
            text.push(*line);
            i += 1;
        }
        cues.push(Cue {
            start_ms,
            end_ms,
            settings: None,
            id,
            text: text.join("\n"),
        });
    }
    non_empty(cues)
}

pub fn parse_vtt(s: &str) -> Result<Vec<Cue>, CaptionsError> {
    check_binary(s)?;
    let lines = split_lines(s.strip_prefix('\u{FEFF}').unwrap_or(s));
    if !lines.first().is_some_and(|l| is_vtt_signature(l)) {
        return Err(syntax(1, "a WebVTT file must start with the word WEBVTT"));
    }
    let mut i = 1;
    while lines
        .get(i)
        .is_some_and(|l| !is_blank(l) && !l.contains("-->"))
    {
        i += 1;
    }
    let mut cues = Vec::new();
    loop {
        while lines.get(i).is_some_and(|l| is_blank(l)) {
            i += 1;
        }
        let Some(first) = lines.get(i) else { break };
        let keyword = first.split([' ', '\t']).next().unwrap_or("");
        if !first.contains("-->") && matches!(keyword, "NOTE" | "STYLE" | "REGION") {
            while lines.get(i).is_some_and(|l| !is_blank(l)) {
                i += 1;
            }
            continue;
        }
        let id = if first.contains("-->") {
            None
        } else {
            i += 1;
            Some(first.to_string())
        };
        let Some(timing) = lines.get(i).filter(|l| l.contains("-->")) else {
            return Err(syntax(
                i + 1,
                "expected a time range like 00:01.000 --> 00:04.000 after the cue name",
            ));
        };
        let (start_ms, end_ms, settings) = parse_timing(timing, i + 1, Format::Vtt)?;
        i += 1;
        let mut text = Vec::new();
        // A "-->" line starts the next cue even without a blank line, as in
        // the WebVTT parsing algorithm.
        while let Some(line) = lines.get(i).filter(|l| !is_blank(l) && !l.contains("-->")) {
            text.push(*line);
            i += 1;
        }
        cues.push(Cue {
            start_ms,
            end_ms,
            settings,
            id,
            text: text.join("\n"),
        });
    }
    non_empty(cues)
}

fn non_empty(cues: Vec<Cue>) -> Result<Vec<Cue>, CaptionsError> {
    if cues.is_empty() {
        Err(CaptionsError::NoCues)
    } else {
        Ok(cues)
    }
}

fn snippet(line: &str) -> String {
    let t = line.trim();
    match t.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &t[..cut]),
        None => t.to_owned(),
    }
}

fn parse_timing(
    line: &str,
    line_no: usize,
    format: Format,
) -> Result<(u64, u64, Option<String>), CaptionsError> {
    let example = match format {
        Format::Srt => "00:00:01,000 --> 00:00:04,000",
        Format::Vtt => "00:01.000 --> 00:04.000",
    };
    let Some((start, rest)) = line.split_once("-->") else {
        return Err(syntax(
            line_no,
            format!(
                "expected a time range like {example}, found “{}”",
                snippet(line)
            ),
        ));
    };
    let rest = rest.trim_start();
    let (end, tail) = rest.split_at(rest.find([' ', '\t']).unwrap_or(rest.len()));
    let (start, end) = (start.trim(), end.trim());
    let start_ms = parse_timestamp(start, format).map_err(|why| syntax(line_no, why))?;
    let end_ms = parse_timestamp(end, format).map_err(|why| syntax(line_no, why))?;
    if end_ms < start_ms {
        return Err(CaptionsError::EndBeforeStart {
            line: line_no,
            start: start.to_owned(),
            end: end.to_owned(),
        });
    }
    // SRT's trailing X1:… Y1:… box coordinates have no WebVTT equivalent.
    let settings = match (format, tail.trim()) {
        (Format::Vtt, t) if !t.is_empty() => Some(t.to_owned()),
        _ => None,
    };
    Ok((start_ms, end_ms, settings))
}

/// SRT: `H+:MM:SS,mmm` (a dot is accepted, it is a common export bug).
/// VTT: `[H+:]MM:SS.mmm`.
fn parse_timestamp(t: &str, format: Format) -> Result<u64, String> {
    let bad = || match format {
        Format::Srt => format!("“{t}” is not a time like 00:01:02,500"),
        Format::Vtt => format!("“{t}” is not a time like 01:02.500 or 00:01:02.500"),
    };
    let (clock, frac) = match format {
        Format::Srt => t.rsplit_once([',', '.']),
        Format::Vtt => t.rsplit_once('.'),
    }
    .ok_or_else(bad)?;
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, s) = match (format, parts.as_slice()) {
        (_, [h, m, s]) => (*h, *m, *s),
        (Format::Vtt, [m, s]) => ("0", *m, *s),
        _ => return Err(bad()),
    };
    let digits = |x: &str, min: usize, max: usize| {
        (min..=max).contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(h, 1, 9) && digits(m, 2, 2) && digits(s, 2, 2) && digits(frac, 3, 3)) {
        return Err(bad());
    }
    let num = |x: &str| x.parse::<u64>().map_err(|_| bad());
    let (h, m, s, ms) = (num(h)?, num(m)?, num(s)?, num(frac)?);
    if m >= 60 || s >= 60 {
        return Err(format!(
            "“{t}” is not a valid time: minutes and seconds must be below 60"
        ));
    }
    Ok(((h * 60 + m) * 60 + s) * 1000 + ms)
}

fn vtt_timestamp(ms: u64) -> String {
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}.{ms:03}")
}

/// Serialises cues as WebVTT. Text that would break the format (blank lines
/// end a cue, "-->" starts one) is neutralised rather than rejected, since
/// cues may come from sources other than our parsers.
pub fn to_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for cue in cues {
        out.push('\n');
        let one_line = |s: &str| !s.contains(['\r', '\n']) && !s.contains("-->");
        if let Some(id) = cue.id.as_deref().filter(|id| !is_blank(id) && one_line(id)) {
            out.push_str(id.trim());
            out.push('\n');
        }
        out.push_str(&vtt_timestamp(cue.start_ms));
        out.push_str(" --> ");
        out.push_str(&vtt_timestamp(cue.end_ms.max(cue.start_ms)));
        let settings = cue.settings.as_deref().map(str::trim);
        if let Some(settings) = settings.filter(|s| !s.is_empty() && one_line(s)) {
            out.push(' ');
            out.push_str(settings);
        }
        out.push('\n');
        for line in split_lines(&cue.text).into_iter().filter(|l| !is_blank(l)) {
            out.push_str(&line.replace("-->", "--&gt;"));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRT: &str = "1\n00:00:01,000 --> 00:00:04,500\nHello, class.\n\n2\n00:00:05,000 --> 01:02:03,004\n<i>Two</i>\nlines\n";

    fn cue(start_ms: u64, end_ms: u64, id: Option<&str>, text: &str) -> Cue {
        Cue {
            start_ms,
            end_ms,
            settings: None,
            id: id.map(str::to_owned),
            text: text.to_owned(),
        }
    }

    #[test]
    fn srt_parses_and_converts() {
        let cues = parse_srt(SRT).unwrap();
        assert_eq!(
            cues,
            vec![
                cue(1000, 4500, Some("1"), "Hello, class."),
                cue(5000, 3_723_004, Some("2"), "<i>Two</i>\nlines"),
            ]
        );
        let vtt = to_vtt(&cues);
        assert_eq!(
            vtt,
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.500\nHello, class.\n\n2\n00:00:05.000 --> 01:02:03.004\n<i>Two</i>\nlines\n"
        );
        assert_eq!(parse_vtt(&vtt).unwrap(), cues);
        assert_eq!(normalise(SRT.as_bytes()).unwrap(), vtt);
    }

    #[test]
    fn crlf_bom_and_lenient_srt() {
        let crlf = format!("\u{FEFF}\r\n\r\n{}", SRT.replace('\n', "\r\n"));
        assert_eq!(parse_srt(&crlf).unwrap(), parse_srt(SRT).unwrap());
        assert!(crlf.as_bytes().starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(normalise(crlf.as_bytes()), normalise(SRT.as_bytes()));
        // Old Mac line endings, no index, dot separator, missing blank line
        // between cues, trailing SRT coordinates.
        let odd = "00:00:01.000 --> 00:00:02,000 X1:1 X2:2\ra\r2\r00:00:03,000 --> 00:00:04,000\rb";
        let cues = parse_srt(odd).unwrap();
        assert_eq!(
            cues,
            vec![cue(1000, 2000, None, "a"), cue(3000, 4000, Some("2"), "b")]
        );
    }

    #[test]
    fn vtt_features() {
        let vtt = "\u{FEFF}WEBVTT - Lecture 3\r\nKind: captions\r\n\r\nNOTE written by hand\r\nstill a note\r\n\r\nSTYLE\r\n::cue { color: red }\r\n\r\nREGION\r\nid:r1\r\n\r\nintro\r\n00:01.000 --> 00:02.500 align:start line:0\r\nHi\r\n01:00:00.000 --> 01:00:01.000\r\nBye\r\n";
        let cues = parse_vtt(vtt).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].id.as_deref(), Some("intro"));
        assert_eq!(cues[0].settings.as_deref(), Some("align:start line:0"));
        assert_eq!((cues[0].start_ms, cues[0].end_ms), (1000, 2500));
        assert_eq!(
            (cues[1].start_ms, cues[1].text.as_str()),
            (3_600_000, "Bye")
        );
        let canonical = normalise(vtt.as_bytes()).unwrap();
        assert!(canonical.starts_with(
            "WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.500 align:start line:0\nHi\n"
        ));
        assert_eq!(parse_vtt(&canonical).unwrap(), cues);
        assert_eq!(normalise(canonical.as_bytes()).unwrap(), canonical);
    }

    #[test]
    fn round_trip_with_awkward_text() {
        let cues = vec![
            Cue {
                settings: Some("position:10%".into()),
                ..cue(0, 0, None, "")
            },
            cue(1, 360_000_000_001, Some("x"), "a --> b\n\nc"),
        ];
        let back = parse_vtt(&to_vtt(&cues)).unwrap();
        assert_eq!(back[0], cues[0]);
        assert_eq!(back[1].text, "a --&gt; b\nc");
        assert_eq!(back[1].end_ms, 360_000_000_001);
    }

    #[test]
    fn teacher_facing_errors() {
        let err = parse_srt("1\n00:00:05,000 --> 00:00:03,000\nx\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: the end time 00:00:03,000 is before the start time 00:00:05,000"
        );
        assert_eq!(err.line(), Some(2));
        let err =
            parse_srt("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:61:00,000 --> 01:00:00,000\n")
                .unwrap_err();
        assert_eq!(err.line(), Some(6));
        assert!(err.to_string().contains("below 60"), "{err}");
        assert_eq!(
            parse_vtt("WEBVTT\n\n00:00.000 --> 00:60.000\n")
                .unwrap_err()
                .line(),
            Some(3)
        );
        for bad in [
            "00:00:01 --> 00:00:02",
            "0:0:1,000 --> 0:0:2,000",
            "00:00:01,00 --> 00:00:02,000",
            "1:00:01,000 -> 1:00:02,000",
        ] {
            let err = parse_srt(&format!("1\n{bad}\nx")).unwrap_err();
            assert_eq!(err.line(), Some(2), "{bad}: {err}");
        }
        assert_eq!(parse_srt("hello\n").unwrap_err().line(), Some(1));
        assert_eq!(
            parse_vtt("WEBVTT\n\nname only\n").unwrap_err().line(),
            Some(4)
        );
        assert_eq!(parse_vtt("WEBVTTX\n").unwrap_err().line(), Some(1));
        // SRT timestamps lack the VTT short form.
        assert!(parse_srt("1\n00:01,000 --> 00:02,000\n").is_err());
    }

    #[test]
    fn garbage_and_limits() {
        use CaptionsError::*;
        let cases: [(&[u8], CaptionsError); 8] = [
            (b"", NoCues),
            (b"\n\r\n  \n", NoCues),
            (b"WEBVTT\n\nNOTE only\n", NoCues),
            (b"Dear students,\n", UnknownFormat),
            (
                b"1\n00:00:01,000 --> 00:00:02,000\n\xC3\x28\n",
                NotUtf8 { line: 3 },
            ),
            (b"\xFF\xFE1\x00", NotUtf8 { line: 1 }),
            (b"WEBVTT\n\n\x00\x01\x02", Binary { line: 3 }),
            (b"\x89PNG\r\n\x1a\n", NotUtf8 { line: 1 }),
        ];
        for (input, want) in cases {
            assert_eq!(normalise(input), Err(want));
        }
        assert_eq!(parse_srt(""), Err(NoCues));
        let big = "a".repeat(MAX_CAPTIONS_BYTES + 1);
        assert!(matches!(normalise(big.as_bytes()), Err(TooLarge { .. })));
        assert!(matches!(parse_vtt(&big), Err(TooLarge { .. })));
        assert!(parse_srt("1\n999999999999:00:00,000 --> 999999999999:00:01,000\n").is_err());
    }

    #[test]
    fn pseudo_random_input_never_panics() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0123456789:,.-> \n\r\tWEBVTNOabc\xC3\xA9";
        for i in 0..3000 {
            let len = (next() % 200) as usize;
            let mut buf = [&b"WEBVTT\n\n"[..], b"1\n"][i % 2].to_vec();
            buf.extend((0..len).map(|_| {
                let r = next();
                if r % 8 == 0 {
                    r as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            }));
            if let Ok(vtt) = normalise(&buf) {
                assert!(parse_vtt(&vtt).is_ok(), "{vtt:?}");
            }
            if let Ok(s) = std::str::from_utf8(&buf) {
                let _ = (parse_srt(s), parse_vtt(s));
            }
        }
    }
}
