//! Edits: a message's text replaced by its author, the text it had kept as
//! a version, and the edit an event of the channel's stream; deleting the
//! message wipes every version and every edit's text with it.

use super::dialect::{Tx, sql};
use super::messages::{NewEvent, append_event, event};
use super::{Store, StoreResult, now_ms};
use crate::kinds::EventKind;
use crate::model::{Message, MessageVersion, User};

/// A message's text and when it was written (posted, or last edited).
#[derive(Debug)]
struct CurrentRecord {
    id: i64,
    body: String,
    created_at: i64,
    edited_at: Option<i64>,
}

impl Store {
    /// Replaces the text of message `seq` of a channel, written by `by`,
    /// with `body`: the text it had becomes a version, and an `edited`
    /// event (`client_id` names it; its `body` is the new text) takes the
    /// channel's next `seq`, in one transaction. `None` when there is no
    /// such message of theirs, it was deleted, or it says this already.
    pub(crate) async fn edit_message(
        &self,
        channel_id: i64,
        seq: i64,
        by: &User,
        body: &str,
        client_id: String,
    ) -> StoreResult<Option<Message>> {
        let (mut tx, now) = (self.pool.begin_write().await?, now_ms());
        let current = sql!(
            &mut tx,
            fetch_optional,
            query_as!(
                CurrentRecord,
                r#"SELECT id AS "id!", body, created_at, edited_at FROM messages
                 WHERE channel_id = $1 AND seq = $2 AND kind = 'message' AND deleted_at IS NULL AND author_id = $3"#,
                channel_id,
                seq,
                by.id
            )
        )?;
        let Some(current) = current.filter(|c| c.body != body) else { return Ok(None) };
        keep_version(&mut tx, &current).await?;
        sql!(
            &mut tx,
            execute,
            query!("UPDATE messages SET body = $2, edited_at = $3 WHERE id = $1", current.id, body, now)
        )?;
        let (kind, refers_to) = (EventKind::Edited, Some(seq));
        let new = NewEvent {
            channel_id,
            kind,
            client_id: &client_id,
            author_id: by.id,
            body,
            refers_to,
            at: now,
            thread_of: None,
            in_channel: false,
        };
        let ids = append_event(&mut tx, new).await?;
        tx.commit().await?;
        Ok(Some(Message {
            refers_to,
            body: body.to_owned(),
            ..event(ids, channel_id, EventKind::Edited, client_id, by, now)
        }))
    }

    /// The texts message `seq` of a channel had before its edits, oldest
    /// first (none for a message never edited, or deleted).
    pub(crate) async fn message_versions(&self, channel_id: i64, seq: i64) -> StoreResult<Vec<MessageVersion>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_all,
            query_as!(
                MessageVersion,
                r#"SELECT v.body, v.written_at FROM message_versions v JOIN messages m ON m.id = v.message_id
                 WHERE m.channel_id = $1 AND m.seq = $2 AND m.kind = 'message' ORDER BY v.version"#,
                channel_id,
                seq
            )
        )?)
    }
}

/// Keeps a message's text as its next version before it is replaced.
async fn keep_version(tx: &mut Tx, current: &CurrentRecord) -> StoreResult<()> {
    let written_at = current.edited_at.unwrap_or(current.created_at);
    sql!(
        tx,
        execute,
        query!(
            "INSERT INTO message_versions (message_id, version, body, written_at)
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3 FROM message_versions WHERE message_id = $1",
            current.id,
            current.body,
            written_at
        )
    )?;
    Ok(())
}

/// Wipes every earlier text of message `seq` of a channel, and the text of
/// every edit of it (the message is being deleted).
pub(super) async fn wipe_edits(tx: &mut Tx, channel_id: i64, seq: i64) -> StoreResult<()> {
    sql!(
        tx,
        execute,
        query!(
            "DELETE FROM message_versions WHERE message_id IN
             (SELECT id FROM messages WHERE channel_id = $1 AND seq = $2 AND kind = 'message')",
            channel_id,
            seq
        )
    )?;
    sql!(
        tx,
        execute,
        query!(
            "UPDATE messages SET body = '' WHERE channel_id = $1 AND kind = 'edited' AND refers_to = $2",
            channel_id,
            seq
        )
    )?;
    Ok(())
}
