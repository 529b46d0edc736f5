//! A stored (uncompressed) ZIP laid out from metadata alone: every entry's size and CRC-32 are
//! known before a byte is read, so the archive is deterministic, has a stable ETag, and any
//! byte range of it can be served by reading only the files that range touches. ZIP64 records
//! are written when sizes, offsets or the entry count need them.

use bytes::{BufMut, Bytes, BytesMut};

/// One piece of the archive: bytes built here, or a stretch of a stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Inline(Bytes),
    Blob { sha256: String, len: u64 },
}

impl Segment {
    pub fn len(&self) -> u64 {
        match self {
            Self::Inline(b) => b.len() as u64,
            Self::Blob { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct Entry {
    pub name: String,
    pub crc32: u32,
    pub data: Segment,
}

const MAX32: u64 = 0xFFFF_FFFF;
/// 1980-01-01 00:00: a fixed timestamp keeps the bytes identical from one request to the next.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Bit 11: names are UTF-8 (course and file names in Chinese).
const FLAGS: u16 = 1 << 11;

fn zip64_extra(fields: &[u64]) -> Vec<u8> {
    let mut e = BytesMut::new();
    e.put_u16_le(0x0001);
    e.put_u16_le((fields.len() * 8) as u16);
    for f in fields {
        e.put_u64_le(*f);
    }
    e.to_vec()
}

/// The archive as segments, in order; their lengths add up to the archive's size.
pub fn layout(entries: &[Entry]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut central = BytesMut::new();
    let mut offset = 0u64;
    for e in entries {
        let size = e.data.len();
        let big = size >= MAX32 || offset >= MAX32;
        let mut local = BytesMut::new();
        local.put_u32_le(0x0403_4b50);
        local.put_u16_le(if big { 45 } else { 20 });
        local.put_u16_le(FLAGS);
        local.put_u16_le(0); // stored
        local.put_u16_le(DOS_TIME);
        local.put_u16_le(DOS_DATE);
        local.put_u32_le(e.crc32);
        let local_extra = if size >= MAX32 {
            zip64_extra(&[size, size])
        } else {
            Vec::new()
        };
        let size32 = if size >= MAX32 {
            MAX32 as u32
        } else {
            size as u32
        };
        local.put_u32_le(size32);
        local.put_u32_le(size32);
        local.put_u16_le(e.name.len() as u16);
        local.put_u16_le(local_extra.len() as u16);
        local.put_slice(e.name.as_bytes());
        local.put_slice(&local_extra);

        let mut cd_fields = Vec::new();
        if size >= MAX32 {
            cd_fields.extend([size, size]);
        }
        if offset >= MAX32 {
            cd_fields.push(offset);
        }
        let cd_extra = if cd_fields.is_empty() {
            Vec::new()
        } else {
            zip64_extra(&cd_fields)
        };
        central.put_u32_le(0x0201_4b50);
        central.put_u16_le((3 << 8) | if big { 45 } else { 20 }); // made by Unix
        central.put_u16_le(if big { 45 } else { 20 });
        central.put_u16_le(FLAGS);
        central.put_u16_le(0);
        central.put_u16_le(DOS_TIME);
        central.put_u16_le(DOS_DATE);
        central.put_u32_le(e.crc32);
        central.put_u32_le(size32);
        central.put_u32_le(size32);
        central.put_u16_le(e.name.len() as u16);
        central.put_u16_le(cd_extra.len() as u16);
        central.put_u16_le(0); // comment
        central.put_u16_le(0); // disk
        central.put_u16_le(0); // internal attributes
        central.put_u32_le(0o100644 << 16); // a regular, readable file
        central.put_u32_le(if offset >= MAX32 {
            MAX32 as u32
        } else {
            offset as u32
        });
        central.put_slice(e.name.as_bytes());
        central.put_slice(&cd_extra);

        offset += local.len() as u64 + size;
        out.push(Segment::Inline(local.freeze()));
        out.push(e.data.clone());
    }
    let cd_offset = offset;
    let cd_size = central.len() as u64;
    let count = entries.len() as u64;
    let mut tail = BytesMut::new();
    tail.put_slice(&central);
    if count >= 0xFFFF || cd_offset >= MAX32 || cd_size >= MAX32 {
        let eocd64 = cd_offset + cd_size;
        tail.put_u32_le(0x0606_4b50);
        tail.put_u64_le(44);
        tail.put_u16_le((3 << 8) | 45);
        tail.put_u16_le(45);
        tail.put_u32_le(0);
        tail.put_u32_le(0);
        tail.put_u64_le(count);
        tail.put_u64_le(count);
        tail.put_u64_le(cd_size);
        tail.put_u64_le(cd_offset);
        tail.put_u32_le(0x0706_4b50);
        tail.put_u32_le(0);
        tail.put_u64_le(eocd64);
        tail.put_u32_le(1);
    }
    tail.put_u32_le(0x0605_4b50);
    tail.put_u16_le(0);
    tail.put_u16_le(0);
    tail.put_u16_le(count.min(0xFFFF) as u16);
    tail.put_u16_le(count.min(0xFFFF) as u16);
    tail.put_u32_le(cd_size.min(MAX32) as u32);
    tail.put_u32_le(cd_offset.min(MAX32) as u32);
    tail.put_u16_le(0);
    out.push(Segment::Inline(tail.freeze()));
    out
}

pub fn total_len(segments: &[Segment]) -> u64 {
    segments.iter().map(Segment::len).sum()
}

/// The parts of `segments` that cover `start..start + len`, as (segment, offset in it, length).
pub fn slice(segments: &[Segment], start: u64, len: u64) -> Vec<(&Segment, u64, u64)> {
    let end = start + len;
    let mut pos = 0u64;
    let mut out = Vec::new();
    for s in segments {
        let (a, b) = (pos, pos + s.len());
        pos = b;
        if b <= start || a >= end || s.is_empty() {
            continue;
        }
        let from = start.max(a) - a;
        let to = end.min(b) - a;
        out.push((s, from, to - from));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let entries: Vec<Entry> = entries
            .iter()
            .map(|(n, d)| Entry {
                name: n.to_string(),
                crc32: crc32fast::hash(d),
                data: Segment::Inline(Bytes::copy_from_slice(d)),
            })
            .collect();
        let mut out = Vec::new();
        for s in layout(&entries) {
            match s {
                Segment::Inline(b) => out.extend_from_slice(&b),
                Segment::Blob { .. } => unreachable!(),
            }
        }
        out
    }

    #[test]
    fn a_small_archive_has_the_expected_structure() {
        let zip = inline(&[("manifest.json", b"{}"), ("files/课程.txt", b"hello")]);
        assert_eq!(&zip[..4], b"PK\x03\x04");
        let eocd = zip.len() - 22;
        assert_eq!(&zip[eocd..eocd + 4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([zip[eocd + 10], zip[eocd + 11]]), 2);
        let cd_offset = u32::from_le_bytes(zip[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        assert_eq!(&zip[cd_offset..cd_offset + 4], b"PK\x01\x02");
        // The same input always yields the same bytes.
        assert_eq!(
            zip,
            inline(&[("manifest.json", b"{}"), ("files/课程.txt", b"hello")])
        );
    }

    #[test]
    fn large_entries_get_zip64_records() {
        let entries = vec![
            Entry {
                name: "big.bin".into(),
                crc32: 1,
                data: Segment::Blob {
                    sha256: "a".into(),
                    len: 5 << 30,
                },
            },
            Entry {
                name: "after.bin".into(),
                crc32: 2,
                data: Segment::Blob {
                    sha256: "b".into(),
                    len: 10,
                },
            },
        ];
        let segs = layout(&entries);
        let Segment::Inline(local) = &segs[0] else {
            panic!()
        };
        assert_eq!(
            u32::from_le_bytes(local[18..22].try_into().unwrap()),
            u32::MAX,
            "size deferred to the zip64 extra"
        );
        assert_eq!(
            u16::from_le_bytes(local[28..30].try_into().unwrap()),
            20,
            "zip64 extra with both sizes"
        );
        let Segment::Inline(tail) = segs.last().unwrap() else {
            panic!()
        };
        assert_eq!(&tail[tail.len() - 22..tail.len() - 18], b"PK\x05\x06");
        assert!(
            tail.windows(4).any(|w| w == b"PK\x06\x06"),
            "a zip64 end of central directory"
        );
        assert!(
            tail.windows(4).any(|w| w == b"PK\x06\x07"),
            "and its locator"
        );
        assert_eq!(total_len(&segs), segs.iter().map(Segment::len).sum::<u64>());
    }

    #[test]
    fn slices_cover_exactly_the_range() {
        let segs = vec![
            Segment::Inline(Bytes::from_static(b"abc")),
            Segment::Blob {
                sha256: "x".into(),
                len: 10,
            },
            Segment::Inline(Bytes::from_static(b"de")),
        ];
        let parts = slice(&segs, 2, 12);
        assert_eq!(
            parts.iter().map(|p| (p.1, p.2)).collect::<Vec<_>>(),
            vec![(2, 1), (0, 10), (0, 1)]
        );
        assert_eq!(slice(&segs, 0, 3).len(), 1);
        assert!(slice(&segs, 15, 1).is_empty());
    }
}
