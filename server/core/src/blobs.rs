//! Where files' bytes are kept: named by the SHA-256 of their content
//! (`ab/ab12…`, never by a name the uploader chose), in a folder of the
//! data folder by default or in an S3-compatible bucket, both through the
//! `object_store` crate.
//!
//! An upload is first received into a temporary file beside them (hashed
//! and counted as it streams in, refused as soon as it passes its limit),
//! so nothing of a file is ever whole in memory and a cut-off upload leaves
//! nothing: the temporary file goes with the request that was writing it.
//! Only a complete file is then kept under its hash: moved into place in
//! one rename on disk, or sent to the bucket in parts and completed in one
//! step, so a reader never sees half a file.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where an S3-compatible bucket is, which one to use and how to sign in;
/// what is not given here is read from the usual `AWS_*` environment
/// variables.
#[derive(Clone, Default)]
pub struct BucketSettings {
    pub bucket: String,
    /// e.g. `http://127.0.0.1:9000` for a server that is not AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// A failure of the file store.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("file store: {0}")]
    Store(#[from] object_store::Error),
    #[error("file store: {0}")]
    Io(#[from] std::io::Error),
    #[error("no such file in the store")]
    Missing,
}

/// Why an upload was not received.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// It went past the size limit (nothing of it is kept).
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    /// The client's body ended with an error: cut off (nothing is kept).
    #[error("the upload was cut off: {0}")]
    CutOff(String),
    /// The temporary file could not be written.
    #[error("cannot write the upload: {0}")]
    Io(#[from] std::io::Error),
}

/// An upload received whole into a temporary file, deleted when this is
/// dropped unless it was kept.
#[derive(Debug)]
pub struct Received {
    file: tempfile::NamedTempFile,
    /// Hex SHA-256 of its content.
    pub sha256: String,
    pub size: u64,
}

impl Received {
    /// The temporary file, for reading (pictures are measured from it).
    pub(crate) fn path(&self) -> &FsPath {
        self.file.path()
    }
}

/// Where files' bytes live; cheap to clone.
#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// For a folder on this machine: the folder (files are moved in).
    folder: Option<PathBuf>,
    /// Where uploads are received before they are kept.
    incoming: PathBuf,
}

/// How much of a file goes to the bucket in one part (S3's smallest part).
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Temporary files older than this, left by a process that stopped
/// mid-upload, are removed when the store opens.
const STALE_INCOMING: Duration = Duration::from_secs(3600);

impl Blobs {
    /// Files in `folder` (created if missing).
    pub fn in_folder(folder: impl Into<PathBuf>) -> Result<Blobs, BlobError> {
        let folder = folder.into();
        std::fs::create_dir_all(&folder)?;
        let incoming = folder.join(".incoming");
        let store = LocalFileSystem::new_with_prefix(&folder)?;
        let blobs = Blobs { store: Arc::new(store), folder: Some(folder), incoming };
        blobs.prepare_incoming()?;
        Ok(blobs)
    }

    /// Files in an S3-compatible bucket; uploads are received in `incoming`
    /// (a folder on this machine) first.
    pub fn in_bucket(settings: &BucketSettings, incoming: impl Into<PathBuf>) -> Result<Blobs, BlobError> {
        // The bucket is reached over rustls; its cryptography is ring's
        // (rustls marks it deprecated for lacking post-quantum key exchange;
        // aws-lc-rs, which has it, would add a C library to every build).
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&settings.bucket);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_allow_http(endpoint.starts_with("http://")).with_endpoint(endpoint);
        }
        if let Some(region) = &settings.region {
            builder = builder.with_region(region);
        }
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            builder = builder.with_access_key_id(id).with_secret_access_key(secret);
        }
        let blobs = Blobs { store: Arc::new(builder.build()?), folder: None, incoming: incoming.into() };
        blobs.prepare_incoming()?;
        Ok(blobs)
    }

    fn prepare_incoming(&self) -> Result<(), BlobError> {
        std::fs::create_dir_all(&self.incoming)?;
        let now = SystemTime::now();
        for entry in std::fs::read_dir(&self.incoming)?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| now.duration_since(at).unwrap_or_default() > STALE_INCOMING);
            if stale && entry.file_name().to_string_lossy().starts_with("upload-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Where the bytes of content `sha256` are kept.
    fn location(sha256: &str) -> Path {
        Path::from(format!("{}/{sha256}", &sha256[..2.min(sha256.len())]))
    }

    /// Receives an upload's body into a temporary file, hashing it as it
    /// comes; refused once it passes `limit` bytes, or if it ends with an
    /// error (cut off). Either way nothing of it remains.
    pub async fn receive<S, E>(&self, body: S, limit: u64) -> Result<Received, ReceiveError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let file = tempfile::Builder::new().prefix("upload-").tempfile_in(&self.incoming)?;
        let mut out = tokio::io::BufWriter::with_capacity(64 * 1024, tokio::fs::File::from_std(file.reopen()?));
        let (mut hash, mut size) = (Sha256::new(), 0u64);
        let mut body = body;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ReceiveError::CutOff(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(ReceiveError::TooLarge(limit));
            }
            hash.update(&chunk);
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        out.into_inner().sync_all().await?;
        Ok(Received { file, sha256: hex::encode(hash.finalize()), size })
    }

    /// Keeps a received upload under its hash (if the same content is kept
    /// already, the copy is dropped).
    pub async fn keep(&self, received: Received) -> Result<(), BlobError> {
        let location = Self::location(&received.sha256);
        if let Some(folder) = &self.folder {
            let target = folder.join(location.as_ref());
            return tokio::task::spawn_blocking(move || -> Result<(), BlobError> {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                received.file.persist(&target).map_err(|e| e.error)?;
                Ok(())
            })
            .await
            .map_err(std::io::Error::other)?;
        }
        let mut source = tokio::fs::File::open(received.path()).await?;
        let mut upload = WriteMultipart::new_with_chunk_size(self.store.put_multipart(&location).await?, PART_BYTES);
        let mut buf = vec![0u8; 256 * 1024];
        let sent: Result<(), BlobError> = async {
            loop {
                let n = source.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                // One part in flight at a time: a few MiB per upload.
                upload.wait_for_capacity(1).await?;
                upload.write(&buf[..n]);
            }
        }
        .await;
        match sent {
            Ok(()) => {
                upload.finish().await?;
                Ok(())
            }
            Err(e) => {
                let _ = upload.abort().await;
                Err(e)
            }
        }
    }

    /// The name a few bytes made here are kept under (their hash).
    pub fn hash_of(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Keeps a few bytes made here (a thumbnail) under their hash.
    pub async fn keep_bytes(&self, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.store.put(&Self::location(&Self::hash_of(&bytes)), bytes.into()).await?;
        Ok(())
    }

    /// The bytes of content `sha256`, as a stream, and how many there are.
    pub async fn open(&self, sha256: &str) -> Result<(u64, BoxStream<'static, Result<Bytes, BlobError>>), BlobError> {
        match self.store.get(&Self::location(sha256)).await {
            Ok(found) => Ok((found.meta.size, found.into_stream().map_err(BlobError::from).boxed())),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::Missing),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the bytes of content `sha256` (none there is no error).
    pub async fn forget(&self, sha256: &str) -> Result<(), BlobError> {
        match self.store.delete(&Self::location(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the bytes of content `sha256` are kept (for tests and checks).
    pub async fn has(&self, sha256: &str) -> Result<bool, BlobError> {
        match self.store.head(&Self::location(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(
        parts: Vec<Result<&'static [u8], &'static str>>,
    ) -> impl Stream<Item = Result<Bytes, &'static str>> + Unpin {
        futures_util::stream::iter(parts.into_iter().map(|p| p.map(Bytes::from_static)))
    }

    fn incoming_files(dir: &FsPath) -> usize {
        std::fs::read_dir(dir.join(".incoming")).unwrap().count()
    }

    #[tokio::test]
    async fn a_file_is_kept_under_its_hash_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::in_folder(dir.path()).unwrap();
        let received = blobs.receive(chunks(vec![Ok(b"hello "), Ok(b"world")]), 100).await.unwrap();
        let sha = received.sha256.clone();
        assert_eq!(sha, hex::encode(Sha256::digest(b"hello world")));
        assert_eq!(received.size, 11);
        blobs.keep(received).await.unwrap();
        assert!(dir.path().join(&sha[..2]).join(&sha).is_file());
        let (size, stream) = blobs.open(&sha).await.unwrap();
        let bytes: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert_eq!((size, bytes.concat()), (11, b"hello world".to_vec()));
        assert_eq!(incoming_files(dir.path()), 0);
        blobs.forget(&sha).await.unwrap();
        assert!(!blobs.has(&sha).await.unwrap());
        blobs.forget(&sha).await.unwrap();
        assert!(matches!(blobs.open(&sha).await, Err(BlobError::Missing)));
    }

    #[tokio::test]
    async fn a_file_too_large_or_cut_off_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::in_folder(dir.path()).unwrap();
        let too_large = blobs.receive(chunks(vec![Ok(b"12345"), Ok(b"678")]), 6).await;
        assert!(matches!(too_large, Err(ReceiveError::TooLarge(6))), "{too_large:?}");
        let cut = blobs.receive(chunks(vec![Ok(b"123"), Err("connection reset")]), 100).await;
        assert!(matches!(cut, Err(ReceiveError::CutOff(_))), "{cut:?}");
        assert_eq!(incoming_files(dir.path()), 0);
        let kept: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(kept, vec![std::ffi::OsString::from(".incoming")]);
    }
}
