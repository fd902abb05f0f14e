//! Files: uploading one to a channel (received whole and checked before
//! anything is recorded; its bytes kept by their hash), fetching one (only
//! by those who may read the message it is attached to, or its uploader
//! before it is sent), an organization's storage total, and freeing the
//! bytes nothing refers to any more.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::BoxStream;
use tokio::sync::Semaphore;

use super::{ChannelAccess, Service, Standing, fail};
use crate::access;
use crate::blobs::{BlobError, Blobs, ReceiveError, Received};
use crate::error::{CoreError, CoreResult};
use crate::model::Attachment;
use crate::pictures::{self, Picture};
use crate::rules;
use crate::store::NewUpload;

/// An upload never sent is forgotten after this long.
const UNSENT_UPLOAD_KEPT: Duration = Duration::from_secs(24 * 3600);
/// Pictures examined at once (decoding takes memory and a core).
const PICTURES_AT_ONCE: usize = 2;
/// How long an upload waits for a blob with its content to finish being
/// deleted (a moment: its bytes are being removed).
const BLOB_DELETION_WAIT: Duration = Duration::from_secs(10);
/// A sweep's claim on a blob older than this was left by a sweep that
/// stopped: another takes it over.
const STALE_CLAIM: Duration = Duration::from_secs(600);

/// Where files are kept and how large one may be.
#[derive(Clone)]
pub(super) struct FileStore {
    blobs: Blobs,
    max_bytes: u64,
    pictures: Arc<Semaphore>,
    /// Held by the sweep that frees unused files.
    sweeping: Arc<tokio::sync::Mutex<()>>,
}

impl FileStore {
    fn new(blobs: Blobs, max_bytes: u64) -> Self {
        FileStore { blobs, max_bytes, pictures: Arc::new(Semaphore::new(PICTURES_AT_ONCE)), sweeping: Arc::default() }
    }

    /// Whether (and what) picture the upload is, one or two at a time.
    async fn examine(&self, received: &Received) -> Option<Picture> {
        // The turn goes with the work: a request given up does not stop it.
        let turn = self.pictures.clone().acquire_owned().await.ok()?;
        let path = received.path().to_owned();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            pictures::examine(&path)
        })
        .await
        .ok()
        .flatten()
    }
}

/// A file as it is to be sent to someone who may have it.
pub struct Download {
    /// The name to offer when it is saved.
    pub name: String,
    /// What it is served as: a picture's own type (shown as itself), or
    /// `application/octet-stream` (always a download).
    pub served_type: String,
    pub size: u64,
    pub bytes: BoxStream<'static, Result<Bytes, BlobError>>,
}

impl Download {
    /// Whether a browser may show it in place (a picture of a shown type);
    /// anything else is only ever saved.
    pub fn inline(&self) -> bool {
        self.served_type.starts_with("image/")
    }
}

fn no_such_file() -> CoreError {
    CoreError::not_found("There is no such file.")
}

impl Service {
    /// Keeps files' bytes in `blobs`, each at most `max_bytes`.
    pub fn with_files(mut self, blobs: Blobs, max_bytes: u64) -> Self {
        self.files = Some(FileStore::new(blobs, max_bytes));
        self
    }

    /// Where files are kept, if this service keeps any.
    fn file_store(&self) -> CoreResult<&FileStore> {
        self.files.as_ref().ok_or_else(|| CoreError::forbidden("This server keeps no files."))
    }

    /// The largest file accepted, in bytes (none without a file store).
    pub fn max_upload_bytes(&self) -> u64 {
        self.files.as_ref().map_or(0, |f| f.max_bytes)
    }

    /// Whether the holder may upload to the channel (they may post there),
    /// and within their rate: checked before a byte is received.
    async fn may_upload(&self, access: &ChannelAccess) -> CoreResult<()> {
        access::post(access.standing.role, access.channel.kind, access.channel.joined)?;
        self.within_message_rate(&access.standing.user).await
    }

    /// Receives a file for the channel (`name` and `content_type` as its
    /// uploader gave them) and keeps it until a message of theirs sends it
    /// ([`Service::draft`] names it). Too large: refused as soon as it
    /// passes the limit, and nothing of it is kept; nor of one cut off.
    pub async fn upload<S, E>(
        &self,
        access: &ChannelAccess,
        name: &str,
        content_type: &str,
        body: S,
    ) -> CoreResult<Attachment>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let files = self.file_store()?;
        self.may_upload(access).await?;
        let ChannelAccess { standing, channel } = access;
        let max = files.max_bytes;
        let received = files.blobs.receive(body, max).await.map_err(|e| match e {
            ReceiveError::TooLarge(_) => CoreError::Rule(rules::RuleError::TooLarge(format!(
                "A file may be at most {}; nothing was kept.",
                rules::human_size(max)
            ))),
            ReceiveError::CutOff(why) => {
                tracing::info!(user_id = standing.user.id, why, "upload cut off; nothing kept");
                CoreError::invalid("The upload was cut off before its end; nothing was kept.")
            }
            ReceiveError::Io(e) => {
                tracing::error!(error = %e, "receiving an upload");
                CoreError::Internal
            }
        })?;
        let picture = files.examine(&received).await;
        let thumbnail = picture.as_ref().and_then(|p| p.thumbnail.as_ref());
        let thumbnail = thumbnail.map(|t| (Blobs::hash_of(&t.bytes), t.bytes.len() as i64, t.served_type));
        let (name, content_type) = (rules::file_name(name), rules::declared_type(content_type));
        let upload = NewUpload {
            org_id: standing.org.id,
            channel_id: channel.id,
            uploader_id: standing.user.id,
            name: &name,
            content_type: &content_type,
            served_type: picture.as_ref().map_or("application/octet-stream", |p| p.served_type),
            size: received.size as i64,
            sha256: &received.sha256,
            image: picture.as_ref().map(|p| (i64::from(p.width), i64::from(p.height))),
            thumbnail: thumbnail.as_ref().map(|(sha, size, served_type)| (sha.as_str(), *size, *served_type)),
        };
        let file = self.record_upload(&upload).await?;
        // Recorded first, kept after: a blob in use is never deleted, so
        // these bytes cannot be removed under the new file.
        // In a task of its own: an upload to a bucket is completed or
        // aborted even if the request is given up.
        let blobs = files.blobs.clone();
        let keep = tokio::spawn(async move {
            if let Some(thumbnail) = picture.and_then(|p| p.thumbnail) {
                blobs.keep_bytes(thumbnail.bytes).await?;
            }
            blobs.keep(received).await
        });
        let kept = keep.await.unwrap_or_else(|e| Err(BlobError::Io(std::io::Error::other(e))));
        kept.map_err(|e| {
            tracing::error!(error = %e, "keeping an upload's bytes");
            CoreError::Unavailable
        })?;
        tracing::info!(
            user_id = standing.user.id,
            channel_id = channel.id,
            file_id = file.id,
            size = file.size,
            "file uploaded"
        );
        Ok(file)
    }

    /// Records an upload, waiting while a blob with its content is being
    /// deleted.
    async fn record_upload(&self, upload: &NewUpload<'_>) -> CoreResult<Attachment> {
        let started = tokio::time::Instant::now();
        loop {
            if let Some(file) = self.store.insert_upload(upload).await.map_err(fail("recording an upload"))? {
                return Ok(file);
            }
            if started.elapsed() > BLOB_DELETION_WAIT {
                tracing::warn!(sha256 = upload.sha256, "a blob stayed marked for deletion; upload refused");
                return Err(CoreError::Unavailable);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the sender uploaded each of `ids` to the channel and has not
    /// sent it yet; "no such file" if not.
    pub(super) async fn files_to_send(&self, access: &ChannelAccess, ids: &[i64]) -> CoreResult<()> {
        let found = self
            .store
            .unsent_uploads(ids, access.standing.user.id, access.channel.id)
            .await
            .map_err(fail("looking up uploads"))?;
        if found.len() != ids.len() {
            return Err(CoreError::not_found(
                "A file named in the message is not one you uploaded to this channel, or it was sent already.",
            ));
        }
        Ok(())
    }

    /// File `id` of the caller's organization (its thumbnail with
    /// `thumbnail`, the picture itself if it is small enough to have
    /// none), if they may have it: they may read the message it is
    /// attached to, or it is theirs and not sent yet. Anything else is "no
    /// such file", in the same words whether or not it exists.
    pub async fn download(&self, standing: &Standing, id: i64, thumbnail: bool) -> CoreResult<Download> {
        let row = self.store.file(standing.org.id, id).await.map_err(fail("looking up a file"))?;
        let row = row.ok_or_else(no_such_file)?;
        match row.message_seq {
            None if row.uploader_id != standing.user.id => return Err(no_such_file()),
            None => {}
            Some(seq) => {
                let access = self.channel_by_id(standing, row.channel_id).await.map_err(|e| match e {
                    CoreError::Unavailable | CoreError::Internal => e,
                    _ => no_such_file(),
                })?;
                let message = self.store.message_row_at(access.channel.id, seq, standing.user.id).await;
                let message = message.map_err(fail("looking up a file's message"))?;
                if message.is_none_or(|m| m.deleted) {
                    return Err(no_such_file());
                }
            }
        }
        let (sha256, served_type) = match (thumbnail, row.thumbnail) {
            (true, Some((sha256, served_type))) => (sha256, served_type),
            (true, None) if !row.served_type.starts_with("image/") => return Err(no_such_file()),
            _ => (row.sha256.clone(), row.served_type.clone()),
        };
        let (size, bytes) = self.file_store()?.blobs.open(&sha256).await.map_err(|e| {
            tracing::error!(error = %e, file_id = id, "reading a file's bytes");
            CoreError::Unavailable
        })?;
        Ok(Download { name: row.name, served_type, size, bytes })
    }

    /// Bytes of files stored for the caller's organization (owners).
    pub async fn storage_used(&self, standing: &Standing) -> CoreResult<i64> {
        access::see_file_storage(standing.role)?;
        self.store.storage_used(standing.org.id).await.map_err(fail("adding up an organization's files"))
    }

    /// Forgets uploads never sent, and deletes the bytes no file refers to
    /// any more (after a message with files is deleted, and in each sweep).
    pub(super) async fn free_unused_files(&self) {
        let Some(files) = &self.files else { return };
        let before = crate::store::now_ms() - UNSENT_UPLOAD_KEPT.as_millis() as i64;
        match self.store.expire_uploads(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(uploads = n, "unsent uploads expired"),
            Err(e) => tracing::warn!(error = %e, "cannot expire unsent uploads"),
        }
        // One sweep at a time here; across servers, each deletes only
        // what it claimed.
        let _sweeping = files.sweeping.lock().await;
        let claim = rand::random::<i64>().checked_abs().unwrap_or(1).max(1);
        let stale = crate::store::now_ms() - STALE_CLAIM.as_millis() as i64;
        let unused = match self.store.claim_unused_blobs(claim, stale).await {
            Ok(unused) => unused,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list unused files");
                return;
            }
        };
        for sha256 in unused {
            if let Err(e) = files.blobs.forget(&sha256).await {
                tracing::warn!(error = %e, sha256, "cannot delete an unused file's bytes; will try again");
                continue;
            }
            if let Err(e) = self.store.forget_blob(&sha256, claim).await {
                tracing::warn!(error = %e, sha256, "cannot forget a deleted file");
            }
        }
    }
}
