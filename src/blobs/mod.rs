//! Content-addressed blobs: every stored byte is keyed by its SHA-256, so the same lecture
//! uploaded by ten teachers is stored once, and cached anywhere forever.

use std::path::Path as FsPath;

use futures::TryStreamExt;
use object_store::{path::Path, ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::{
    db::{time::now_ms, Db},
    storage::Store,
};

mod store;

/// A lowercase hex SHA-256: the only way to name a blob.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(s.to_owned()))
    }

    pub fn from_digest(d: Sha256) -> Self {
        Self(hex::encode(d.finalize()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `blobs/ab/cd/abcd…`: two fan-out levels keep folders small on the local store.
pub fn key(sha: &Sha256Hex) -> Path {
    let s = sha.as_str();
    Path::from(format!("blobs/{}/{}/{}", &s[..2], &s[2..4], s))
}

/// Whether the blob is recorded.
pub async fn exists(db: &Db, sha: &Sha256Hex) -> sqlx::Result<bool> {
    Ok(store::count(db, sha.as_str()).await? > 0)
}

/// Records a stored blob (once: a second record of the same blob does nothing).
pub async fn record(
    db: &Db,
    sha: &Sha256Hex,
    bytes: u64,
    mime: &str,
    crc32: u32,
) -> sqlx::Result<()> {
    store::insert(
        db,
        sha.as_str(),
        bytes as i64,
        mime,
        now_ms(),
        i64::from(crc32),
    )
    .await
}

/// What delivery needs to know of a blob; immutable, so it may be cached forever.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlobMeta {
    pub mime: String,
    pub bytes: i64,
    pub created_at: i64,
    pub crc32: Option<i64>,
}

/// The blob's delivery metadata, if it is recorded.
pub async fn meta(db: &Db, sha: &Sha256Hex) -> sqlx::Result<Option<BlobMeta>> {
    store::meta(db, sha.as_str()).await
}

/// The blob's MIME type and size, if it is recorded.
pub async fn mime_of(db: &Db, sha: &Sha256Hex) -> sqlx::Result<Option<(String, i64)>> {
    store::mime_and_bytes(db, sha.as_str()).await
}

const CHUNK: usize = 1 << 20;

/// SHA-256 and CRC-32 (for ZIP bundles) of a local file, without loading it.
pub async fn hash_file(path: &FsPath) -> std::io::Result<(Sha256Hex, u64, u32)> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        crc.update(&buf[..n]);
        total += n as u64;
    }
    Ok((Sha256Hex::from_digest(hasher), total, crc.finalize()))
}

/// Stores a local file as a blob (once: an existing blob is not uploaded again).
pub async fn put_file(
    store: &Store,
    db: &Db,
    path: &FsPath,
    mime: &str,
) -> anyhow::Result<(Sha256Hex, u64)> {
    let (sha, bytes, crc) = hash_file(path).await?;
    if !exists(db, &sha).await? {
        put_object(store, &sha, path).await?;
        record(db, &sha, bytes, mime, crc).await?;
    }
    Ok((sha, bytes))
}

/// Writes the file into the store as the blob `sha` (streamed in parts), recording nothing.
pub async fn put_object(store: &Store, sha: &Sha256Hex, path: &FsPath) -> anyhow::Result<()> {
    let upload = store.object_store().put_multipart(&key(sha)).await?;
    let mut writer = WriteMultipart::new(upload);
    let mut file = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        writer.wait_for_capacity(4).await?;
        writer.write(&buf[..n]);
    }
    writer.finish().await?;
    Ok(())
}

/// Streams an object into a local file (ffmpeg reads files).
pub async fn download(store: &Store, key: &Path, to: &FsPath) -> anyhow::Result<u64> {
    use tokio::io::AsyncWriteExt;
    let mut stream = store.object_store().get(key).await?.into_stream();
    let mut file = tokio::fs::File::create(to).await?;
    let mut total = 0u64;
    while let Some(chunk) = stream.try_next().await? {
        file.write_all(&chunk).await?;
        total += chunk.len() as u64;
    }
    file.flush().await?;
    Ok(total)
}

/// Bytes an organisation stores: every blob its assets hold (sources, renditions, the files
/// of unpacked packages), each counted once, plus uploads still in progress.
pub async fn org_usage(db: &Db, org_id: &str) -> sqlx::Result<u64> {
    let stored = store::org_stored_bytes(db, org_id).await?;
    let pending = store::org_pending_upload_bytes(db, org_id).await?;
    Ok((stored + pending).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fan_out_by_prefix() {
        let sha = Sha256Hex::parse(&"ab".repeat(32)).unwrap();
        assert_eq!(
            key(&sha).as_ref(),
            format!("blobs/ab/ab/{}", "ab".repeat(32))
        );
        assert!(Sha256Hex::parse("AB").is_none());
        assert!(Sha256Hex::parse(&"g".repeat(64)).is_none());
    }
}
