//! Fragmented-MP4 indexer: finds the init section and each moof+mdat fragment (byte range and
//! timing) so HLS byte-range playlists can point into one file per rendition.
//!
//! Pure and defensive: uploads are hostile input, so every length is checked and any
//! inconsistency becomes an error rather than a panic or an out-of-bounds slice.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Fmp4Error {
    #[error("box at byte {0} runs past the end of its container")]
    Truncated(u64),
    #[error("box at byte {0} has an impossible size")]
    BadSize(u64),
    #[error("no moov box before the first fragment")]
    NoMoov,
    #[error("file has no fragments (not fragmented MP4)")]
    NoFragments,
    #[error("track has no usable timescale")]
    NoTimescale,
    #[error("malformed {0} box")]
    Malformed(&'static str),
    #[error("read failed: {0}")]
    Io(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxRange {
    pub kind: [u8; 4],
    pub offset: u64,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub id: u32,
    pub handler: [u8; 4],
    pub timescale: u32,
    /// First stsd entry (fourcc, payload); `hls::codec_string` turns it into RFC 6381.
    pub sample_entry: Option<([u8; 4], Vec<u8>)>,
    trex_duration: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    /// Byte offset of the moof; the range covers moof and its mdat(s).
    pub offset: u64,
    pub length: u64,
    pub start_secs: f64,
    pub duration_secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FragmentIndex {
    pub file_size: u64,
    pub boxes: Vec<BoxRange>,
    /// ftyp+moov. A sidx (ffmpeg's global_sidx puts it right after moov) is deliberately left
    /// out: HLS players never need it, and keeping it out lets the init section stay identical
    /// in shape to a CMAF init segment.
    pub init_offset: u64,
    pub init_length: u64,
    pub tracks: Vec<Track>,
    pub fragments: Vec<Fragment>,
}

impl FragmentIndex {
    pub fn duration_secs(&self) -> f64 {
        self.fragments.iter().map(|f| f.duration_secs).sum()
    }
}

/// Top-level box plus, for moov/moof only, its payload (mdat is never loaded).
struct TopBox {
    range: BoxRange,
    body: Vec<u8>,
}

/// Parses a box header at the start of `h`; `avail` is how many bytes the enclosing container
/// still has from this point. Returns (kind, header length, total size).
fn header(h: &[u8], avail: u64, at: u64) -> Result<([u8; 4], u64, u64), Fmp4Error> {
    if h.len() < 8 || avail < 8 {
        return Err(Fmp4Error::Truncated(at));
    }
    let size32 = u32::from_be_bytes(h[0..4].try_into().unwrap()) as u64;
    let kind: [u8; 4] = h[4..8].try_into().unwrap();
    let (mut hdr, size) = match size32 {
        0 => (8, avail),
        1 => {
            if h.len() < 16 || avail < 16 {
                return Err(Fmp4Error::Truncated(at));
            }
            (16, u64::from_be_bytes(h[8..16].try_into().unwrap()))
        }
        n => (8, n),
    };
    if &kind == b"uuid" {
        hdr += 16;
    }
    if size < hdr {
        return Err(Fmp4Error::BadSize(at));
    }
    if size > avail {
        return Err(Fmp4Error::Truncated(at));
    }
    Ok((kind, hdr, size))
}

type Boxes<'a> = Vec<([u8; 4], &'a [u8])>;

/// Child boxes of a container payload as (kind, payload).
pub(super) fn children(data: &[u8]) -> Result<Boxes<'_>, Fmp4Error> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < data.len() {
        let (kind, hdr, size) = header(&data[off..], (data.len() - off) as u64, off as u64)?;
        let (hdr, size) = (hdr as usize, size as usize);
        out.push((kind, &data[off + hdr..off + size]));
        off += size;
    }
    Ok(out)
}

/// Descends through nested containers, e.g. `[mdia, mdhd]`.
pub(super) fn path<'a>(data: &'a [u8], kinds: &[&[u8; 4]]) -> Result<Option<&'a [u8]>, Fmp4Error> {
    let mut cur = data;
    for k in kinds {
        match children(cur)?.into_iter().find(|(kk, _)| kk == *k) {
            Some((_, b)) => cur = b,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// Big-endian unsigned of `n` bytes at `i`, bounds-checked.
fn rd(b: &[u8], i: usize, n: usize, what: &'static str) -> Result<u64, Fmp4Error> {
    let s = b
        .get(i..i.saturating_add(n))
        .ok_or(Fmp4Error::Malformed(what))?;
    Ok(s.iter().fold(0, |acc, &x| (acc << 8) | x as u64))
}

fn parse_moov(moov: &[u8]) -> Result<Vec<Track>, Fmp4Error> {
    let mut trex = Vec::new();
    if let Some(mvex) = path(moov, &[b"mvex"])? {
        for (k, b) in children(mvex)? {
            if &k == b"trex" {
                trex.push((rd(b, 4, 4, "trex")? as u32, rd(b, 12, 4, "trex")? as u32));
            }
        }
    }
    let mut tracks = Vec::new();
    for (k, trak) in children(moov)? {
        if &k != b"trak" {
            continue;
        }
        let tkhd = path(trak, &[b"tkhd"])?.ok_or(Fmp4Error::Malformed("trak"))?;
        // Full boxes: version byte, then v1 widens the creation/modification times to 64 bits.
        let id = rd(
            tkhd,
            if tkhd.first() == Some(&1) { 20 } else { 12 },
            4,
            "tkhd",
        )? as u32;
        let mdhd = path(trak, &[b"mdia", b"mdhd"])?.ok_or(Fmp4Error::NoTimescale)?;
        let timescale = rd(
            mdhd,
            if mdhd.first() == Some(&1) { 20 } else { 12 },
            4,
            "mdhd",
        )? as u32;
        if timescale == 0 {
            return Err(Fmp4Error::NoTimescale);
        }
        let handler = path(trak, &[b"mdia", b"hdlr"])?
            .and_then(|h| h.get(8..12))
            .map(|s| s.try_into().unwrap())
            .unwrap_or(*b"\0\0\0\0");
        let stsd = path(trak, &[b"mdia", b"minf", b"stbl", b"stsd"])?;
        let sample_entry = match stsd.and_then(|s| s.get(8..)) {
            Some(entries) => children(entries)?.first().map(|(k, b)| (*k, b.to_vec())),
            None => None,
        };
        let trex_duration = trex
            .iter()
            .find(|(tid, _)| *tid == id)
            .map(|t| t.1)
            .unwrap_or(0);
        tracks.push(Track {
            id,
            handler,
            timescale,
            sample_entry,
            trex_duration,
        });
    }
    Ok(tracks)
}

/// (baseMediaDecodeTime, summed sample duration if known) of `track`'s traf in a moof.
fn parse_moof(moof: &[u8], track: &Track) -> Result<Option<(u64, Option<u64>)>, Fmp4Error> {
    for (_, traf) in children(moof)?.into_iter().filter(|(k, _)| k == b"traf") {
        let tfhd = path(traf, &[b"tfhd"])?.ok_or(Fmp4Error::Malformed("traf"))?;
        if rd(tfhd, 4, 4, "tfhd")? as u32 != track.id {
            continue;
        }
        let fl = rd(tfhd, 1, 3, "tfhd")?;
        // Optional tfhd fields precede default_sample_duration: base offset, description index.
        let i = 8 + if fl & 1 != 0 { 8 } else { 0 } + if fl & 2 != 0 { 4 } else { 0 };
        let default_dur = match fl & 8 {
            0 => track.trex_duration as u64,
            _ => rd(tfhd, i, 4, "tfhd")?,
        };
        let tfdt = path(traf, &[b"tfdt"])?.ok_or(Fmp4Error::Malformed("traf"))?;
        let base = match tfdt.first() {
            Some(1) => rd(tfdt, 4, 8, "tfdt")?,
            _ => rd(tfdt, 4, 4, "tfdt")?,
        };
        let mut total = Some(0u64);
        for (_, trun) in children(traf)?.into_iter().filter(|(k, _)| k == b"trun") {
            let fl = rd(trun, 1, 3, "trun")?;
            let count = rd(trun, 4, 4, "trun")?;
            let i = 8 + if fl & 1 != 0 { 4 } else { 0 } + if fl & 4 != 0 { 4 } else { 0 };
            let per = (fl >> 8 & 0xf).count_ones() as usize * 4;
            // Checked up front so a hostile sample_count cannot drive a long loop.
            if (i as u64).saturating_add(count * per as u64) > trun.len() as u64 {
                return Err(Fmp4Error::Malformed("trun"));
            }
            let dur = if fl & 0x100 != 0 {
                (0..count as usize).try_fold(0, |s, n| {
                    Ok(s + rd(trun, i + n * per, 4, "trun")?) as Result<u64, Fmp4Error>
                })?
            } else {
                count.saturating_mul(default_dur)
            };
            // A zero default means "unknown": fall back to the next fragment's tfdt.
            total = total
                .zip((fl & 0x100 != 0 || default_dur != 0).then_some(dur))
                .map(|(a, b)| a.saturating_add(b));
        }
        return Ok(Some((base, total)));
    }
    Ok(None)
}

fn build(file_size: u64, top: &[TopBox]) -> Result<FragmentIndex, Fmp4Error> {
    let first_moof = top.iter().position(|b| &b.range.kind == b"moof");
    let before = &top[..first_moof.unwrap_or(top.len())];
    let moov = before
        .iter()
        .find(|b| &b.range.kind == b"moov")
        .ok_or(Fmp4Error::NoMoov)?;
    let first_moof = first_moof.ok_or(Fmp4Error::NoFragments)?;
    let tracks = parse_moov(&moov.body)?;
    // Fragment timing follows video when there is any: segment boundaries are its keyframes.
    let primary = tracks
        .iter()
        .find(|t| &t.handler == b"vide")
        .or(tracks.first())
        .ok_or(Fmp4Error::Malformed("moov"))?;
    let ts = primary.timescale as f64;

    let mut raw: Vec<(u64, u64, Option<u64>, Option<u64>)> = Vec::new();
    let mut i = first_moof;
    while i < top.len() {
        let b = &top[i];
        if &b.range.kind != b"moof" {
            i += 1;
            continue;
        }
        let mut end = b.range.offset + b.range.size;
        let mut j = i + 1;
        while j < top.len() && !matches!(&top[j].range.kind, b"moof" | b"mfra") {
            if &top[j].range.kind == b"mdat" {
                end = top[j].range.offset + top[j].range.size;
            }
            j += 1;
        }
        let (base, dur) = parse_moof(&b.body, primary)?.map_or((None, None), |(b, d)| (Some(b), d));
        raw.push((b.range.offset, end - b.range.offset, base, dur));
        i = j;
    }
    let mut fragments = Vec::with_capacity(raw.len());
    let mut next_start = 0u64;
    for (n, &(offset, length, base, dur)) in raw.iter().enumerate() {
        let start = base.unwrap_or(next_start);
        let dur = dur
            .or_else(|| raw.get(n + 1)?.2.map(|nb| nb.saturating_sub(start)))
            .unwrap_or(0);
        next_start = start.saturating_add(dur);
        fragments.push(Fragment {
            offset,
            length,
            start_secs: start as f64 / ts,
            duration_secs: dur as f64 / ts,
        });
    }
    let init_offset = before.first().map(|b| b.range.offset).unwrap_or(0);
    Ok(FragmentIndex {
        file_size,
        boxes: top.iter().map(|b| b.range).collect(),
        init_offset,
        init_length: moov.range.offset + moov.range.size - init_offset,
        tracks: tracks.clone(),
        fragments,
    })
}

/// Largest moov/moof we will load; real ones are kilobytes, so more means a hostile file.
const MAX_META_BOX: u64 = 64 << 20;

/// Walks top-level headers through `read_at(offset, buf)`, loading only moov/moof payloads,
/// so the same code serves in-memory buffers and multi-gigabyte files.
fn walk(
    len: u64,
    mut read_at: impl FnMut(u64, &mut [u8]) -> io::Result<()>,
) -> Result<FragmentIndex, Fmp4Error> {
    let io = |e: io::Error| Fmp4Error::Io(e.to_string());
    let mut top = Vec::new();
    let mut off = 0u64;
    while off < len {
        let mut h = [0u8; 32];
        let want = (len - off).min(32) as usize;
        read_at(off, &mut h[..want]).map_err(io)?;
        let (kind, hdr, size) = header(&h[..want], len - off, off)?;
        let mut body = Vec::new();
        if matches!(&kind, b"moov" | b"moof") {
            if size - hdr > MAX_META_BOX {
                return Err(Fmp4Error::BadSize(off));
            }
            body = vec![0u8; (size - hdr) as usize];
            read_at(off + hdr, &mut body).map_err(io)?;
        }
        let range = BoxRange {
            kind,
            offset: off,
            size,
        };
        top.push(TopBox { range, body });
        off += size;
    }
    build(len, &top)
}

pub fn index(bytes: &[u8]) -> Result<FragmentIndex, Fmp4Error> {
    walk(bytes.len() as u64, |off, buf| {
        let src = usize::try_from(off)
            .ok()
            .and_then(|o| bytes.get(o..o.checked_add(buf.len())?))
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    })
}

/// Like [`index`] but reads only box headers plus moov/moof payloads from disk, never mdat.
pub fn index_file(path: &Path) -> io::Result<FragmentIndex> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    walk(len, |off, buf| {
        f.seek(SeekFrom::Start(off))?;
        f.read_exact(buf)
    })
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], parts: &[&[u8]]) -> Vec<u8> {
        let body = parts.concat();
        [&((body.len() + 8) as u32).to_be_bytes()[..], kind, &body].concat()
    }
    fn be(x: u32) -> Vec<u8> {
        x.to_be_bytes().to_vec()
    }

    /// Minimal but spec-shaped fMP4: one avc1 track, one moof+mdat per entry of `durs`.
    fn synthetic(ts: u32, durs: &[u32], large_mdat: bool) -> Vec<u8> {
        let avc1 = bx(
            b"avc1",
            &[&[0u8; 78], &bx(b"avcC", &[&[1, 0x4d, 0x40, 0x1f]])],
        );
        let stsd = bx(b"stsd", &[&be(0), &be(1), &avc1]);
        let mdia = bx(
            b"mdia",
            &[
                &bx(b"mdhd", &[&be(0), &[0; 8], &be(ts), &be(0)]),
                &bx(b"hdlr", &[&be(0), &be(0), b"vide"]),
                &bx(b"minf", &[&bx(b"stbl", &[&stsd])]),
            ],
        );
        let trak = bx(b"trak", &[&bx(b"tkhd", &[&be(3), &[0; 8], &be(1)]), &mdia]);
        let trex = bx(b"trex", &[&be(0), &be(1), &be(1), &be(0), &be(0), &be(0)]);
        let moov = bx(b"moov", &[&trak, &bx(b"mvex", &[&trex])]);
        let mut out = [bx(b"ftyp", &[b"isom", &be(0)]), moov].concat();
        let mut t = 0u64;
        for &d in durs {
            let trun = bx(
                b"trun",
                &[&be(0x101), &be(2), &be(0), &be(d / 2), &be(d - d / 2)],
            );
            let tfdt = bx(b"tfdt", &[&be(1 << 24), &t.to_be_bytes()]);
            let traf = bx(
                b"traf",
                &[&bx(b"tfhd", &[&be(0x20000), &be(1)]), &tfdt, &trun],
            );
            out.extend(bx(b"moof", &[&bx(b"mfhd", &[&be(0), &be(1)]), &traf]));
            if large_mdat {
                out.extend([&be(1)[..], b"mdat", &(116u64).to_be_bytes(), &[7; 100]].concat());
            } else {
                out.extend(bx(b"mdat", &[&[7; 100]]));
            }
            t += d as u64;
        }
        out
    }

    #[test]
    fn indexes_synthetic_file() {
        let data = synthetic(1000, &[2000, 2000, 1500], false);
        let idx = index(&data).unwrap();
        let moov = idx.boxes.iter().find(|b| &b.kind == b"moov").unwrap();
        assert_eq!(
            (idx.init_offset, idx.init_length),
            (0, moov.offset + moov.size)
        );
        assert_eq!(super::super::hls::codecs(&idx), "avc1.4d401f");
        assert_eq!(idx.fragments.len(), 3);
        let f = &idx.fragments;
        assert_eq!(f[0].offset, idx.init_length);
        assert_eq!(f[1].offset, f[0].offset + f[0].length);
        assert_eq!(f[2].offset + f[2].length, data.len() as u64);
        assert_eq!((f[1].start_secs, f[1].duration_secs), (2.0, 2.0));
        assert_eq!(f[2].duration_secs, 1.5);
        assert_eq!(idx.duration_secs(), 5.5);
        for fr in f {
            assert_eq!(&data[fr.offset as usize + 4..][..4], b"moof");
        }
    }

    #[test]
    fn largesize_and_file_reader_agree() {
        let data = synthetic(90000, &[180000, 90000], true);
        let idx = index(&data).unwrap();
        assert_eq!(idx.fragments[0].duration_secs, 2.0);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.mp4");
        std::fs::write(&p, &data).unwrap();
        assert_eq!(index_file(&p).unwrap(), idx);
    }

    #[test]
    fn rejects_bad_sizes() {
        let mut data = synthetic(1000, &[1000], false);
        assert_eq!(
            index(&data[..data.len() - 1]),
            Err(Fmp4Error::Truncated(data.len() as u64 - 108))
        );
        data[0..4].copy_from_slice(&be(3));
        assert_eq!(index(&data), Err(Fmp4Error::BadSize(0)));
        assert_eq!(index(&bx(b"ftyp", &[b"isom"])), Err(Fmp4Error::NoMoov));
    }

    #[test]
    fn hostile_input_never_panics() {
        // Deterministic LCG so a failure reproduces; mutations target size fields often.
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as usize
        };
        let base = synthetic(1000, &[1000, 1000], true);
        for i in 0..5000 {
            let mut d = base.clone();
            match i % 4 {
                0 => d.truncate(rnd() % d.len()),
                1 => {
                    for _ in 0..1 + rnd() % 8 {
                        let at = rnd() % d.len();
                        d[at] = rnd() as u8;
                    }
                }
                2 => {
                    let at = rnd() % (d.len() - 4);
                    let v = [0, 1, 7, 8, 0xffff_ffff, rnd() as u32][rnd() % 6];
                    d[at..at + 4].copy_from_slice(&be(v));
                }
                _ => d = (0..rnd() % 300).map(|_| rnd() as u8).collect(),
            }
            let _ = index(&d);
        }
    }
}
