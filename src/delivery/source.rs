//! Where served bytes come from. Small blobs are kept in memory; on the local store files are
//! kept open and read with positional reads on the runtime worker, which measured fastest for
//! page-cached data (../shared/PERFORMANCE.md); any other store streams ranged reads.

use std::{
    os::unix::fs::FileExt,
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc,
    },
};

use axum::{body::Body, http::HeaderValue};
use bytes::Bytes;
use futures::TryStreamExt;
use moka::sync::Cache;
use object_store::{GetOptions, GetRange, ObjectStore};

use crate::{
    blobs::{self, BlobMeta, Sha256Hex},
    config::StoreLocation,
    db::Db,
    error::Result,
    storage::Store,
};

/// Blobs up to this size are served from memory once read.
const SMALL: u64 = 64 << 10;
/// Ranges up to this size are read in one positional read; larger ones stream.
const INLINE: u64 = 1 << 20;
/// What the chunks of all streamed responses may hold at once: each stream's next chunk is this
/// shared by the streams open now, between `MIN_CHUNK` and `MAX_CHUNK`. A few fast readers get
/// large reads; a thousand slow ones (each pinning the chunk it has not taken yet) stay within
/// the budget instead of holding a fixed large chunk each.
const STREAM_BUDGET: u64 = 24 << 20;
const MIN_CHUNK: u64 = 16 << 10;
const MAX_CHUNK: u64 = 256 << 10;

/// A blob's metadata with its response headers built once (blobs never change).
pub struct Prepared {
    pub meta: BlobMeta,
    pub etag: String,
    pub etag_header: HeaderValue,
    pub modified: std::time::SystemTime,
    pub last_modified: HeaderValue,
    pub content_type: HeaderValue,
}

impl Prepared {
    fn new(sha: &Sha256Hex, meta: BlobMeta) -> Self {
        let etag = format!("\"{}\"", sha.as_str());
        let modified =
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(meta.created_at.max(0) as u64);
        Self {
            etag_header: HeaderValue::from_str(&etag).expect("a hex ETag is a valid header"),
            etag,
            modified,
            last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(modified))
                .expect("an HTTP date is a valid header"),
            content_type: HeaderValue::from_str(&meta.mime)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            meta,
        }
    }
}

pub struct Source {
    store: Store,
    local_root: Option<PathBuf>,
    meta: Cache<String, Arc<Prepared>>,
    small: Cache<String, Bytes>,
    files: Cache<String, Arc<std::fs::File>>,
    /// Streamed responses open now.
    streams: Arc<AtomicU64>,
}

/// One streamed response, counted while it lives.
struct Streaming(Arc<AtomicU64>);

impl Streaming {
    fn open(streams: &Arc<AtomicU64>) -> Self {
        streams.fetch_add(1, Relaxed);
        Self(streams.clone())
    }

    /// The size of the next chunk, given how many streams share the budget now.
    fn chunk(&self) -> u64 {
        let share = STREAM_BUDGET / self.0.load(Relaxed).max(1);
        share.clamp(MIN_CHUNK, MAX_CHUNK) & !4095
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl Source {
    pub fn new(store: Store) -> Self {
        let local_root = match store.location() {
            StoreLocation::Local(dir) => Some(dir.clone()),
            StoreLocation::S3 { .. } => None,
        };
        Self {
            store,
            local_root,
            meta: Cache::new(200_000),
            small: Cache::builder()
                .weigher(|_, v: &Bytes| v.len() as u32)
                .max_capacity(64 << 20)
                .build(),
            files: Cache::new(512),
            streams: Arc::default(),
        }
    }

    /// A blob's metadata and headers (immutable, so cached without expiry).
    pub async fn meta(&self, db: &Db, sha: &Sha256Hex) -> Result<Option<Arc<Prepared>>> {
        if let Some(m) = self.meta.get(sha.as_str()) {
            return Ok(Some(m));
        }
        let Some(m) = blobs::meta(db, sha).await? else {
            return Ok(None);
        };
        let m = Arc::new(Prepared::new(sha, m));
        self.meta.insert(sha.as_str().to_owned(), m.clone());
        Ok(Some(m))
    }

    fn file(&self, sha: &Sha256Hex) -> std::io::Result<Option<Arc<std::fs::File>>> {
        let Some(root) = &self.local_root else {
            return Ok(None);
        };
        if let Some(f) = self.files.get(sha.as_str()) {
            return Ok(Some(f));
        }
        let f = Arc::new(std::fs::File::open(root.join(blobs::key(sha).as_ref()))?);
        self.files.insert(sha.as_str().to_owned(), f.clone());
        Ok(Some(f))
    }

    /// The bytes `start..start + len` of a blob of `total` bytes.
    pub async fn body(&self, sha: &Sha256Hex, total: u64, start: u64, len: u64) -> Result<Body> {
        if total <= SMALL {
            let all = match self.small.get(sha.as_str()) {
                Some(b) => b,
                None => {
                    let b = self.read(sha, 0, total).await?;
                    self.small.insert(sha.as_str().to_owned(), b.clone());
                    b
                }
            };
            return Ok(Body::from(
                all.slice(start as usize..(start + len) as usize),
            ));
        }
        if len <= INLINE {
            return Ok(Body::from(self.read(sha, start, len).await?));
        }
        if let Some(file) = self.file(sha)? {
            // Large ranges stream chunk by chunk, so a slow reader holds one chunk at a time.
            let open = Streaming::open(&self.streams);
            let stream = futures::stream::try_unfold((start, open), move |(pos, open)| {
                let file = file.clone();
                async move {
                    let end = start + len;
                    if pos >= end {
                        return Ok(None);
                    }
                    let n = open.chunk().min(end - pos);
                    let chunk = tokio::task::spawn_blocking(move || read_at(&file, pos, n))
                        .await
                        .map_err(std::io::Error::other)??;
                    Ok::<_, std::io::Error>(Some((chunk, (pos + n, open))))
                }
            });
            return Ok(Body::from_stream(stream));
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(start..start + len)),
            ..Default::default()
        };
        let result = self
            .store
            .object_store()
            .get_opts(&blobs::key(sha), options)
            .await?;
        Ok(Body::from_stream(
            result.into_stream().map_err(std::io::Error::other),
        ))
    }

    /// One contiguous read into memory.
    pub async fn read(&self, sha: &Sha256Hex, start: u64, len: u64) -> Result<Bytes> {
        if let Some(file) = self.file(sha)? {
            return Ok(read_at(&file, start, len)?);
        }
        Ok(self
            .store
            .object_store()
            .get_range(&blobs::key(sha), start..start + len)
            .await?)
    }
}

fn read_at(file: &std::fs::File, pos: u64, len: u64) -> std::io::Result<Bytes> {
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, pos)?;
    Ok(Bytes::from(buf))
}
