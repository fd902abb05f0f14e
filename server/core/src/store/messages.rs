//! A channel's events (messages, members joining and leaving): the
//! per-channel sequence and idempotent inserts.

use super::group_commit::NewMessage;
use super::records::MessageRecord;
use super::{Store, StoreError, StoreResult, now_ms, on_db};
use crate::kinds::EventKind;
use crate::model::{Message, User};

/// An event of a kind this build does not know is an error, never shown as
/// another kind.
fn message(r: MessageRecord) -> StoreResult<Message> {
    let kind =
        EventKind::parse(&r.kind).ok_or_else(|| StoreError::Unknown(format!("kind {:?} of event {}", r.kind, r.id)))?;
    Ok(Message {
        id: r.id,
        channel_id: r.channel_id,
        seq: r.seq,
        kind,
        client_id: r.client_id,
        author_id: r.author_id,
        author: r.author,
        body: r.body,
        sent_at: r.sent_at,
        refers_to: r.refers_to,
        deleted: r.deleted_at.is_some(),
    })
}

/// An event the server writes (not posted by a client) as stored.
pub(super) fn event(
    (id, seq): (i64, i64),
    channel_id: i64,
    kind: EventKind,
    client_id: String,
    author: &User,
    now: i64,
) -> Message {
    Message {
        id,
        channel_id,
        seq,
        kind,
        client_id,
        author_id: author.id,
        author: author.username.clone(),
        body: String::new(),
        sent_at: now,
        refers_to: None,
        deleted: false,
    }
}

/// The outcome of storing a message.
#[derive(Debug)]
pub struct Stored {
    pub message: Message,
    /// False when `client_id` had been stored before: `message` is that original.
    pub created: bool,
}

impl Store {
    /// Stores a message with the channel's next `seq`, or returns the message
    /// already stored under the same `client_id` (a retry).
    pub async fn insert_message(
        &self,
        channel_id: i64,
        client_id: &str,
        author: &User,
        body: &str,
    ) -> StoreResult<Stored> {
        // Stored by the group-commit writer, with whatever else is waiting.
        let now = now_ms();
        let message = NewMessage {
            channel_id,
            client_id: client_id.to_owned(),
            author_id: author.id,
            body: body.to_owned(),
            created_at: now,
        };
        let Some((id, seq)) = self.writer.write(message).await? else {
            // Stored before: a retry, or a concurrent retry that won the race.
            return match self.message_by_client_id(channel_id, client_id).await? {
                Some(message) => Ok(Stored { message, created: false }),
                None => Err(StoreError::Conflict("messages.client_id".into())),
            };
        };
        let message = Message {
            id,
            channel_id,
            seq,
            kind: EventKind::Message,
            client_id: client_id.to_owned(),
            author_id: author.id,
            author: author.username.clone(),
            body: body.to_owned(),
            sent_at: now,
            refers_to: None,
            deleted: false,
        };
        Ok(Stored { message, created: true })
    }

    /// Deletes message `seq` of a channel as `by`: its text is wiped and a
    /// `deleted` event (`client_id` names it) takes the channel's next `seq`.
    /// `None` when there is no such message or it was deleted before.
    pub async fn delete_message(
        &self,
        channel_id: i64,
        seq: i64,
        by: &User,
        client_id: String,
    ) -> StoreResult<Option<Message>> {
        let now = now_ms();
        let stored = on_db!(self, delete_message(channel_id, seq, by.id, &client_id, now))?;
        Ok(stored.map(|ids| Message {
            refers_to: Some(seq),
            ..event(ids, channel_id, EventKind::Deleted, client_id, by, now)
        }))
    }

    /// The event of a channel at `seq`, if there is one.
    pub async fn message_at(&self, channel_id: i64, seq: i64) -> StoreResult<Option<Message>> {
        let found = self.messages_after(channel_id, seq - 1, 1).await?;
        Ok(found.into_iter().find(|m| m.seq == seq))
    }

    async fn message_by_client_id(&self, channel_id: i64, client_id: &str) -> StoreResult<Option<Message>> {
        on_db!(self, message_by_client_id(channel_id, client_id))?.map(message).transpose()
    }

    /// Up to `limit` messages after `after_seq`, oldest first.
    pub async fn messages_after(&self, channel_id: i64, after_seq: i64, limit: i64) -> StoreResult<Vec<Message>> {
        on_db!(self, messages_after(channel_id, after_seq, limit))?.into_iter().map(message).collect()
    }

    /// Up to `limit` messages before `before_seq` (the newest when `None`),
    /// oldest first, and whether older ones exist.
    pub async fn history(
        &self,
        channel_id: i64,
        before_seq: Option<i64>,
        limit: i64,
    ) -> StoreResult<(Vec<Message>, bool)> {
        let rows = on_db!(self, messages_before(channel_id, before_seq.unwrap_or(i64::MAX), limit + 1))?;
        let has_more = rows.len() as i64 > limit;
        let mut messages = rows.into_iter().take(limit as usize).map(message).collect::<StoreResult<Vec<_>>>()?;
        messages.reverse();
        Ok((messages, has_more))
    }
}
