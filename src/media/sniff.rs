//! Content sniffing for uploads. The filename and the client's Content-Type
//! are never trusted: a teacher who renames `slides.png` to `slides.mp4` must
//! get a clear rejection, not a broken lecture.

/// A media container. Whether it carries video or audio is recorded by the
/// surrounding [`Sniffed::Video`] / [`Sniffed::Audio`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    Mp4,
    Mov,
    M4a,
    Matroska,
    WebM,
    Avi,
    MpegTs,
    MpegPs,
    Ogg,
    Mp3,
    Wav,
    Flac,
    /// Raw AAC in ADTS framing.
    Aac,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptionFormat {
    Srt,
    Vtt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sniffed {
    Video(Container),
    Audio(Container),
    Pdf,
    Glb,
    GltfJson,
    Zip,
    Captions(CaptionFormat),
    /// Holds the image MIME type.
    Image(&'static str),
    Text,
    Unknown,
}

impl Container {
    fn mime(self, video: bool) -> &'static str {
        match (self, video) {
            (Container::Mp4, true) => "video/mp4",
            (Container::Mp4 | Container::M4a, _) => "audio/mp4",
            (Container::Mov, _) => "video/quicktime",
            (Container::Matroska, true) => "video/x-matroska",
            (Container::Matroska, false) => "audio/x-matroska",
            (Container::WebM, true) => "video/webm",
            (Container::WebM, false) => "audio/webm",
            (Container::Avi, _) => "video/x-msvideo",
            (Container::MpegTs, _) => "video/mp2t",
            (Container::MpegPs, _) => "video/mpeg",
            (Container::Ogg, true) => "video/ogg",
            (Container::Ogg, false) => "audio/ogg",
            (Container::Mp3, _) => "audio/mpeg",
            (Container::Wav, _) => "audio/wav",
            (Container::Flac, _) => "audio/flac",
            (Container::Aac, _) => "audio/aac",
        }
    }
}

impl Sniffed {
    /// True when the video/audio split is only a guess from the container and
    /// ffprobe should decide by looking for a video stream.
    pub fn needs_probe(&self) -> bool {
        matches!(
            self,
            Sniffed::Video(
                Container::Mp4
                    | Container::Mov
                    | Container::Matroska
                    | Container::WebM
                    | Container::Ogg
            ) | Sniffed::Audio(Container::Matroska | Container::WebM | Container::Ogg)
        )
    }

    pub fn mime(&self) -> &'static str {
        match self {
            Sniffed::Video(c) => c.mime(true),
            Sniffed::Audio(c) => c.mime(false),
            Sniffed::Pdf => "application/pdf",
            Sniffed::Glb => "model/gltf-binary",
            Sniffed::GltfJson => "model/gltf+json",
            Sniffed::Zip => "application/zip",
            Sniffed::Captions(CaptionFormat::Srt) => "application/x-subrip",
            Sniffed::Captions(CaptionFormat::Vtt) => "text/vtt",
            Sniffed::Image(mime) => mime,
            Sniffed::Text => "text/plain; charset=utf-8",
            Sniffed::Unknown => "application/octet-stream",
        }
    }

    /// A noun phrase for error messages shown to teachers, e.g.
    /// "this file is a PNG image, not a video".
    pub fn describe(&self) -> &'static str {
        match self {
            Sniffed::Video(_) => "a video",
            Sniffed::Audio(_) => "an audio recording",
            Sniffed::Pdf => "a PDF document",
            Sniffed::Glb => "a binary glTF 3D model",
            Sniffed::GltfJson => "a glTF 3D model",
            Sniffed::Zip => "a ZIP archive",
            Sniffed::Captions(CaptionFormat::Srt) => "SubRip captions",
            Sniffed::Captions(CaptionFormat::Vtt) => "WebVTT captions",
            Sniffed::Image("image/jpeg") => "a JPEG image",
            Sniffed::Image("image/png") => "a PNG image",
            Sniffed::Image("image/gif") => "a GIF image",
            Sniffed::Image("image/webp") => "a WebP image",
            Sniffed::Image(_) => "an image",
            Sniffed::Text => "a plain text file",
            Sniffed::Unknown => "a file of unknown type",
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Classifies a file from its first bytes (up to 4096 are looked at; fewer
/// is fine, the checks degrade to "not recognised" rather than guessing).
pub fn sniff(head: &[u8]) -> Sniffed {
    let head = &head[..head.len().min(4096)];
    binary_signature(head)
        .or_else(|| iso_bmff(head))
        .or_else(|| mpeg_audio(head))
        .or_else(|| mpeg_ts(head))
        .or_else(|| textual(head))
        .unwrap_or(Sniffed::Unknown)
}

fn at(head: &[u8], offset: usize, sig: &[u8]) -> bool {
    head.get(offset..offset.saturating_add(sig.len())) == Some(sig)
}

fn binary_signature(h: &[u8]) -> Option<Sniffed> {
    let riff = at(h, 0, b"RIFF") || at(h, 0, b"RF64");
    let found = if at(h, 0, b"\x1A\x45\xDF\xA3") {
        let c = if ebml_doctype(h) == Some(&b"webm"[..]) {
            Container::WebM
        } else {
            Container::Matroska
        };
        Sniffed::Video(c)
    } else if at(h, 0, b"OggS") {
        // Theora's identification header sits in the first page; without it
        // the stream is almost always Vorbis/Opus, but ffprobe has the final say.
        if find(h, b"\x80theora").is_some() {
            Sniffed::Video(Container::Ogg)
        } else {
            Sniffed::Audio(Container::Ogg)
        }
    } else if riff && at(h, 8, b"AVI ") {
        Sniffed::Video(Container::Avi)
    } else if riff && at(h, 8, b"WAVE") {
        Sniffed::Audio(Container::Wav)
    } else if riff && at(h, 8, b"WEBP") {
        Sniffed::Image("image/webp")
    } else if at(h, 0, b"fLaC") {
        Sniffed::Audio(Container::Flac)
    } else if at(h, 0, b"\x00\x00\x01\xBA") {
        Sniffed::Video(Container::MpegPs)
    } else if at(h, 0, b"ID3") {
        id3_payload(h)
    } else if at(h, 0, b"glTF") {
        Sniffed::Glb
    } else if at(h, 0, b"PK\x03\x04") || at(h, 0, b"PK\x05\x06") || at(h, 0, b"PK\x07\x08") {
        Sniffed::Zip
    } else if at(h, 0, b"\xFF\xD8\xFF") {
        Sniffed::Image("image/jpeg")
    } else if at(h, 0, b"\x89PNG\r\n\x1A\n") {
        Sniffed::Image("image/png")
    } else if at(h, 0, b"GIF87a") || at(h, 0, b"GIF89a") {
        Sniffed::Image("image/gif")
    } else if at(h, 0, b"II*\x00") || at(h, 0, b"MM\x00*") {
        Sniffed::Image("image/tiff")
    } else if find(&h[..h.len().min(1024)], b"%PDF-").is_some() {
        // Acrobat tolerates junk before the header, so real-world PDFs carry it.
        Sniffed::Pdf
    } else {
        return None;
    };
    Some(found)
}

/// An ID3v2 tag can precede MP3, AAC or FLAC; look past it when the head
/// reaches that far, otherwise MP3 is by far the likeliest.
fn id3_payload(h: &[u8]) -> Sniffed {
    let Some(size) = h.get(6..10) else {
        return Sniffed::Audio(Container::Mp3);
    };
    let syncsafe = size
        .iter()
        .fold(0usize, |acc, b| (acc << 7) | usize::from(b & 0x7F));
    let footer = if h.get(5).is_some_and(|f| f & 0x10 != 0) {
        10
    } else {
        0
    };
    let rest = h.get(10 + syncsafe + footer..).unwrap_or(&[]);
    if at(rest, 0, b"fLaC") {
        Sniffed::Audio(Container::Flac)
    } else if is_adts(rest) {
        Sniffed::Audio(Container::Aac)
    } else {
        Sniffed::Audio(Container::Mp3)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads the EBML DocType string (element 0x4282) from the header.
fn ebml_doctype(h: &[u8]) -> Option<&[u8]> {
    let pos = find(h, b"\x42\x82")? + 2;
    let first = *h.get(pos)?;
    let width = first.leading_zeros() as usize + 1;
    if width > 8 {
        return None;
    }
    let mut len = u64::from(first) & (0xFF >> width);
    for i in 1..width {
        len = (len << 8) | u64::from(*h.get(pos + i)?);
    }
    let start = pos + width;
    let len = usize::try_from(len).ok()?;
    h.get(start..start.checked_add(len)?)
}

fn iso_bmff(h: &[u8]) -> Option<Sniffed> {
    let box_type = h.get(4..8)?;
    if box_type != b"ftyp" {
        // Pre-ftyp QuickTime files open straight into one of these atoms.
        return matches!(box_type, b"moov" | b"mdat" | b"wide" | b"pnot")
            .then_some(Sniffed::Video(Container::Mov));
    }
    let size = u32::from_be_bytes(h.get(0..4)?.try_into().ok()?) as usize;
    let major = h.get(8..12)?;
    let compatible: Vec<&[u8]> = h
        .get(16..size.min(h.len()))
        .unwrap_or(&[])
        .chunks_exact(4)
        .collect();
    let brands = || std::iter::once(major).chain(compatible.iter().copied());
    let is_audio = |b: &[u8]| matches!(b, b"M4A " | b"M4B " | b"M4P " | b"F4A " | b"F4B ");

    let found = match major {
        b"qt  " => Sniffed::Video(Container::Mov),
        b"avif" | b"avis" => Sniffed::Image("image/avif"),
        b"heic" | b"heix" | b"mif1" | b"msf1" => Sniffed::Image("image/heic"),
        _ if brands().any(is_audio) => Sniffed::Audio(Container::M4a),
        _ => Sniffed::Video(Container::Mp4),
    };
    Some(found)
}

fn is_adts(h: &[u8]) -> bool {
    matches!(h, [0xFF, b1, ..] if b1 & 0xF6 == 0xF0)
}

fn mpeg_audio(h: &[u8]) -> Option<Sniffed> {
    if is_adts(h) {
        return Some(Sniffed::Audio(Container::Aac));
    }
    let [0xFF, b1, b2, ..] = *h else {
        return None;
    };
    let sync = b1 & 0xE0 == 0xE0;
    let version_ok = (b1 >> 3) & 0x03 != 0x01;
    let layer_ok = (b1 >> 1) & 0x03 != 0x00;
    let bitrate_ok = b2 >> 4 != 0x0F;
    let rate_ok = (b2 >> 2) & 0x03 != 0x03;
    (sync && version_ok && layer_ok && bitrate_ok && rate_ok)
        .then_some(Sniffed::Audio(Container::Mp3))
}

fn mpeg_ts(h: &[u8]) -> Option<Sniffed> {
    // One sync byte is just a 'G'; require the next packet's sync as well.
    let ts = at(h, 0, &[0x47]) && at(h, 188, &[0x47]);
    let m2ts = at(h, 4, &[0x47]) && at(h, 196, &[0x47]);
    (ts || m2ts).then_some(Sniffed::Video(Container::MpegTs))
}

/// UTF-8 check that forgives a multi-byte character cut off by the 4096-byte
/// head limit.
fn as_text(h: &[u8]) -> Option<&str> {
    match std::str::from_utf8(h) {
        Ok(s) => Some(s),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&h[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}

fn textual(h: &[u8]) -> Option<Sniffed> {
    let body = h.strip_prefix(UTF8_BOM).unwrap_or(h);
    if body.is_empty() || body.contains(&0) {
        return None;
    }
    let text = as_text(body)?;
    let trimmed = text.trim_start();
    let found = if is_vtt(text) {
        Sniffed::Captions(CaptionFormat::Vtt)
    } else if is_srt(text) {
        Sniffed::Captions(CaptionFormat::Srt)
    } else if trimmed.starts_with('{') && trimmed.contains("\"asset\"") {
        Sniffed::GltfJson
    } else if trimmed.starts_with('<') && trimmed.contains("<svg") {
        Sniffed::Image("image/svg+xml")
    } else {
        Sniffed::Text
    };
    Some(found)
}

fn is_vtt(text: &str) -> bool {
    text.strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']))
}

fn is_srt(text: &str) -> bool {
    let mut lines = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .skip_while(|l| l.trim().is_empty());
    let index_ok = lines.next().map(str::trim).is_some_and(|l| {
        !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) && l.bytes().any(|b| b != b'0')
    });
    index_ok && lines.next().is_some_and(is_srt_timing)
}

fn is_srt_timing(line: &str) -> bool {
    let Some((start, end)) = line.split_once("-->") else {
        return false;
    };
    let end = end.trim_start();
    let end = end
        .get(..end.find([' ', '\t']).unwrap_or(end.len()))
        .unwrap_or("");
    is_srt_timestamp(start.trim()) && is_srt_timestamp(end)
}

/// `H+:MM:SS,mmm`; a dot before the milliseconds is common enough in the
/// wild to accept.
fn is_srt_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    let Some(colon) = t.find(':') else {
        return false;
    };
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let rest = &b[colon..];
    colon > 0
        && digits(&b[..colon])
        && rest.len() == 10
        && rest[0] == b':'
        && digits(&rest[1..3])
        && rest[3] == b':'
        && digits(&rest[4..6])
        && matches!(rest[6], b',' | b'.')
        && digits(&rest[7..10])
}

#[cfg(test)]
mod tests {
    use super::Container::*;
    use super::*;

    fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
        let mut v = ((16 + 4 * compat.len()) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(b"ftyp");
        v.extend_from_slice(major);
        v.extend_from_slice(&[0, 0, 2, 0]);
        compat.iter().for_each(|c| v.extend_from_slice(*c));
        v.extend_from_slice(b"\x00\x00\x00\x08free");
        v
    }

    fn riff(kind: &[u8; 4]) -> Vec<u8> {
        [&b"RIFF\x24\x00\x00\x00"[..], kind, b"fmt \x10\x00\x00\x00"].concat()
    }

    fn ebml(doctype: &[u8]) -> Vec<u8> {
        let head = b"\x1A\x45\xDF\xA3\xA3\x42\x86\x81\x01\x42\xF7\x81\x01\x42\x82";
        [
            &head[..],
            &[0x80 | doctype.len() as u8],
            doctype,
            b"\x42\x87\x81\x04",
        ]
        .concat()
    }

    fn check(cases: &[(&[u8], Sniffed)]) {
        for (i, (input, want)) in cases.iter().enumerate() {
            assert_eq!(
                sniff(input),
                *want,
                "case {i}: {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn containers() {
        let mut huge_box = ftyp(b"isom", &[b"M4A "]);
        huge_box[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut ts = vec![0u8; 400];
        (ts[0], ts[188]) = (0x47, 0x47);
        check(&[
            (
                &ftyp(b"isom", &[b"isom", b"avc1", b"mp41"]),
                Sniffed::Video(Mp4),
            ),
            (&ftyp(b"M4A ", &[b"M4A ", b"mp42"]), Sniffed::Audio(M4a)),
            (&ftyp(b"mp42", &[b"M4B "]), Sniffed::Audio(M4a)),
            (&ftyp(b"qt  ", &[b"qt  "]), Sniffed::Video(Mov)),
            (&huge_box, Sniffed::Audio(M4a)),
            (b"\x00\x00\x00\x10moov", Sniffed::Video(Mov)),
            (&ftyp(b"avif", &[b"mif1"]), Sniffed::Image("image/avif")),
            (&ebml(b"webm"), Sniffed::Video(WebM)),
            (&ebml(b"matroska"), Sniffed::Video(Matroska)),
            (b"\x1A\x45\xDF\xA3", Sniffed::Video(Matroska)),
            (b"\x1A\x45\xDF\xA3\x42\x82\x88web", Sniffed::Video(Matroska)),
            (b"\x1A\x45\xDF\xA3\x42\x82\x00", Sniffed::Video(Matroska)),
            (&riff(b"AVI "), Sniffed::Video(Avi)),
            (&riff(b"WAVE"), Sniffed::Audio(Wav)),
            (
                b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01vorbis",
                Sniffed::Audio(Ogg),
            ),
            (
                b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x80theora",
                Sniffed::Video(Ogg),
            ),
            (&ts, Sniffed::Video(MpegTs)),
            (&ts[..100], Sniffed::Unknown),
            (b"\x00\x00\x01\xBA\x44", Sniffed::Video(MpegPs)),
            (b"fLaC\x00\x00\x00\x22", Sniffed::Audio(Flac)),
            (b"\xFF\xFB\x90\x64\x00", Sniffed::Audio(Mp3)),
            (b"\xFF\xF1\x50\x80\x02", Sniffed::Audio(Aac)),
            (b"ID3\x04\x00\x00\x00\x00\x00\x00", Sniffed::Audio(Mp3)),
            (
                b"ID3\x04\x00\x00\x00\x00\x00\x02\x00\x00fLaC",
                Sniffed::Audio(Flac),
            ),
            (b"\xFF\xFB\xF0\x00", Sniffed::Unknown),
        ]);
    }

    #[test]
    fn mime_and_probe() {
        let cases = [
            (Sniffed::Video(Mp4), "video/mp4", true),
            (Sniffed::Audio(M4a), "audio/mp4", false),
            (Sniffed::Video(WebM), "video/webm", true),
            (Sniffed::Audio(Ogg), "audio/ogg", true),
            (Sniffed::Video(Avi), "video/x-msvideo", false),
            (Sniffed::Audio(Mp3), "audio/mpeg", false),
            (Sniffed::Captions(CaptionFormat::Vtt), "text/vtt", false),
            (Sniffed::GltfJson, "model/gltf+json", false),
            (Sniffed::Image("image/png"), "image/png", false),
            (Sniffed::Unknown, "application/octet-stream", false),
        ];
        for (s, mime, probe) in cases {
            assert_eq!((s.mime(), s.needs_probe()), (mime, probe), "{s:?}");
        }
        assert_eq!(Sniffed::Image("image/png").describe(), "a PNG image");
    }

    #[test]
    fn documents_images_and_models() {
        check(&[
            (b"%PDF-1.7\n%\xE2\xE3", Sniffed::Pdf),
            (b"\r\n%PDF-1.4", Sniffed::Pdf),
            (b"glTF\x02\x00\x00\x00\x00\x10\x00\x00", Sniffed::Glb),
            (b"PK\x03\x04\x14\x00", Sniffed::Zip),
            (b"PK\x05\x06", Sniffed::Zip),
            (
                b"\xEF\xBB\xBF \n{\"asset\":{\"version\":\"2.0\"}}",
                Sniffed::GltfJson,
            ),
            (b"{\"name\":\"not a model\"}", Sniffed::Text),
            (
                b"\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR",
                Sniffed::Image("image/png"),
            ),
            (
                b"\xFF\xD8\xFF\xE0\x00\x10JFIF",
                Sniffed::Image("image/jpeg"),
            ),
            (b"GIF89a\x01\x00", Sniffed::Image("image/gif")),
            (&riff(b"WEBP"), Sniffed::Image("image/webp")),
            (b"II*\x00\x08\x00", Sniffed::Image("image/tiff")),
            (
                b"<?xml version=\"1.0\"?>\n<svg/>",
                Sniffed::Image("image/svg+xml"),
            ),
        ]);
    }

    #[test]
    fn captions() {
        let srt = Sniffed::Captions(CaptionFormat::Srt);
        let vtt = Sniffed::Captions(CaptionFormat::Vtt);
        check(&[
            (b"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", vtt),
            (b"\xEF\xBB\xBFWEBVTT - title", vtt),
            (b"WEBVTT", vtt),
            (b"WEBVTTX\n", Sniffed::Text),
            (
                b"\xEF\xBB\xBF\r\n\r\n1\r\n00:00:01,000 --> 00:00:04,500\r\nHi\r\n",
                srt,
            ),
            (b"12\n01:02:03,004 --> 01:02:05,000 X1:10\n", srt),
            (b"0\n00:00:01,000 --> 00:00:02,000\n", Sniffed::Text),
            (b"1\n00:00:01 --> 00:00:02\n", Sniffed::Text),
            (b"1\n", Sniffed::Text),
        ]);
    }

    #[test]
    fn text_truncation_and_empty() {
        check(&[
            (
                b"These are my lecture notes, saved as notes.mp4.\n",
                Sniffed::Text,
            ),
            ("caf\u{e9} \u{1F600}".as_bytes(), Sniffed::Text),
            (&"h\u{e9}".as_bytes()[..2], Sniffed::Text),
            (b"text\x00with nul", Sniffed::Unknown),
            (b"\xC3\x28 invalid", Sniffed::Unknown),
            (b"", Sniffed::Unknown),
            (UTF8_BOM, Sniffed::Unknown),
            (b"\x89PN", Sniffed::Unknown),
            (b"\x00\x00\x00", Sniffed::Unknown),
            (b"RIF", Sniffed::Text),
            (b"\xFF", Sniffed::Unknown),
            (b"\x00\x00\x00\x18ftyp", Sniffed::Unknown),
            (b"ID3", Sniffed::Audio(Mp3)),
        ]);
        for f in [&ftyp(b"isom", &[b"avc1"])[..], &ebml(b"webm"), b"%PDF-1.4"] {
            (0..f.len()).for_each(|n| _ = sniff(&f[..n]));
        }
    }

    #[test]
    fn pseudo_random_input_never_panics() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let prefixes: [&[u8]; 6] = [
            b"",
            b"ID3",
            b"\x1A\x45\xDF\xA3",
            b"\x00\x00\x00\x20ftyp",
            b"RIFF",
            b"1\n",
        ];
        for i in 0..4000 {
            let mut buf = prefixes[i % prefixes.len()].to_vec();
            let len = (next() % 600) as usize;
            buf.extend((0..len).map(|_| next() as u8));
            let s = sniff(&buf);
            let _ = (s.mime(), s.needs_probe(), s.describe());
        }
    }
}
