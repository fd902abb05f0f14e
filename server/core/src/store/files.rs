//! Files: uploads (a row each, naming its content's blob), attached to the
//! message that names them in that message's transaction
//! (`message_batch`), listed with the messages they belong to, and the
//! blobs' bookkeeping: which are in use, which nothing refers to any more
//! and may have their bytes deleted (see the migration `0019_files.sql`).

use super::dialect::{Tx, sql};
use super::{Store, StoreResult, now_ms};
use crate::model::{Attachment, Message};

/// A file being uploaded, checked and its bytes received.
#[derive(Debug)]
pub(crate) struct NewUpload<'a> {
    pub(crate) org_id: i64,
    pub(crate) channel_id: i64,
    pub(crate) uploader_id: i64,
    pub(crate) name: &'a str,
    pub(crate) content_type: &'a str,
    pub(crate) served_type: &'a str,
    pub(crate) size: i64,
    pub(crate) sha256: &'a str,
    /// A picture's width and height.
    pub(crate) image: Option<(i64, i64)>,
    /// Its thumbnail's blob, size and type.
    pub(crate) thumbnail: Option<(&'a str, i64, &'a str)>,
}

/// A file as a download needs it: where it belongs and what it is.
#[derive(Debug)]
pub(crate) struct FileRow {
    pub(crate) channel_id: i64,
    pub(crate) uploader_id: i64,
    /// The `seq` of the message it is attached to (`None`: not yet sent).
    pub(crate) message_seq: Option<i64>,
    pub(crate) name: String,
    pub(crate) sha256: String,
    /// Its thumbnail's blob and type, if it has one.
    pub(crate) thumbnail: Option<(String, String)>,
    /// What it is served as: a picture's own type, shown as itself, or
    /// `application/octet-stream`, a download.
    pub(crate) served_type: String,
}

#[derive(Debug)]
struct FileRecord {
    channel_id: i64,
    uploader_id: i64,
    message_seq: Option<i64>,
    name: String,
    sha256: String,
    thumb_sha256: Option<String>,
    thumb_type: Option<String>,
    served_type: String,
}

#[derive(Debug)]
struct AttachmentRecord {
    message_id: i64,
    id: i64,
    name: String,
    content_type: String,
    size: i64,
    width: Option<i64>,
    height: Option<i64>,
    thumb_sha256: Option<String>,
}

impl AttachmentRecord {
    fn into_attachment(self) -> Attachment {
        Attachment {
            id: self.id,
            name: self.name,
            content_type: self.content_type,
            size: self.size,
            image: self.width.zip(self.height),
            thumbnail: self.thumb_sha256.is_some(),
        }
    }
}

impl Store {
    /// Records an upload whose bytes are received (and about to be kept):
    /// its blobs are in use from now on. `None` while one of those blobs is
    /// being deleted: try again in a moment (its bytes must go first).
    pub(crate) async fn insert_upload(&self, upload: &NewUpload<'_>) -> StoreResult<Option<Attachment>> {
        let (mut tx, now) = (self.pool.begin_write().await?, now_ms());
        if !use_blob(&mut tx, upload.sha256, upload.size).await? {
            return Ok(None);
        }
        if let Some((sha, size, _)) = upload.thumbnail
            && !use_blob(&mut tx, sha, size).await?
        {
            return Ok(None);
        }
        let (width, height) = (upload.image.map(|i| i.0), upload.image.map(|i| i.1));
        let (thumb, thumb_type) = (upload.thumbnail.map(|t| t.0), upload.thumbnail.map(|t| t.2));
        let id = sql!(
            &mut tx,
            fetch_one,
            query_scalar!(
                r#"INSERT INTO files (org_id, channel_id, uploader_id, name, content_type, served_type, size, sha256, width, height, thumb_sha256, thumb_type, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id AS "id!""#,
                upload.org_id,
                upload.channel_id,
                upload.uploader_id,
                upload.name,
                upload.content_type,
                upload.served_type,
                upload.size,
                upload.sha256,
                width,
                height,
                thumb,
                thumb_type,
                now
            )
        )?;
        tx.commit().await?;
        Ok(Some(Attachment {
            id,
            name: upload.name.to_owned(),
            content_type: upload.content_type.to_owned(),
            size: upload.size,
            image: upload.image,
            thumbnail: upload.thumbnail.is_some(),
        }))
    }

    /// Of the files `ids`, those `uploader` uploaded to the channel and has
    /// not sent yet.
    pub(crate) async fn unsent_uploads(&self, ids: &[i64], uploader: i64, channel_id: i64) -> StoreResult<Vec<i64>> {
        let mut found = Vec::with_capacity(ids.len());
        let db = &mut self.db().await?;
        for id in ids {
            let unsent = sql!(
                &mut *db,
                fetch_optional,
                query_scalar!(
                    "SELECT id FROM files WHERE id = $1 AND uploader_id = $2 AND channel_id = $3 AND message_id IS NULL",
                    id,
                    uploader,
                    channel_id
                )
            )?;
            found.extend(unsent);
        }
        Ok(found)
    }

    /// The files attached to message `message_id`, in the order they were uploaded.
    pub(crate) async fn files_of(&self, message_id: i64) -> StoreResult<Vec<Attachment>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                AttachmentRecord,
                r#"SELECT message_id AS "message_id!", id AS "id!", name, content_type, size, width, height, thumb_sha256
                   FROM files WHERE message_id = $1 ORDER BY id"#,
                message_id
            )
        )?;
        Ok(rows.into_iter().map(AttachmentRecord::into_attachment).collect())
    }

    /// Puts their files on the messages among `events` (one channel's).
    pub(super) async fn with_files(&self, mut events: Vec<Message>) -> StoreResult<Vec<Message>> {
        let Some((channel_id, from, to)) = super::messages::shown_span(&events) else { return Ok(events) };
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                AttachmentRecord,
                r#"SELECT f.message_id AS "message_id!", f.id AS "id!", f.name, f.content_type, f.size, f.width, f.height, f.thumb_sha256
                   FROM files f JOIN messages m ON m.id = f.message_id
                   WHERE m.channel_id = $1 AND m.seq >= $2 AND m.seq <= $3 ORDER BY f.id"#,
                channel_id,
                from,
                to
            )
        )?;
        for row in rows {
            if let Some(m) = events.iter_mut().find(|m| m.id == row.message_id) {
                m.files.push(row.into_attachment());
            }
        }
        Ok(events)
    }

    /// File `id` of organization `org_id`, if there is one.
    pub(crate) async fn file(&self, org_id: i64, id: i64) -> StoreResult<Option<FileRow>> {
        let db = &mut self.db().await?;
        let row = sql!(
            db,
            fetch_optional,
            query_as!(
                FileRecord,
                r#"SELECT f.channel_id, f.uploader_id, m.seq AS "message_seq?", f.name, f.sha256, f.thumb_sha256, f.thumb_type, f.served_type
                   FROM files f LEFT JOIN messages m ON m.id = f.message_id
                   WHERE f.id = $1 AND f.org_id = $2"#,
                id,
                org_id
            )
        )?;
        Ok(row.map(|r| FileRow {
            channel_id: r.channel_id,
            uploader_id: r.uploader_id,
            message_seq: r.message_seq,
            name: r.name,
            sha256: r.sha256,
            thumbnail: r.thumb_sha256.zip(r.thumb_type),
            served_type: r.served_type,
        }))
    }

    /// Bytes of files stored for an organization (sent or still unsent).
    pub(crate) async fn storage_used(&self, org_id: i64) -> StoreResult<i64> {
        let db = &mut self.db().await?;
        let total = sql!(
            db,
            fetch_one,
            query_scalar!(
                r#"SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS "total!" FROM files WHERE org_id = $1"#,
                org_id
            )
        )?;
        Ok(total)
    }

    /// Forgets the uploads never sent that were made before `before`
    /// (milliseconds); how many.
    pub(crate) async fn expire_uploads(&self, before: i64) -> StoreResult<u64> {
        let db = &mut self.db().await?;
        Ok(sql!(db, execute, query!("DELETE FROM files WHERE message_id IS NULL AND created_at < $1", before))?)
    }

    /// Claims for this sweep (`claim`, a random number not 0) the blobs
    /// whose bytes are to be deleted now: those marked unused that no file
    /// refers to, and any another sweep claimed before `stale_before`
    /// (milliseconds) and left. No upload takes a claimed blob meanwhile.
    pub(crate) async fn claim_unused_blobs(&self, claim: i64, stale_before: i64) -> StoreResult<Vec<String>> {
        let (db, now) = (&mut self.db().await?, now_ms());
        Ok(sql!(
            db,
            fetch_all,
            query_scalar!(
                r#"UPDATE blobs SET deleting = $1, deleting_at = $2
                   WHERE (unused = 1 AND deleting = 0
                          AND NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = blobs.sha256 OR f.thumb_sha256 = blobs.sha256))
                      OR (deleting <> 0 AND deleting <> $1 AND deleting_at < $3)
                   RETURNING sha256 AS "sha256!""#,
                claim,
                now,
                stale_before
            )
        )?)
    }

    /// Forgets blob `sha256`, whose bytes this sweep (`claim`) deleted.
    pub(crate) async fn forget_blob(&self, sha256: &str, claim: i64) -> StoreResult<()> {
        let db = &mut self.db().await?;
        sql!(db, execute, query!("DELETE FROM blobs WHERE sha256 = $1 AND deleting = $2", sha256, claim))?;
        Ok(())
    }
}

/// Marks blob `sha256` in use (recording it if new); false while it is
/// being deleted.
async fn use_blob(tx: &mut Tx, sha256: &str, size: i64) -> StoreResult<bool> {
    let changed = sql!(
        tx,
        execute,
        query!(
            "INSERT INTO blobs (sha256, size) VALUES ($1, $2)
             ON CONFLICT (sha256) DO UPDATE SET unused = 0 WHERE blobs.deleting = 0",
            sha256,
            size
        )
    )?;
    Ok(changed == 1)
}

/// Takes the files off message `seq` of a channel (it is being deleted):
/// their blobs are marked unused.
pub(super) async fn drop_files(tx: &mut Tx, channel_id: i64, seq: i64) -> StoreResult<()> {
    sql!(
        tx,
        execute,
        query!(
            "DELETE FROM files WHERE message_id IN
             (SELECT id FROM messages WHERE channel_id = $1 AND seq = $2 AND kind = 'message')",
            channel_id,
            seq
        )
    )?;
    Ok(())
}
