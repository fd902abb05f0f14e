//! Pins: which messages of a channel are pinned now, each pin and unpin an
//! event of the channel's stream.

use super::dialect::sql;
use super::messages::{NewEvent, append_event, event};
use super::records::MessageRecord;
use super::{Store, StoreResult, now_ms};
use crate::kinds::EventKind;
use crate::model::{Message, User};

/// The most pinned messages a channel lists.
const LISTED: i64 = 100;

impl Store {
    /// Pins message `seq` of a channel as `by` (`pin`), or unpins it; when
    /// that changes anything, a `pinned` or `unpinned` event (`client_id`
    /// names it) takes the channel's next `seq`, in the same transaction.
    /// `None` when nothing changed (or there is no such message).
    pub(crate) async fn pin(
        &self,
        channel_id: i64,
        seq: i64,
        by: &User,
        pin: bool,
        client_id: String,
    ) -> StoreResult<Option<Message>> {
        let (mut tx, now) = (self.pool.begin_write().await?, now_ms());
        let changed = if pin {
            sql!(
                &mut tx,
                execute,
                query!(
                    "UPDATE messages SET pinned_at = $3, pinned_by = $4
                     WHERE channel_id = $1 AND seq = $2 AND kind = 'message' AND deleted_at IS NULL AND pinned_at IS NULL",
                    channel_id,
                    seq,
                    now,
                    by.id
                )
            )?
        } else {
            sql!(
                &mut tx,
                execute,
                query!(
                    "UPDATE messages SET pinned_at = NULL, pinned_by = NULL
                     WHERE channel_id = $1 AND seq = $2 AND kind = 'message' AND pinned_at IS NOT NULL",
                    channel_id,
                    seq
                )
            )?
        };
        if changed == 0 {
            return Ok(None);
        }
        let kind = if pin { EventKind::Pinned } else { EventKind::Unpinned };
        let refers_to = Some(seq);
        let new = NewEvent {
            channel_id,
            kind,
            client_id: &client_id,
            author_id: by.id,
            body: "",
            refers_to,
            at: now,
            thread_of: None,
            in_channel: false,
        };
        let ids = append_event(&mut tx, new).await?;
        tx.commit().await?;
        Ok(Some(Message { refers_to, ..event(ids, channel_id, kind, client_id, by, now) }))
    }

    /// The messages pinned in a channel that `reader` may read, the most
    /// recently pinned first.
    pub(crate) async fn pinned(&self, channel_id: i64, reader: i64) -> StoreResult<Vec<Message>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                MessageRecord,
                r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                      m.created_at AS sent_at, m.refers_to, m.deleted_at, m.edited_at, m.pinned_at, m.thread_of, m.in_channel
               FROM messages m JOIN users u ON u.id = m.author_id
               WHERE m.channel_id = $1 AND m.pinned_at IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM channel_absences a WHERE a.channel_id = $1 AND a.user_id = $2
                                 AND m.seq > a.from_seq AND (a.to_seq IS NULL OR m.seq <= a.to_seq))
               ORDER BY m.pinned_at DESC, m.seq DESC LIMIT $3"#,
                channel_id,
                reader,
                LISTED
            )
        )?;
        rows.into_iter().map(super::messages::message).collect()
    }
}
